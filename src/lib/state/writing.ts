// The one write path of a member's records in a community: the posting policy, then the seal (this
// member's chain, its tip and the key from the community worker), then the append. CommunityState
// writes through it for every kind (posts, notes and their edits, surveys, staff actions), over the
// few things it needs of the community; no page or component seals or appends a record itself.
import type { Identity } from '../crypto/identity';
import { SEALABLE, type AnyRecord, type BodyOf, type Kind, type SignedRecord } from '../domain/record';
import type { HearthDb } from '../store/db';
import { KeyWaitError } from '../store/keyring';
import { sealNext } from '../store/record-chain';
import type { AppendResult } from '../sync/community-doc';
import type { CommunityReads } from '../sync/community-reads';
import type { DocHandle } from '../sync/doc-handle';
import type { Posting } from './posting';

/** What the write path needs of its community. */
export interface WritingHost {
  readonly cid: string;
  readonly db: HearthDb;
  readonly identity: Identity;
  readonly reads: Pick<CommunityReads, 'sealingKey' | 'chainTip'>;
  readonly posting: Pick<Posting, 'check'>;
  /** Creator or admin: their first post in a scope starts its first epoch. */
  isStaff(): boolean;
  /** The community's document, opened on demand. */
  document(): Promise<DocHandle>;
}

/** Seals `body` as this member's record of `kind` (a plain value: it crosses to the worker) and publishes it. */
export async function writeRecord<K extends Kind>(host: WritingHost, kind: K, body: BodyOf<K>, ts: number): Promise<AppendResult> {
  const { cid, reads } = host;
  // The key comes from the community worker, which holds the key state (every epoch's wraps). Asked
  // for beside the posting check, not after it: one round trip to the worker fewer before a post goes.
  const asked = kind === 'genesis' ? null : reads.sealingKey(cid, kind, body as Record<string, unknown>);
  asked?.catch(() => {}); // a refused post leaves it unread; a failure is met again when it is read
  const refused = await host.posting.check(kind, body as AnyRecord['body'], ts);
  if (refused) return refused;
  const doc = await host.document();
  let early = await asked;
  // A scope's first post by staff starts its first epoch (a new tier's, say) rather than going out in clear.
  if (early && kind in SEALABLE && host.isStaff() && early.scope && !early.key && !early.waiting) {
    await doc.maintainKeys(host.identity, Date.now(), [early.scope]);
    early = null;
  }
  const keys = (c: string, k: Kind, b: Record<string, unknown>) =>
    early && c === cid && k === kind && b === body ? Promise.resolve(early) : reads.sealingKey(c, k, b);
  let record: SignedRecord;
  try {
    // The chain's tip from the worker too: the page's store would build its catalogue of every stored
    // record for it (seconds at 100,000 records). Asked once a session; sealNext keeps the tips it seals.
    record = await sealNext(host.db, host.identity, { kind, cid, ts, body }, { keys, tip: (c, author) => reads.chainTip(c, author) });
  } catch (error) {
    if (error instanceof KeyWaitError) return { ok: false, reason: 'keys.waiting' };
    throw error;
  }
  return doc.append(record as AnyRecord);
}
