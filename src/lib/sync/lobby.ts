// The lobby's document: a copy of a community's core records (who is a member, invites, keys and
// the shares wrapping them, tiers, settings, profiles) in a Yjs document of its own, synced in the
// room anyone with the invite link's room secret can enter (see mesh.ts). Content never enters it:
// this device puts in only core records it accepted, and a peer's update is filtered so that every
// other value turns to GC before it is applied (counted as junk). Core records this device lacks
// are checked (exact JSON, shape, id, signature, community; written by a known member, or a join)
// and adopted into the community document, whose gate and authority then judge them as usual. On a
// device waiting for its key (`LobbyOptions.share` off) they are not put into the document: its gate
// checks them from here (once), and they are stored and projected; the mesh brings its peers' own
// entries for them later, found stored.
// The document lives for the session only: it is rebuilt from the projection each time. A newcomer
// who came by a short link opens it seeded with the lobby its invite page fetched (`LobbyOptions.seed`):
// applied as a peer's update (the same gate, the same checks, after this device's own entries), so
// its step 1 names what it holds and a peer's step 2 carries only what came since.
import type * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import { checkRecord } from '../crypto/record-seal';
import { AUTHORITY_KINDS, type Authority } from '../domain/authority';
import type { AnyRecord } from '../domain/record';

import { KEY_CONTEXT_KINDS, sharedForm } from '../store/keyring';
import { authorityOf } from '../store/projection';
import type { CommunityDoc } from './community-doc';
import { batchCrypto, isExactJson } from './gate';
import type { LobbyOptions } from './doc-handle';
import { applyGatedUpdate, registerUpdateGate, whenApplied } from './gated-sync-protocol';
import { recordById, recordsOfKinds } from '../store/record-store';
import { localDoc } from './local-doc';

// `shards`: a newcomer to a community moved into shards learns it in the lobby, before its history.
export const CORE_KINDS: ReadonlySet<string> = new Set([...AUTHORITY_KINDS, ...KEY_CONTEXT_KINDS, 'profile', 'tombstone', 'trust-lock', 'shards']);

export function isCoreKind(kind: string | null): boolean {
  return kind !== null && CORE_KINDS.has(kind);
}

export function isCoreValue(value: unknown): boolean {
  return typeof value === 'object' && value !== null && CORE_KINDS.has((value as { kind?: unknown }).kind as string);
}

const OWN = Symbol('own');
/** Origin of a seed's update (`LobbyOptions.seed`): peer data, read as a peer's. */
const SEED = { lobbySeed: true };

/** Core kinds put into the lobby only for some members (`inLobby`). */
const FOLLOWS_MEMBER: ReadonlySet<string> = new Set(['join', 'profile', 'trust', 'level', 'trust-lock', 'admit']);

/** Joins younger than this stay in the lobby: a joiner's may not have reached every staff device yet. */
export const RECENT_JOIN_MS = 30 * 86_400_000;

/**
 * Which core records this device puts into its lobby document. Ordinary members' joins and profiles
 * stay out once they are a month old: at 10,000 members they were 8.7 MB of the lobby's 13 MB, and a
 * newcomer downloaded and checked every one before it could judge its key (5 s of transfer, 15–20 s
 * of checks). A newcomer needs them only for the authors it shows, whose joins and profiles its first
 * page carries (first-page.ts), key records judge a wrap for a key no join names once it comes
 * (domain/epochs), and the mesh's history brings the rest. In: the joins and profiles of the creator,
 * staff and moderators, of whoever wrote an invite (invite rights are judged on the inviter's join),
 * of banned members, of joiners not (yet) members, of joins on invites that need an admit (their
 * uses are counted there), and of joins from the last month; trust and level records follow their
 * member's join (authority reads them only for a member it knows): at 10,000 members the creator's
 * automation had published over a thousand levels, each checked by every newcomer. Admits follow the
 * joins they name.
 */
export function inLobby(auth: Authority | null, now: number): (r: AnyRecord) => boolean {
  if (!auth) return () => true;
  const inviters = new Set([...auth.invites.values()].map((i) => i.record.author));
  const notable = (key: string) => {
    const m = auth.members.get(key);
    return !m || m.role !== 'member' || m.bannedAt !== null || inviters.has(key) || (m.invite !== null && auth.invites.get(m.invite)?.needsAdmit === true);
  };
  const recent = (key: string) => now - (auth.members.get(key)?.joinedAt ?? now) < RECENT_JOIN_MS;
  // An admit names joins by id, and authority skips an id whose join it does not hold: one is of use
  // here only if a join it names is. The admits that keep an open invite's members past its
  // revocation (200 joins to a record) stay out with those joins: at 10,000 members 52 admits, 482 KB
  // of the lobby's 1.16 MB, which a newcomer downloaded and checked before writing its join.
  let joiners: Map<string, string> | null = null;
  const joinInLobby = (id: string) => {
    joiners ??= new Map([...auth.members.values()].flatMap((m) => (m.join ? [[m.join, m.key] as const] : [])));
    const key = joiners.get(id);
    return key === undefined || notable(key) || recent(key);
  };
  return (r) => {
    if (r.kind === 'join') return now - r.ts < RECENT_JOIN_MS || notable(r.author);
    if (r.kind === 'admit') return r.body.joins.some(joinInLobby);
    if (r.kind === 'profile') return notable(r.author) || recent(r.author);
    // A trust or level record counts only for a member whose join is known: the same members.
    if (r.kind === 'trust' || r.kind === 'level' || r.kind === 'trust-lock') return notable(r.body.member) || recent(r.body.member);
    return true;
  };
}

export class CoreLobby {
  readonly doc = localDoc();
  readonly records: Y.Map<unknown>;
  /** Presence is not shared in the lobby: an awareness of its own, with no state in it. */
  readonly awareness: Awareness;
  #off: (() => void)[] = [];
  #adopting: Promise<void> = Promise.resolve();
  readonly options: LobbyOptions;
  /** `LobbyOptions.seed`, applied in `open` and then let go. */
  #seed: Uint8Array | undefined;

  constructor(
    readonly community: CommunityDoc,
    { seed, ...options }: LobbyOptions = { share: true }
  ) {
    this.options = options;
    this.#seed = seed;
    this.records = this.doc.getMap('records');
    this.awareness = new Awareness(this.doc);
    this.awareness.setLocalState(null);
    registerUpdateGate(this.doc, { root: 'records', keepKind: isCoreKind, onJunk: (items, bytes) => community.noteJunk(items, bytes) });
  }

  /** Fills the document with this device's core records and keeps adding those it accepts. */
  async open(): Promise<void> {
    const { db, cid } = this.community;
    // The genesis is stored under its own id with an empty `cid`: fetched by key.
    const [genesis, rows, auth] = await Promise.all([
      recordById(db, cid),
      recordsOfKinds(db, cid, [...CORE_KINDS] as AnyRecord['kind'][]),
      authorityOf(db, cid)
    ]);
    const lobbyWorthy = inLobby(auth, Date.now());
    this.#put([...(genesis ? [genesis] : []), ...rows].filter((r) => !r.held && lobbyWorthy(r)).map(sharedForm));
    this.#off.push(
      this.community.onAccepted((records) => {
        const core = records.filter((r) => CORE_KINDS.has(r.kind));
        if (core.some((r) => FOLLOWS_MEMBER.has(r.kind)))
          void authorityOf(db, cid).then(
            (now) => this.#put(core.filter(inLobby(now, Date.now()))),
            (e) => console.error('lobby: reading authority failed', e)
          );
        else if (core.length) this.#put(core);
        if (records.some((r) => AUTHORITY_KINDS.has(r.kind)))
          this.#adopting = this.#adopting.then(() => this.#retryWaiting()).catch((e) => console.error('lobby: adopting failed', e));
      })
    );
    const onChange = (event: Y.YMapEvent<unknown>) => {
      if (event.transaction.origin === OWN) return;
      const found: [string, unknown][] = [];
      for (const key of event.keysChanged) {
        const value = this.records.get(key);
        if (isCoreValue(value) && !this.community.records.has(key)) found.push([key, value]);
      }
      if (found.length) this.#adopting = this.#adopting.then(() => this.#adopt(found)).catch((e) => console.error('lobby: adopting failed', e));
    };
    this.records.observe(onChange);
    this.#off.push(() => this.records.unobserve(onChange));
    const seed = this.#seed;
    this.#seed = undefined;
    if (seed) {
      applyGatedUpdate(this.doc, seed, SEED);
      await whenApplied(this.doc);
    }
  }

  #put(records: readonly AnyRecord[]): void {
    const fresh = records.filter((r) => !this.records.has(r.id));
    if (fresh.length && !this.doc.isDestroyed) this.doc.transact(() => fresh.forEach((r) => this.records.set(r.id, r)), OWN);
  }

  async #adopt(found: [string, unknown][]): Promise<void> {
    const { db, cid } = this.community;
    const auth = await authorityOf(db, cid);
    // Stored only: the community's gate checks each record (signature included) exactly as here,
    // and what it refuses is counted with a peer's refusals. Checked here, each was checked twice.
    const valid = this.options.share
      ? (await Promise.all(found.map(([key, value]) => (isExactJson(value) ? checkRecord(value, { cid, key }, batchCrypto(found.length)) : null))))
          .filter((c) => c?.ok)
          .map((c) => (c as { value: AnyRecord }).value)
      : found.filter(([key, value]) => isExactJson(value) && (value as { id?: unknown }).id === key).map(([, value]) => value as AnyRecord);
    // Only a known member's records, or a join (its invite proof is checked by the gate) and what its
    // author sent with it (a newcomer's profile): a stranger's validly signed records are not carried
    // into the mesh by this device. Records held back are looked at again when a join is accepted.
    const joining = new Set(valid.filter((r) => r.kind === 'join').map((r) => r.author));
    const known = (r: AnyRecord) =>
      r.kind === 'join' || r.kind === 'genesis' || !auth || auth.members.has(r.author) || r.author === auth.creator || joining.has(r.author);
    for (const r of valid) if (!known(r)) this.#waiting.set(r.id, r);
    this.#take(valid.filter(known));
  }

  #take(records: AnyRecord[]): void {
    if (this.options.share) this.community.adopt(records);
    else this.#stored = this.community.storeAside(records).catch((e) => console.error('lobby: storing failed', e));
  }

  /** The newest check of records stored from here (`share` off); joined by later ones. */
  #stored: Promise<void> = Promise.resolve();

  /** Records held back for an unknown author, looked at again once authority changed. */
  #waiting = new Map<string, AnyRecord>();

  async #retryWaiting(): Promise<void> {
    if (!this.#waiting.size) return;
    const auth = await authorityOf(this.community.db, this.community.cid);
    if (!auth) return;
    const now = [...this.#waiting.values()].filter((r) => auth.members.has(r.author));
    now.forEach((r) => this.#waiting.delete(r.id));
    // A device waiting for its key leaves the profiles it held back to the history the mesh brings
    // (the first page carries its authors'): checked here, they queued ahead of the admission and the
    // key share that open the mesh. At 10,000 members the core came in two messages, the profiles in
    // the second after their authors' joins in the first, and their job (11.4 s of checks and an
    // 8.9 s rebuild) held the key share 10 s.
    this.#take(this.options.share ? now : now.filter((r) => r.kind !== 'profile'));
  }

  /** Resolves once records found in the lobby so far have been checked and adopted (or stored). */
  async settled(): Promise<void> {
    await this.#adopting;
    await this.#stored;
  }

  destroy(): void {
    this.#off.forEach((f) => f());
    this.awareness.destroy();
    this.doc.destroy();
  }
}
