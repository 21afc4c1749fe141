// The search index follows the community: built from the projections, updated from the records
// CommunityDoc accepts (edits, deletions, hiding), kept out of reach of strangers, and stored in
// its own IndexedDB database. Dexie runs on fake-indexeddb; the e2e tests use Chromium's.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { admit, inviteKey, joinBody, newCommunity, newMember, writer } from '../../../tests/unit/community-fixture';
import { sealRecord } from '../crypto/record-seal';
import type { Identity } from '../crypto/identity';
import type { AnyRecord } from '../domain/record';
import { HearthDb } from '../store/db';
import { CommunityDoc } from '../sync/community-doc';
import type { DocHandle } from '../sync/doc-handle';
import { ShardedCommunity } from '../sync/sharded-community';
import { CommunitySearch } from './community-search';
import { SearchDb } from './search-db';
import { until } from '../sync/shards/shard-test-kit';
import { journalDoc, journalIdle } from './journal';

let n = 0;

async function setup() {
  const alice = await newMember();
  const bob = await newMember();
  const g = await newCommunity(alice);
  const db = new HearthDb(`search-${n}`);
  const sdb = new SearchDb(`search-index-${n++}`);
  const doc = new CommunityDoc(db, g.id);
  await doc.open();
  const add = async (...records: AnyRecord[]) => {
    for (const r of records) expect((await doc.append(r)).ok).toBe(true);
  };
  await add(g, ...(await admit(alice, bob, g.id)));
  const a = writer(alice, g.id, 1_700_000_010_000);
  const b = writer(bob, g.id, 1_700_000_020_000);
  return { alice, bob, g, db, sdb, doc, add, a, b };
}

async function openSearch(db: HearthDb, sdb: SearchDb, doc: DocHandle) {
  const search = new CommunitySearch(db, doc.cid, sdb);
  await search.open(doc);
  return search;
}

async function ids(search: CommunitySearch, query: string) {
  await search.settled();
  return (await search.search(query)).results.map((r) => r.id);
}

/** A note-edit record carrying a Yjs update that writes `text` as one paragraph of the note. */
async function noteEdit(w: ReturnType<typeof writer>, note: string, text: string) {
  const Y = await import('yjs');
  const { toBase64Url } = await import('../crypto/encoding');
  const d = new Y.Doc();
  const p = new Y.XmlElement('paragraph');
  p.insert(0, [new Y.XmlText(text)]);
  d.getXmlFragment('body').insert(0, [p]);
  return w('note-edit', { note, update: toBase64Url(Y.encodeStateAsUpdate(d)) });
}

describe('community search', () => {
  it('finds a note by words of its text, but not words from edits by members who may not edit it', async () => {
    const { db, sdb, doc, add, a, b } = await setup();
    const note = await a('note', { title: 'Packing list', access: 'members', members: [] });
    await add(note, await noteEdit(a, note.id, 'bring a spare inner tube'), await noteEdit(b, note.id, 'forged casino text'));
    const search = await openSearch(db, sdb, doc);
    expect(await ids(search, 'inner tube')).toEqual([note.id]);
    expect(await ids(search, 'casino')).toEqual([]);
    await add(await noteEdit(a, note.id, '还要带打气筒'));
    expect(await ids(search, '打气筒')).toEqual([note.id]);
  });

  it('finds threads and replies written before it opened and after, with highlights and links', async () => {
    const { db, sdb, doc, add, a, b, g } = await setup();
    const thread = await a('thread', { title: '周末骑行计划', body: '我们周末去骑**自行车**，路线经过西湖。' });
    await add(thread);
    const search = await openSearch(db, sdb, doc);
    expect(search.status).toBe('ready');
    expect(await ids(search, '自行车')).toEqual([thread.id]);

    const reply = await b('reply', { thread: thread.id, parent: thread.id, body: 'Count me in, my brakes are fixed.' });
    await add(reply);
    expect(await ids(search, 'braking')).toEqual([reply.id]);
    const view = (await search.search('braking')).results[0];
    expect(view.link).toBe(`/c/${g.id}/t/${thread.id}#post-${reply.id}`);
    expect(view.inContext).toBe(true);
    expect(view.title.map((p) => p.text).join('')).toBe('周末骑行计划');
    expect(view.snippet.filter((p) => p.hit).map((p) => p.text)).toEqual(['brakes']);
  });

  it("shows a reply's thread title as it is now, for a reply to a reply and after the title's edit, from an index stored and loaded again", async () => {
    const { db, sdb, doc, add, a, b } = await setup();
    const chain = await a('thread', { title: 'Chain wear', body: 'When to replace it?' });
    const brakes = await b('thread', { title: 'Brake pads', body: 'Which compound?' });
    await add(chain, brakes);
    const r1 = await b('reply', { thread: chain.id, parent: chain.id, body: 'Every 3000 km or so' });
    await add(r1);
    const r2 = await a('reply', { thread: chain.id, parent: r1.id, body: 'Better: measure it with a gauge' });
    const r3 = await a('reply', { thread: brakes.id, parent: brakes.id, body: 'Sintered ones squeal in the rain' });
    await add(r2, r3);
    const titleOf = async (search: CommunitySearch, query: string) => {
      await search.settled();
      return (await search.search(query)).results.map((r) => [r.id, r.title.map((p) => p.text).join('')]);
    };
    const first = await openSearch(db, sdb, doc);
    expect(await titleOf(first, 'gauge')).toEqual([[r2.id, 'Chain wear']]);
    await add(await a('edit', { target: chain.id, title: 'Chain stretch', body: 'When to replace it?' }));
    expect(await titleOf(first, 'gauge')).toEqual([[r2.id, 'Chain stretch']]);
    await first.flush();
    first.close();

    const again = await openSearch(db, sdb, doc);
    expect(await titleOf(again, 'gauge')).toEqual([[r2.id, 'Chain stretch']]);
    expect(await titleOf(again, 'squeal')).toEqual([[r3.id, 'Brake pads']]);
    // A deleted parent's replies stay found; a deleted thread's go.
    await add(await b('tombstone', { target: r1.id }));
    expect(await titleOf(again, 'gauge')).toEqual([[r2.id, 'Chain stretch']]);
    await add(await b('tombstone', { target: brakes.id }));
    expect(await titleOf(again, 'squeal')).toEqual([]);
    again.close();
  });

  it("an index keeps each thread's title and tiers through edits, removal and a round trip to bytes", async () => {
    const { CommunityIndex } = await import('./search-index');
    const doc = (id: string, kind: 'thread' | 'reply', title: string, body: string, tiers: string[] = []) => ({
      id,
      cid: 'c',
      kind,
      title,
      body,
      context: '',
      parent: '',
      author: 'a',
      ts: 1,
      tiers
    });
    const index = CommunityIndex.empty();
    index.put(doc('t1', 'thread', 'Chain wear', 'replace when?'));
    index.put(doc('t2', 'thread', 'Brake pads', 'compound'));
    index.put(doc('r1', 'reply', '', 'use a gauge'));
    index.put(doc('t1', 'thread', 'Chain stretch', 'replace when?', ['gold']));
    index.remove('t2');
    const loaded = await CommunityIndex.fromBytes(await index.toBytes());
    for (const i of [index, loaded]) {
      expect(i.thread('t1')).toEqual({ title: 'Chain stretch', tiers: ['gold'] });
      expect(i.thread('t2')).toBeUndefined();
      expect(i.thread('r1')).toBeUndefined();
    }
  });

  it('follows edits, deletions and hiding: old words and gone posts are not found', async () => {
    const { db, sdb, doc, add, a, b } = await setup();
    const t1 = await a('thread', { title: 'Saddle height', body: 'How high should the saddle be?' });
    const t2 = await b('thread', { title: 'Tubeless tyres', body: 'Sealant every six months' });
    await add(t1, t2);
    const r1 = await b('reply', { thread: t1.id, parent: t1.id, body: 'Use the heel method' });
    await add(r1);
    const search = await openSearch(db, sdb, doc);
    expect(await ids(search, 'saddle')).toEqual([t1.id]);
    expect(await ids(search, 'heel')).toEqual([r1.id]);

    await add(await a('edit', { target: t1.id, title: 'Seat post height', body: 'How high should the seat post be?' }));
    expect(await ids(search, 'saddle')).toEqual([]);
    expect(await ids(search, 'seat post')).toEqual([t1.id]);

    // A moderator (the creator) hides Bob's thread; Bob deletes nothing, yet it is gone from search.
    await add(await a('hide', { target: t2.id, hidden: true }));
    expect(await ids(search, 'tubeless')).toEqual([]);
    await add(await a('hide', { target: t2.id, hidden: false }));
    expect(await ids(search, 'tubeless')).toEqual([t2.id]);

    // Deleting a thread takes its replies out of search too.
    await add(await a('tombstone', { target: t1.id }));
    expect(await ids(search, 'seat')).toEqual([]);
    expect(await ids(search, 'heel')).toEqual([]);
  });

  it('never finds a stranger’s post, nor another member’s edit of someone’s post', async () => {
    const { db, sdb, doc, add, a, g } = await setup();
    const mallory: Identity = await newMember();
    const t = await a('thread', { title: 'Gear ratios', body: 'climbing gears' });
    await add(t);
    const search = await openSearch(db, sdb, doc);
    await add(await writer(mallory, g.id)('thread', { title: 'Cheap watches', body: 'spam spam' }));
    await add(await writer(mallory, g.id)('edit', { target: t.id, title: 'Cheap watches', body: 'spam' }));
    expect(await ids(search, 'watches')).toEqual([]);
    expect(await ids(search, 'climbing')).toEqual([t.id]);
  });

  it('finds questions, answers, polls and notes, and not a deleted answer', async () => {
    const { db, sdb, doc, add, a, b, g } = await setup();
    const q = await a('question', { title: 'Which chain lube?', body: 'Wet or dry conditions' });
    const ans = await b('answer', { question: q.id, body: 'Wax works best in dry weather' });
    const poll = await a('poll', { title: '最喜欢的路线', options: ['西湖', '千岛湖'], multiple: false, maxChoices: 1, closesAt: null, results: 'always' });
    const note = await a('note', { title: 'Group ride etiquette', access: 'everyone' });
    await add(q, ans, poll, note);
    const search = await openSearch(db, sdb, doc);
    expect(await ids(search, 'lube')).toEqual([q.id]);
    expect(await ids(search, 'wax')).toEqual([ans.id]);
    expect(await ids(search, '千岛湖')).toEqual([poll.id]);
    expect(await ids(search, 'etiquette')).toEqual([note.id]);
    const answerView = (await search.search('wax')).results[0];
    expect(answerView.link).toBe(`/c/${g.id}/q/${q.id}#answer-${ans.id}`);
    await add(await b('tombstone', { target: ans.id }));
    expect(await ids(search, 'wax')).toEqual([]);
  });

  it('keeps its index in its own database, catches up on what arrived while closed, and rebuilds on a version change', async () => {
    const { db, sdb, doc, add, a } = await setup();
    const t1 = await a('thread', { title: 'Night riding lights', body: 'dynamo hubs' });
    await add(t1);
    const first = await openSearch(db, sdb, doc);
    await first.flush();
    first.close();
    const snap = await sdb.snapshots.get(doc.cid);
    expect(snap?.docs).toBe(1);
    expect(snap!.bytes.byteLength).toBeGreaterThan(0);

    // Written while no index was open on this page, and no journal kept it (another app version).
    const fresh = new CommunityDoc(db, doc.cid);
    await fresh.open();
    const t2 = await a('thread', { title: 'Winter gloves', body: 'lobster mitts' });
    expect((await fresh.append(t2)).ok).toBe(true);
    await fresh.settled();

    const second = await openSearch(db, sdb, fresh);
    expect(await ids(second, 'dynamo')).toEqual([t1.id]);
    expect(await ids(second, 'lobster')).toEqual([t2.id]);
    second.close();

    await sdb.snapshots.update(doc.cid, { version: 0 });
    const third = await openSearch(db, sdb, fresh);
    expect(await ids(third, 'gloves')).toEqual([t2.id]);
    expect((await sdb.snapshots.get(doc.cid))?.version).toBeGreaterThan(0);
    third.close();
  });

  it('keeps no journal for a community never searched here, and one once it has an index', async () => {
    const { db, sdb, doc, add, a } = await setup();
    journalDoc(db, doc, sdb);
    await add(await a('thread', { title: 'Unsearched', body: 'nobody looked' }));
    await journalIdle(doc.cid);
    expect(await sdb.dirty.count()).toBe(0);
    const search = await openSearch(db, sdb, doc);
    search.close();
    await add(await a('thread', { title: 'Searched since', body: 'journaled' }));
    await journalIdle(doc.cid);
    expect(await sdb.dirty.count()).toBe(1);
  });
});

describe('search in a community held in shards', () => {
  it('drops the threads of a month the device evicts from the index, and finds the newest month’s still', async () => {
    const alice = await newMember();
    const g = await newCommunity(alice);
    const db = new HearthDb(`search-${n}`);
    const sdb = new SearchDb(`search-index-${n++}`);
    const doc = new ShardedCommunity(db, g.id);
    await doc.open();
    const MONTH = 31 * 24 * 3600_000;
    const records: AnyRecord[] = [g];
    records.push(await writer(alice, g.id, 1_700_000_010_000)('thread', { title: 'Tubeless sealant in winter', body: 'old month' }));
    records.push(await writer(alice, g.id, 1_700_000_010_000 + MONTH)('thread', { title: 'Chain wax or oil', body: 'new month' }));
    for (const r of records) expect((await doc.append(r)).ok).toBe(true);
    await doc.settled();
    const search = await openSearch(db, sdb, doc);
    expect(await ids(search, 'sealant')).toEqual([records[1].id]);
    const before = search.docs;
    expect(await doc.keepMonths(1, null, 1_700_000_010_000 + MONTH + 1000)).toHaveLength(1);
    // Gone from the index itself, before any query meets it (a hit the projections no longer show
    // leaves the index only when a query returns it).
    await until(() => search.docs === before - 1, 3_000, 'the evicted thread out of the index');
    expect(await ids(search, 'sealant')).toEqual([]);
    expect(await ids(search, 'wax')).toEqual([records[2].id]);
    search.close();
    doc.close();
  });
});

describe('search and a member whose hides start or stop counting', () => {
  it('takes out of search the thread, question, poll and note a member hid once their trust reaches 3, and puts them back when it falls', async () => {
    const { db, sdb, doc, add, a, b, bob } = await setup();
    const t = await a('thread', { title: 'Cheap watches here', body: 'spam thread' });
    const q = await a('question', { title: 'Cheap watches question', body: 'spam question' });
    const poll = await a('poll', { title: 'Cheap watches poll', options: ['yes', 'no'], multiple: false, maxChoices: 1, closesAt: null, results: 'always' });
    const note = await a('note', { title: 'Cheap watches note', access: 'everyone' });
    await add(t, q, poll, note);
    // Bob (trust 0) hides all four: his hides do not count yet.
    for (const target of [t, q, poll, note]) await add(await b('hide', { target: target.id, hidden: true }));
    const search = await openSearch(db, sdb, doc);
    const found = [t.id, q.id, poll.id, note.id].sort();
    expect((await ids(search, 'watches')).sort()).toEqual(found);

    await add(await a('trust', { member: bob.publicKey, level: 3 }));
    expect(await ids(search, 'watches')).toEqual([]);
    await add(await a('trust', { member: bob.publicKey, level: 2 }));
    expect((await ids(search, 'watches')).sort()).toEqual(found);
  });
});

describe('search and a seat confirmed later', () => {
  it('finds the thread a newcomer wrote before their seat on a limited invite was confirmed, once the admit arrives', async () => {
    const { db, sdb, doc, add, a, alice, g } = await setup();
    const carol = await newMember();
    const once = await sealRecord(alice, {
      kind: 'invite',
      cid: g.id,
      ts: 1_700_000_000_600,
      body: { role: 'member', expiresAt: null, maxUses: 1, label: 'once', nonce: 'o', ...inviteKey() }
    });
    const join = await sealRecord(carol, { kind: 'join', cid: g.id, ts: 1_700_000_000_700, body: joinBody(once, carol) });
    await add(once, join);
    const search = await openSearch(db, sdb, doc);
    const t = await writer(carol, g.id, 1_700_000_030_000)('thread', { title: 'Tandem touring', body: 'first ride' });
    await add(t);
    expect(await ids(search, 'tandem')).toEqual([]);
    await add(await a('admit', { invite: once.id, joins: [join.id] }));
    expect(await ids(search, 'tandem')).toEqual([t.id]);
  });
});
