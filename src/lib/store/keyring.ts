// This device's epoch keys per community (local only, never synced) and the opening of sealed
// content: a `sealed` record whose epoch key the member holds is stored as its plaintext record
// (same id, author, ts, prev) with the sealed original kept in `sealedAs`, so projections, search,
// the inbox and the analysis worker read plain rows, while the shared document, repair and exports
// only ever see the ciphertext. Records without a key stay `sealed` rows until one arrives.
import { ed25519 } from '@noble/curves/ed25519.js';
import { fromBase64Url } from '../crypto/encoding';
import { acceptedKeys, buildKeyring, type EpochKey, type Keyring } from '../crypto/epoch-keys';
import { openContent } from '../crypto/content-seal';
import { seedFromPkcs8, type MemberBoxKey } from '../crypto/member-box';
import { epochForSealing, judgedAlike, validKeyRecords, withShares, type EpochView } from '../domain/epochs';
import { isEntitled, parseScope, pointsScope, scopeContext, tierScope, type Scope, type ScopeContext } from '../domain/scopes';
import { SEALABLE, type AnyRecord, type SignedRecord } from '../domain/record';
import { affectsAuthority, membersMoved, type Authority } from '../domain/authority';
import type { HearthDb, StoredRecord } from './db';
import { authorityOf } from './projection';
import { recordById, recordsByAuthors, recordsById, recordsOfKind, recordsOfKinds } from './record-store';

/** Kinds that change who holds which epoch: key records and everything entitlement reads. */
export const KEY_CONTEXT_KINDS = ['key', 'key-share', 'tier', 'payment', 'settings', 'trust', 'level'] as const;
const KEY_CONTEXT = new Set<string>(KEY_CONTEXT_KINDS);

export interface KeyState {
  view: EpochView;
  ctx: ScopeContext;
  /** Keys of accepted epochs this member holds: what content opens with. */
  keys: Keyring;
}

const readers = new WeakMap<HearthDb, Promise<MemberBoxKey | null>>();
const states = new WeakMap<HearthDb, Map<string, Promise<KeyState | null>>>();
/** The key-context records each state was computed from: a stored batch is added to them (`advanceKeyState`). */
const basisOf = new WeakMap<KeyState, readonly AnyRecord[]>();

/** This device's member X25519 key, from the stored identity (null before one exists). */
export function readerOf(db: HearthDb): Promise<MemberBoxKey | null> {
  let r = readers.get(db);
  if (!r) {
    r = db.identity.get('me').then((row) => {
      if (!row) return null;
      const pkcs8 = fromBase64Url(row.privateKeyPkcs8);
      const seed = pkcs8 ? seedFromPkcs8(pkcs8) : null;
      return seed ? { memberId: row.publicKey, secret: ed25519.utils.toMontgomerySecret(seed) } : null;
    });
    // An identity made or imported later is read again.
    r.then((v) => v === null && readers.delete(db));
    readers.set(db, r);
  }
  return r;
}

/**
 * Does this batch change epochs or entitlement (so the key state must be computed again)? Key
 * records and what tiers read, or anything that changes authority (`invites`: those known so far,
 * so a deletion counts only when it revokes an invite).
 */
export function affectsKeys(records: readonly AnyRecord[], invites: ReadonlyMap<string, unknown>): boolean {
  return records.some((r) => KEY_CONTEXT.has(r.kind) || affectsAuthority(r, invites));
}

export function forgetKeyState(db: HearthDb, cid: string): void {
  states.get(db)?.delete(cid);
}

/** Epochs, entitlement and the keys this device holds for a community (cached until `forgetKeyState`). */
export function keyState(db: HearthDb, cid: string): Promise<KeyState | null> {
  let perDb = states.get(db);
  if (!perDb) states.set(db, (perDb = new Map()));
  return perDb.get(cid) ?? remember(perDb, cid, computeOutsideZone(db, cid));
}

/**
 * The cached key state once `rows` are stored: computed again from the records it was computed from
 * and the batch's key-context records, with the authority as it is now, instead of read again. At
 * 10,000 members the creator's automation publishes points levels 200 to a batch, and every batch
 * read the community's ~3,400 key-context records back (levels, shares, keys), beside the newcomer
 * admissions and key shares waiting on IndexedDB. Nothing cached: nothing to do (the next ask reads).
 * Records are never removed, so the basis and every batch stored since are exactly the table's rows.
 */
export function advanceKeyState(db: HearthDb, cid: string, rows: readonly AnyRecord[]): void {
  const perDb = states.get(db);
  const before = perDb?.get(cid);
  if (!perDb || !before) return;
  const added = rows.filter((r) => KEY_CONTEXT.has(r.kind));
  remember(
    perDb,
    cid,
    before.then(async (prev) => {
      const basis = prev ? basisOf.get(prev) : undefined;
      // Key shares alone, under the authority the state was judged with, or under one that only let
      // members in whom no key record names (a join, its admission): only the shares are judged.
      const shares = added.filter((r): r is SignedRecord<'key-share'> => r.kind === 'key-share');
      if (prev && basis && shares.length === added.length) {
        const auth = await authorityOf(db, cid);
        // Judged alike, the tiers, settings and payments read from the basis are the same too: they
        // name no moved member (`judgedAlike`), and payments are grouped without the authority.
        const ctx = auth === prev.ctx.auth ? prev.ctx : auth && joinedAlike(auth, prev.ctx.auth, basis) ? { ...prev.ctx, auth } : null;
        if (ctx) return outsideZone(() => withSharesAdded(db, cid, { ...prev, ctx }, basis, shares));
      }
      return computeOutsideZone(db, cid, basis && withRecords(basis, added));
    })
  );
}

/** Does `auth` differ from `before` only in members no record of `basis` names, so that its key records are judged alike? */
function joinedAlike(auth: Authority, before: Authority, basis: readonly AnyRecord[]): boolean {
  const moved = membersMoved(auth, before);
  return moved !== null && judgedAlike(basis, moved);
}

/** `prev` with key shares added: only they are judged (`withShares`), under `prev`'s context. */
function withSharesAdded(db: HearthDb, cid: string, prev: KeyState, basis: readonly AnyRecord[], shares: SignedRecord<'key-share'>[]): Promise<KeyState> {
  return stateOf(db, cid, withShares(prev.view, prev.ctx, shares), prev.ctx, withRecords(basis, shares));
}

/**
 * Computed outside whatever Dexie zone asked (a liveQuery may not write, and this stores keys): a
 * timer callback starts in the global zone.
 */
function computeOutsideZone(db: HearthDb, cid: string, basis?: AnyRecord[]): Promise<KeyState | null> {
  return outsideZone(() => computeKeyState(db, cid, basis));
}

function outsideZone<T>(fn: () => Promise<T>): Promise<T> {
  return new Promise((resolve, reject) => setTimeout(() => fn().then(resolve, reject)));
}

/** Caches `computing` as the community's key state; a failure is not remembered (the next ask tries again). */
function remember(perDb: Map<string, Promise<KeyState | null>>, cid: string, computing: Promise<KeyState | null>): Promise<KeyState | null> {
  const s: Promise<KeyState | null> = computing.catch((error) => {
    if (perDb.get(cid) === s) perDb.delete(cid);
    console.error('key state', error instanceof Error ? `${error.name}: ${error.message}\n${error.stack}` : error);
    return null;
  });
  perDb.set(cid, s);
  return s;
}

/** `basis` with `added` in place of any record of the same id (a new array: bases are never changed). */
function withRecords(basis: readonly AnyRecord[], added: readonly AnyRecord[]): AnyRecord[] {
  const ids = new Set(added.map((r) => r.id));
  return [...basis.filter((r) => !ids.has(r.id)), ...added];
}

async function computeKeyState(db: HearthDb, cid: string, basis?: AnyRecord[]): Promise<KeyState | null> {
  const auth = await authorityOf(db, cid);
  if (!auth) return null;
  const records = basis ?? (await recordsOfKinds(db, cid, KEY_CONTEXT_KINDS));
  const ctx = scopeContext(records, auth);
  return stateOf(db, cid, validKeyRecords(records, ctx), ctx, records);
}

/** The key state of a view: the keys this device holds of it, new ones unwrapped and stored. */
async function stateOf(db: HearthDb, cid: string, view: EpochView, ctx: ScopeContext, basis: readonly AnyRecord[]): Promise<KeyState> {
  const reader = await readerOf(db);
  const row = await db.keyrings.get(cid);
  const stored: Keyring = new Map((row?.keys ?? []).map((k) => [k.epoch, k as EpochKey]));
  let ring: Keyring = stored;
  if (reader) {
    ring = await buildKeyring(view, cid, reader, stored);
    if (ring.size > stored.size) await db.keyrings.put({ cid, keys: [...ring.values()] });
  }
  const state = { view, ctx, keys: acceptedKeys(ring, view) };
  basisOf.set(state, basis);
  return state;
}

/** A plaintext record standing for a sealed one, with the sealed original for the shared document. */
export type OpenedRecord = AnyRecord & { sealedAs: SignedRecord<'sealed'> };

/**
 * Opens the sealed records of a batch that this device holds keys for; others pass unchanged (a
 * sealed row stays until its key arrives, see `reopenSealed`).
 */
export async function openSealed(db: HearthDb, cid: string, records: AnyRecord[]): Promise<AnyRecord[]> {
  if (!records.some((r) => r.kind === 'sealed')) return records;
  const state = await keyState(db, cid);
  if (!state?.keys.size) return records;
  return Promise.all(records.map((r) => (r.kind === 'sealed' ? openOne(r, state) : r)));
}

async function openOne(r: SignedRecord<'sealed'>, state: KeyState): Promise<AnyRecord> {
  // Written under a scope its author was not entitled to then (a lapsed member who kept an old key):
  // not opened, so it is never shown, whoever can decrypt it.
  const scope = parseScope(r.body.sealed.scope);
  if (!scope || !isEntitled(state.ctx, r.author, scope, r.ts)) return r;
  const opened = await openContent(r, state.keys);
  if (!opened.ok) return r;
  return {
    id: r.id,
    kind: opened.value.kind,
    cid: r.cid,
    author: r.author,
    ts: r.ts,
    ...(r.prev === undefined ? {} : { prev: r.prev }),
    body: opened.value.body,
    sig: r.sig,
    sealedAs: r
  } as OpenedRecord;
}

/**
 * Whose stored sealed rows a batch may open: null for anyone's (keys came, or entitlement moved), or
 * only the members it lets in, when its only records that change keys or entitlement are joins and
 * admissions. A member's sealed posts may have come before their join; no one else's open by it.
 */
export async function openableBy(db: HearthDb, records: readonly AnyRecord[], invites: ReadonlyMap<string, unknown>): Promise<string[] | null> {
  const changing = records.filter((r) => KEY_CONTEXT.has(r.kind) || affectsAuthority(r, invites));
  if (!changing.every((r) => r.kind === 'join' || r.kind === 'admit')) return null;
  const admitted = changing.flatMap((r) => (r.kind === 'admit' ? r.body.joins : []));
  const joins = admitted.length ? await recordsById(db, admitted) : [];
  return [...new Set([...changing.filter((r) => r.kind === 'join').map((r) => r.author), ...joins.flatMap((j) => (j?.kind === 'join' ? [j.author] : []))])];
}

/**
 * Stored sealed rows that the current keys open, opened: to project again after keys arrived.
 * `authors` (`openableBy`): only theirs. Reading every sealed row of a 10,000-member community for a
 * newcomer's join took 0.3–0.6 s of the creator's device between the join and the key share.
 */
export async function reopenSealed(db: HearthDb, cid: string, authors: readonly string[] | null = null): Promise<AnyRecord[]> {
  if (authors?.length === 0) return [];
  const state = await keyState(db, cid);
  if (!state?.keys.size) return [];
  const sealed = (
    authors ? (await recordsByAuthors(db, cid, authors)).filter((r) => r.kind === 'sealed') : await recordsOfKind(db, cid, 'sealed')
  ) as (SignedRecord<'sealed'> & StoredRecord)[];
  const opened: AnyRecord[] = [];
  for (const row of sealed) {
    if (!state.keys.has(row.body.sealed.epoch)) continue;
    const { target: _t, held: _h, ...record } = row;
    const r = await openOne(record as SignedRecord<'sealed'>, state);
    if (r.kind !== 'sealed') opened.push(r);
  }
  return opened;
}

/** The shared form of a stored row: the sealed original when the row holds opened plaintext. */
export function sharedForm(row: StoredRecord): AnyRecord {
  const { target: _t, held: _h, sealedAs, ...record } = row as StoredRecord & { sealedAs?: SignedRecord<'sealed'> };
  return (sealedAs ?? record) as AnyRecord;
}

export type { EpochKey };

/** Writing sealable content needs the scope's current key, which this device does not hold yet. */
export class KeyWaitError extends Error {
  constructor(readonly scope: string) {
    super(`waiting for a key of ${scope}`);
  }
}

/**
 * The scope a post is sealed under: a thread limited to one tier is that tier's, one limited to a
 * points level `points:<n>`; the rest of a thread follows it.
 */
export async function scopeOfDraft(db: HearthDb, kind: string, body: Record<string, unknown>): Promise<Scope> {
  const ofThread = (t: AnyRecord | undefined): Scope => {
    if (t?.kind !== 'thread') return 'all';
    if (t.body.tiers?.length === 1) return tierScope(t.body.tiers[0]);
    return t.body.level ? pointsScope(t.body.level) : 'all';
  };
  const ofPost = async (id: unknown): Promise<Scope> => {
    if (typeof id !== 'string') return 'all';
    const r = await recordById(db, id);
    if (r?.kind === 'reply') return ofThread(await recordById(db, r.body.thread));
    return ofThread(r);
  };
  if (kind === 'thread') return ofThread({ kind, body } as AnyRecord);
  if (kind === 'series' || kind === 'event') return typeof body.tier === 'string' ? tierScope(body.tier) : 'all';
  if (kind === 'rsvp' || kind === 'event-checkin') {
    // An answer to an event is read by whoever reads the event: its first record's scope.
    const event = typeof body.event === 'string' ? await recordById(db, body.event) : undefined;
    return event?.kind === 'event' && event.body.tier ? tierScope(event.body.tier) : 'all';
  }
  if (kind === 'reply' || kind === 'poll') return ofPost(body.thread);
  if (kind === 'reaction' || kind === 'edit' || kind === 'feature') return ofPost(body.target);
  return 'all';
}

/**
 * The key to seal a draft with, as data (it crosses the community worker's port): `scope` null for a
 * kind that is never sealed; `key` null when the scope has no epoch yet (content stays in clear until
 * the creator's or an admin's device starts one); `waiting` when it has epochs but this device holds
 * none of the newest.
 */
export interface SealingKey {
  scope: Scope | null;
  key: EpochKey | null;
  waiting: boolean;
}

export async function sealingKeyFor(db: HearthDb, cid: string, kind: string, body: Record<string, unknown>): Promise<SealingKey> {
  if (!(kind in SEALABLE)) return { scope: null, key: null, waiting: false };
  const [state, scope] = await Promise.all([keyState(db, cid), scopeOfDraft(db, kind, body)]);
  if (!state?.view.byScope.get(scope)?.length) return { scope, key: null, waiting: false };
  const epoch = epochForSealing(state.view, scope, (id) => state.keys.has(id));
  return epoch ? { scope, key: state.keys.get(epoch.id)!, waiting: false } : { scope, key: null, waiting: true };
}

/** The key of an answer; throws KeyWaitError while this device waits for one. */
export function keyOrWait(answer: SealingKey): EpochKey | null {
  if (answer.waiting) throw new KeyWaitError(answer.scope ?? 'all');
  return answer.key;
}
