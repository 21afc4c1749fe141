// Sorts the awareness states a device sees into verified presence and a count of the rest, caching
// each claim's signature verdict: awareness changes many times a minute, a claim's signature never.
import { parsePresence, presenceIsCurrent, verifyPresenceSignature } from '../crypto/presence';

/** A peer whose presence claim verified: signature by `key`, for this client id, recent. Membership is the reader's check. */
export interface OnlinePeer {
  key: string;
  clientId: number;
  at: number;
}

export class PresenceRoster {
  /** Verdicts per (client id, key, at, sig); only those of states still present are kept. */
  readonly #verdicts = new Map<string, boolean | 'pending'>();
  /** Signature checks started (for tests and figures). */
  verifications = 0;

  constructor(
    readonly cid: string,
    /** Called when a pending check answers, so the caller sorts again. */
    readonly onVerdict: () => void
  ) {}

  /**
   * A state claiming a member is believed only once its signature verified for the client id it
   * arrived under, and while its time is recent; until its (asynchronous) check answers it is
   * neither online nor counted. Several clients of one key are listed once, by the latest claim.
   */
  sort(states: ReadonlyMap<number, unknown>, selfId: number, now: number): { online: OnlinePeer[]; unverified: number } {
    const online = new Map<string, OnlinePeer>();
    let unverified = 0;
    const present = new Set<string>();
    states.forEach((state, clientId) => {
      if (clientId === selfId) return;
      const claim = parsePresence((state as { member?: unknown } | null)?.member);
      if (!claim || !presenceIsCurrent(claim.at, now)) {
        unverified++;
        return;
      }
      const cacheKey = `${clientId}|${claim.key}|${claim.at}|${claim.sig}`;
      present.add(cacheKey);
      const verdict = this.#verdicts.get(cacheKey);
      if (verdict === undefined) {
        this.#verdicts.set(cacheKey, 'pending');
        this.verifications++;
        void verifyPresenceSignature(claim, this.cid, clientId).then((ok) => {
          if (!this.#verdicts.has(cacheKey)) return;
          this.#verdicts.set(cacheKey, ok);
          this.onVerdict();
        });
      } else if (verdict === true) {
        const seen = online.get(claim.key);
        if (!seen || seen.at < claim.at) online.set(claim.key, { key: claim.key, clientId, at: claim.at });
      } else if (verdict === false) {
        unverified++;
      }
    });
    for (const key of this.#verdicts.keys()) if (!present.has(key)) this.#verdicts.delete(key);
    return { online: [...online.values()], unverified };
  }

  /** Forgets every verdict (the sync stopped); answers still in flight are dropped. */
  clear(): void {
    this.#verdicts.clear();
  }
}
