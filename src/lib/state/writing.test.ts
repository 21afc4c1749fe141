// The one write path as a page runs it: its own database holds nothing, the community's records and
// answers are the device's (the community worker's store), and every write links to the last.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { countingReads } from '../../../tests/unit/counting-reads';
import { newCommunity, newMember } from '../../../tests/unit/community-fixture';
import type { Identity } from '../crypto/identity';
import { sealRecord } from '../crypto/record-seal';
import type { AnyRecord } from '../domain/record';
import { HearthDb } from '../store/db';
import type { AppendResult } from '../sync/community-doc';
import { CommunityDoc } from '../sync/community-doc';
import { readsOver } from '../sync/community-reads';
import { writeRecord, type WritingHost } from './writing';

let dbs = 0;

/** Alice's community on a device whose store holds her profile and a thread linked to it; the page's host over it. */
async function alicesPage() {
  const alice = await newMember();
  const g = await newCommunity(alice);
  const device = new CommunityDoc(new HearthDb(`writing-device-${dbs++}`), g.id);
  await device.open();
  const profile = await sealRecord(alice, { kind: 'profile', cid: g.id, ts: Date.now() - 60_000, body: { name: 'Alice' } });
  const thread = await sealRecord(alice, { kind: 'thread', cid: g.id, ts: Date.now() - 30_000, prev: profile.id, body: { title: 'Rides', body: 'Saturday' } });
  for (const r of [g, profile, thread]) expect((await device.append(r as AnyRecord)).ok).toBe(true);
  const page = countingReads(`writing-page-${dbs++}`, ['records', 'recordPages']);
  const host = pageHost(alice, device, page.db);
  return { alice, device, page, host, tip: thread.id };
}

function pageHost(identity: Identity, device: CommunityDoc, page: HearthDb): WritingHost {
  return {
    cid: device.cid,
    db: page,
    identity,
    reads: readsOver(device.db),
    posting: { check: async () => null },
    isStaff: () => false,
    document: async () => device
  };
}

function prevOf(result: AppendResult): string | undefined {
  if (!result.ok) throw new Error(result.reason);
  return result.record.prev;
}

function idOf(result: AppendResult): string {
  if (!result.ok) throw new Error(result.reason);
  return result.record.id;
}

describe('writeRecord on a page', () => {
  it("links the session's first write to the author's newest record the worker holds, and the next to the first, reading nothing of the page's store", async () => {
    const { page, host, tip } = await alicesPage();
    const first = await writeRecord(host, 'reply', { thread: tip, parent: tip, body: 'I am in' }, Date.now());
    expect(prevOf(first)).toBe(tip);
    const second = await writeRecord(host, 'reply', { thread: tip, parent: tip, body: 'Bringing coffee' }, Date.now());
    expect(prevOf(second)).toBe(idOf(first));
    expect(page.reads()).toBe(0);
  });

  it('links two writes made at once one after the other, not both to the tip before them', async () => {
    const { host, tip } = await alicesPage();
    const [a, b] = await Promise.all([
      writeRecord(host, 'reply', { thread: tip, parent: tip, body: 'First' }, Date.now()),
      writeRecord(host, 'reply', { thread: tip, parent: tip, body: 'Second' }, Date.now())
    ]);
    expect(prevOf(a)).toBe(tip);
    expect(prevOf(b)).toBe(idOf(a));
  });
});
