// The posting policy (domain/posting-policy) as this member's device applies it before a write: the
// facts from the community worker, the watched words from the settings read so far and the trust
// level from member stats, the refusal worded for the page. A manager of CommunityState's, over the
// few things it needs of it.
import type { MemberStats, Settings } from '../domain/membership';
import { postingVerdict, postingWait, type PostingRefusal } from '../domain/posting-policy';
import type { AnyRecord, Kind } from '../domain/record';
import { i18n } from '../i18n/index.svelte';
import { readsTrust } from '../store/queries/posting';
import type { AppendResult } from '../sync/community-doc';
import type { CommunityReads } from '../sync/community-reads';

/** What the posting manager needs of its community. */
export interface PostingHost {
  readonly cid: string;
  /** The writing member's key. */
  readonly me: string;
  readonly reads: Pick<CommunityReads, 'postingFacts'>;
  /** The community's watched words as read so far (undefined before the standing is read). */
  watchedWords(): Settings['watchedWords'] | undefined;
  /** Every member's stats (the analysis worker): where the trust level comes from. */
  memberStats(cid: string, now: number): Promise<MemberStats | null>;
}

export type PostingWait = { reason: 'rate_limited' | 'slow_mode'; retryAt: number; slowSeconds: number };

/** How long a trust level read is kept: it reads all the community's records. */
const TRUST_KEPT_MS = 5 * 60_000;

export class Posting {
  #trust: { level: number; at: number } | null = null;

  constructor(private readonly host: PostingHost) {}

  /**
   * The posting policy for a write by this member: a removed member writes nothing; watched words,
   * links from newcomers, rate limits and slow mode apply to posts. Null: it may go.
   */
  async check(kind: Kind, body: AnyRecord['body'], now: number): Promise<Extract<AppendResult, { ok: false }> | null> {
    const b = body as { title?: string; body?: string; thread?: string };
    const refusal = postingVerdict(kind, b, now, await this.#facts(kind, b.thread, now));
    return refusal ? refusalResult(refusal, now) : null;
  }

  /**
   * When this member may post again under rate limit and slow mode (null: now), so a page can say
   * so before they write, not only after they press send.
   */
  async wait(kind: Kind, thread: string | undefined, now = Date.now()): Promise<PostingWait | null> {
    const wait = postingWait(kind, now, await this.#facts(kind, thread, now));
    return wait && { reason: wait.reason === 'mod.rate_limited' ? 'rate_limited' : 'slow_mode', retryAt: wait.retryAt, slowSeconds: wait.slowSeconds };
  }

  async #facts(kind: Kind, thread: string | undefined, now: number) {
    const { cid, me } = this.host;
    const facts = await this.host.reads.postingFacts(cid, me, { kind, thread, now });
    facts.watchedWords = this.host.watchedWords();
    // The trust level comes from member stats (the analysis worker), only when the verdict reads it.
    if (readsTrust(facts, kind)) facts.trustLevel = await this.#trustLevel();
    return facts;
  }

  /**
   * My trust level, read again at most every five minutes. Member stats that cannot be read (their
   * worker did not load) give the level last read, or 0, the strictest, for this write only: the
   * write goes on, and the stats are asked again at the next.
   */
  async #trustLevel(): Promise<number> {
    const now = Date.now();
    if (this.#trust && now - this.#trust.at < TRUST_KEPT_MS) return this.#trust.level;
    const stats = await this.host.memberStats(this.host.cid, now).then(
      (s) => ({ ok: true as const, level: s?.trust.get(this.host.me)?.level ?? 0 }),
      (error: unknown) => ({ ok: false as const, error })
    );
    if (!stats.ok) {
      console.warn('member stats unavailable: the posting policy uses the last trust level read, or 0', stats.error);
      return this.#trust?.level ?? 0;
    }
    this.#trust = { level: stats.level, at: now };
    return stats.level;
  }
}

/** A refusal as the write's result: the reason a page translates, with the word or the time in it. */
function refusalResult(refusal: PostingRefusal, now: number): Extract<AppendResult, { ok: false }> {
  switch (refusal.reason) {
    case 'mod.blocked_word':
      return { ok: false, reason: refusal.reason, params: { word: refusal.word } };
    case 'mod.rate_limited':
    case 'mod.slow_mode':
      return { ok: false, reason: refusal.reason, params: { time: i18n.time(refusal.retryAt), in: i18n.relative(refusal.retryAt, now) } };
    default:
      return { ok: false, reason: refusal.reason };
  }
}
