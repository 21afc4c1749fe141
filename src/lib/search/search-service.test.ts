// The search worker's service beside the community worker's host, as in a browser tab: the host
// journals what it accepts, the service's index follows the journal. Here both run in one Node
// thread over fake-indexeddb, so rows reach the index in-process; between threads they go over a
// BroadcastChannel (tested below with a channel of the test's own, and in the browser by
// tests/e2e/search.spec.ts).
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { admit, newCommunity, newMember, writer } from '../../../tests/unit/community-fixture';
import type { AnyRecord } from '../domain/record';
import { HearthDb } from '../store/db';
import { DocHost } from '../sync/doc-host';
import { JOURNAL_CHANNEL, onJournal, writeJournal } from './journal';
import { SearchDb } from './search-db';
import { SearchService, type SearchEvent } from './search-service';

let n = 0;

describe('the search service', () => {
  it("follows the community worker's journal, tells the page its status, and answers a reader with what they may read", async () => {
    const alice = await newMember();
    const bob = await newMember();
    const g = await newCommunity(alice);
    const db = new HearthDb(`search-service-${n++}`);
    const host = new DocHost(db);
    for (const r of [g, ...(await admit(alice, bob, g.id))] as AnyRecord[]) expect((await host.append(g.id, r)).ok).toBe(true);
    const a = writer(alice, g.id);
    const open = await a('thread', { title: 'Tubeless sealant', body: 'topping up every three months' });
    const limited = await a('thread', { title: 'Gold sealant secrets', body: 'for gold members', tiers: ['gold'] });
    // A reply takes its thread's tiers (a query reads them from the index, not the thread's row).
    const limitedReply = await a('reply', { thread: limited.id, parent: limited.id, body: 'more sealant, less latex' });
    for (const r of [open, limited, limitedReply]) expect((await host.append(g.id, r)).ok).toBe(true);

    const service = new SearchService(db);
    const events: SearchEvent[] = [];
    const channel = new MessageChannel();
    channel.port1.onmessage = (e: MessageEvent<SearchEvent>) => events.push(e.data);
    service.listen(channel.port2);
    await service.status(g.id);
    await expect.poll(() => events.some((e) => e.status === 'ready' && !e.measure), { timeout: 10_000 }).toBe(true);
    expect(events.some((e) => e.measure?.name === 'hearth-search.build')).toBe(true);

    const bobReads = { me: bob.publicKey, moderator: false, tier: null };
    expect((await service.search(g.id, 'sealant', 20, bobReads)).results.map((r) => r.id)).toEqual([open.id]);
    const goldReads = { ...bobReads, tier: 'gold' };
    expect((await service.search(g.id, 'sealant', 20, goldReads)).results.map((r) => r.id).sort()).toEqual([open.id, limited.id, limitedReply.id].sort());

    // Written later through the host (a peer's post, say): the host journals it, the index follows.
    const later = await writer(bob, g.id)('thread', { title: 'Sealant in winter', body: 'it thickens below zero' });
    expect((await host.append(g.id, later)).ok).toBe(true);
    await expect.poll(async () => (await service.search(g.id, 'thickens', 20, bobReads)).results.map((r) => r.id), { timeout: 10_000 }).toEqual([later.id]);
    channel.port1.close();
  });

  it('hears journal rows written in another thread, and makes writers there journal a community whose index it opened', async () => {
    const other = new BroadcastChannel(JOURNAL_CHANNEL);
    const heard: { cid: string; t: string }[] = [];
    other.onmessage = (e: MessageEvent<{ cid: string; t: string }>) => heard.push(e.data);
    const told: number[] = [];
    const off = onJournal('cid-x', (since) => told.push(since));
    // Opening asks the other threads' writers to journal it.
    await expect.poll(() => heard.some((m) => m.t === 'open' && m.cid === 'cid-x')).toBe(true);
    // A row written there reaches this thread's index, with the announcement in this thread's clock.
    const at = performance.timeOrigin + performance.now() - 40;
    other.postMessage({ t: 'row', cid: 'cid-x', at });
    await expect.poll(() => told.length).toBe(1);
    expect(told[0]).toBeCloseTo(at - performance.timeOrigin, 3);

    // And the other way round: told that an index is open elsewhere, this thread journals a community that has no snapshot.
    const sdb = new SearchDb(`search-service-journal-${n++}`);
    const db = new HearthDb(`search-service-${n++}`);
    other.postMessage({ t: 'open', cid: 'cid-y' });
    await expect
      .poll(async () => {
        await writeJournal(db, sdb, 'cid-y', []);
        return sdb.dirty.where('cid').equals('cid-y').count();
      })
      .toBeGreaterThan(0);
    off();
    other.close();
  });
});
