// Builds real signed records for unit tests: real keys, real signatures, no stubs.
import { generateIdentity, type Identity } from '../../src/lib/crypto/identity';
import { sealRecord } from '../../src/lib/crypto/record-seal';
import type { AnyRecord, BodyOf, Kind, SignedRecord } from '../../src/lib/domain/record';

export async function newMember(): Promise<Identity> {
  return (await generateIdentity()).identity;
}

export async function newCommunity(creator: Identity, name = 'Morning riders'): Promise<SignedRecord<'genesis'>> {
  return sealRecord(creator, {
    kind: 'genesis',
    cid: '',
    ts: 1_700_000_000_000,
    body: { name, description: 'A test community', emoji: '🚲', color: '#cc5500', createdAt: 1_700_000_000_000, nonce: 'n1' }
  });
}

export function writer(identity: Identity, cid: string, start = 1_700_000_001_000) {
  let ts = start;
  return <K extends Kind>(kind: K, body: BodyOf<K>, at?: number): Promise<SignedRecord<K>> =>
    sealRecord(identity, { kind, cid, ts: at ?? (ts += 1000), body });
}

export type AnyWriter = ReturnType<typeof writer>;
export type { AnyRecord };
