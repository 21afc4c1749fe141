// Key records and keyrings for unit tests: real X25519 wraps, real signatures.
import { buildKeyring, newEpoch, shareEpoch, type EpochKey, type Keyring } from '../../src/lib/crypto/epoch-keys';
import { memberBoxKeyOf } from '../../src/lib/crypto/member-box';
import { sealRecord } from '../../src/lib/crypto/record-seal';
import type { Identity } from '../../src/lib/crypto/identity';
import type { EpochView } from '../../src/lib/domain/epochs';
import type { BodyOf, SignedRecord } from '../../src/lib/domain/record';
import type { Scope } from '../../src/lib/domain/scopes';

/** A new epoch of `scope` by `author` at `ts`, wrapped for `recipients`: its signed parts and its key. */
export async function rotate(
  author: Identity,
  cid: string,
  ts: number,
  scope: Scope,
  recipients: readonly string[],
  parents: readonly string[] = [],
  reason: BodyOf<'key'>['reason'] = 'manual'
): Promise<{ epoch: string; key: Uint8Array; records: SignedRecord<'key'>[] }> {
  const made = await newEpoch({ cid, scope, parents, reason, recipients });
  const records = await Promise.all(made.bodies.map((body) => sealRecord(author, { kind: 'key', cid, ts, body })));
  return { epoch: made.epoch, key: made.key, records };
}

export async function share(author: Identity, cid: string, ts: number, key: EpochKey, recipients: readonly string[]): Promise<SignedRecord<'key-share'>[]> {
  const { bodies } = await shareEpoch({ cid, key, recipients });
  return Promise.all(bodies.map((body) => sealRecord(author, { kind: 'key-share', cid, ts, body })));
}

export async function keyringOf(member: Identity, view: EpochView, cid: string, previous?: Keyring) {
  const box = await memberBoxKeyOf(member);
  if (!box) throw new Error('no member box key');
  return buildKeyring(view, cid, box, previous);
}
