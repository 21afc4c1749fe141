// Who gets notified of what, from the records alone; then the inbox filled from a real
// CommunityDoc's accepted records (Dexie on fake-indexeddb).
import 'fake-indexeddb/auto';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { admit, newCommunity, newMember, writer } from '../../../tests/unit/community-fixture';
import { QUOTAS } from '../domain/quota';
import type { AnyRecord } from '../domain/record';
import { HearthDb } from '../store/db';
import { CommunityDoc } from '../sync/community-doc';
import { deriveNotification, retractedBy, type DeriveContext } from './derive';
import { InboxDb } from './inbox-db';
import { catchUpInbox, notifyFromBatch } from './notifier';
import { heldRecordIds } from '../store/record-store';
import { readsOver } from '../sync/community-reads';

async function people() {
  const alice = await newMember();
  const bob = await newMember();
  const carol = await newMember();
  const g = await newCommunity(alice);
  return { alice, bob, carol, g, a: writer(alice, g.id), b: writer(bob, g.id), c: writer(carol, g.id) };
}

function context(me: string, records: AnyRecord[], over: Partial<DeriveContext> = {}): DeriveContext {
  const byId = new Map(records.map((r) => [r.id, r]));
  return { me, since: 0, accepts: () => true, isModerator: () => false, get: (id) => byId.get(id), ...over };
}

describe('notification rules', () => {
  it('a mention of me notifies me, once, as a mention even when it also replies to me', async () => {
    const { alice, bob, a, b } = await people();
    const t = await a('thread', { title: 'Ride', body: 'Sunday' });
    const r = await b('reply', { thread: t.id, parent: t.id, body: 'Yes @Alice', mentions: [alice.publicKey] });
    const n = deriveNotification(r, context(alice.publicKey, [t, r]));
    expect(n?.kind).toBe('mention');
    expect(n?.actor).toBe(bob.publicKey);
    expect(n?.link).toBe(`/c/${t.cid}/t/${t.id}#post-${r.id}`);
    expect(deriveNotification(r, context(bob.publicKey, [t, r]))).toBeNull();
  });

  it('a reply to my post or in my thread notifies me; a reply between others in someone else’s thread does not', async () => {
    const { alice, bob, a, b, c } = await people();
    const t = await a('thread', { title: 'Ride', body: 'Sunday' });
    const rb = await b('reply', { thread: t.id, parent: t.id, body: 'in' });
    const rc = await c('reply', { thread: t.id, parent: rb.id, body: 'me too' });
    const all = [t, rb, rc];
    expect(deriveNotification(rb, context(alice.publicKey, all))?.kind).toBe('reply');
    expect(deriveNotification(rc, context(bob.publicKey, all))?.kind).toBe('reply');
    expect(deriveNotification(rc, context(alice.publicKey, all))?.kind).toBe('reply');
    const t2 = await b('thread', { title: 'Other', body: '' });
    const rc2 = await c('reply', { thread: t2.id, parent: t2.id, body: 'x' });
    expect(deriveNotification(rc2, context(alice.publicKey, [t2, rc2]))).toBeNull();
  });

  it('an answer to my question and a question asked to me notify me', async () => {
    const { alice, bob, a, b } = await people();
    const q = await a('question', { title: 'Which lube?', body: '' });
    const ans = await b('answer', { question: q.id, body: 'Wax' });
    expect(deriveNotification(ans, context(alice.publicKey, [q, ans]))?.kind).toBe('answer');
    const asked = await a('question', { title: 'Bob, your saddle?', body: '', askTo: bob.publicKey });
    expect(deriveNotification(asked, context(bob.publicKey, [asked]))?.kind).toBe('asked');
  });

  it('my answer accepted notifies me only when the asker or a moderator accepted it', async () => {
    const { alice, bob, carol, a, b, c } = await people();
    const q = await a('question', { title: 'Which lube?', body: '' });
    const ans = await b('answer', { question: q.id, body: 'Wax' });
    const byAsker = await a('accept', { question: q.id, answer: ans.id });
    const byCarol = await c('accept', { question: q.id, answer: ans.id });
    const all = [q, ans, byAsker, byCarol];
    const n = deriveNotification(byAsker, context(bob.publicKey, all));
    expect(n?.kind).toBe('accepted');
    expect(n?.subject).toBe(ans.id);
    expect(deriveNotification(byCarol, context(bob.publicKey, all))).toBeNull();
    expect(deriveNotification(byCarol, context(bob.publicKey, all, { isModerator: (k) => k === carol.publicKey }))?.kind).toBe('accepted');
    expect(deriveNotification(await a('accept', { question: q.id, answer: null }), context(bob.publicKey, all))).toBeNull();
    expect(deriveNotification(byAsker, context(alice.publicKey, all))).toBeNull();
  });

  it('new polls and challenges notify everyone else', async () => {
    const { alice, bob, a } = await people();
    const poll = await a('poll', { title: 'Route?', options: ['A', 'B'], multiple: false, maxChoices: 1, closesAt: null, results: 'always' });
    const ch = await a('challenge', { title: '30 days', prompt: 'Ride', startDate: '2024-01-01', days: 30 });
    expect(deriveNotification(poll, context(bob.publicKey, [poll]))?.kind).toBe('poll');
    expect(deriveNotification(ch, context(bob.publicKey, [ch]))?.kind).toBe('challenge');
    expect(deriveNotification(poll, context(alice.publicKey, [poll]))).toBeNull();
  });

  it('history, my own records and non-members’ records notify nobody', async () => {
    const { alice, b } = await people();
    const t = await b('thread', { title: 'Hi @Alice', body: '', mentions: [alice.publicKey] });
    expect(deriveNotification(t, context(alice.publicKey, [t], { since: t.ts + 1 }))).toBeNull();
    expect(deriveNotification(t, context(alice.publicKey, [t], { accepts: () => false }))).toBeNull();
    expect(deriveNotification(t, context(alice.publicKey, [t]))?.kind).toBe('mention');
  });

  it('a deletion by the author or a moderator retracts; anyone else’s does not', async () => {
    const { alice, a, b, c } = await people();
    const t = await b('thread', { title: 'Hi', body: '' });
    const ctx = context(alice.publicKey, [t]);
    expect(retractedBy(await b('tombstone', { target: t.id }), ctx)).toBe(t.id);
    expect(retractedBy(await c('tombstone', { target: t.id }), ctx)).toBeNull();
    expect(retractedBy(await a('hide', { target: t.id, hidden: true }), { ...ctx, isModerator: () => true })).toBe(t.id);
  });
});

describe('inbox', () => {
  let n = 0;
  async function community() {
    const p = await people();
    const db = new HearthDb(`notify-${n}`);
    const inbox = new InboxDb(`inbox-${n++}`);
    const doc = new CommunityDoc(db, p.g.id);
    await doc.open();
    const me = p.alice.publicKey;
    let pending: Promise<unknown> = Promise.resolve();
    doc.onAccepted((records) => void (pending = pending.then(() => notifyFromBatch(db, inbox, me, p.g.id, records))));
    const add = async (...records: AnyRecord[]) => {
      for (const r of records) expect((await doc.append(r)).ok).toBe(true);
      await doc.settled();
      await pending;
    };
    await add(p.g, ...(await admit(p.alice, p.bob, p.g.id)));
    await db.communities.update(p.g.id, { addedAt: 0 });
    // Resolves once the inbox has taken in every batch announced so far.
    const filed = () => pending;
    return { ...p, db, inbox, doc, add, filed };
  }

  it('files a mention by another member with its names, unread, once', async () => {
    const { alice, inbox, add, a, b, db, g } = await community();
    await add(await b('profile', { name: 'Bob' }));
    const t = await a('thread', { title: 'Sunday ride', body: 'Who comes?' });
    const r = await b('reply', { thread: t.id, parent: t.id, body: 'Me! @Alice', mentions: [alice.publicKey] });
    await add(t, r);
    const rows = await inbox.notifications.toArray();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ kind: 'mention', actorName: 'Bob', communityName: 'Morning riders', read: 0, source: r.id });
    expect(await inbox.notifications.where('read').equals(0).count()).toBe(1);
    // Announced again (another tab, a repair): still one.
    await notifyFromBatch(db, inbox, alice.publicKey, g.id, [r]);
    expect(await inbox.notifications.count()).toBe(1);
  });

  it('takes a notification away when its post is deleted, and ignores strangers', async () => {
    const { alice, inbox, add, b, g } = await community();
    const mallory = await newMember();
    await add(await writer(mallory, g.id)('thread', { title: '@Alice free bikes', body: '', mentions: [alice.publicKey] }));
    expect(await inbox.notifications.count()).toBe(0);
    const t = await b('thread', { title: 'Hey @Alice', body: '', mentions: [alice.publicKey] });
    await add(t);
    expect(await inbox.notifications.count()).toBe(1);
    await add(await b('tombstone', { target: t.id }));
    expect(await inbox.notifications.count()).toBe(0);
  });

  it('counts a member’s mention once their join arrives after it', async () => {
    const { alice, inbox, add, g } = await community();
    const dave = await newMember();
    const early = await writer(dave, g.id, 1_700_000_100_000)('thread', { title: 'Hi @Alice', body: '', mentions: [alice.publicKey] });
    await add(early);
    expect(await inbox.notifications.count()).toBe(0);
    await add(...(await admit(alice, dave, g.id, 1_700_000_050_000)));
    expect((await inbox.notifications.toArray()).map((r) => r.source)).toEqual([early.id]);
  });

  it('a member’s mentions past their hourly quota (held back, never shown) notify nobody', async () => {
    const { alice, inbox, doc, db, g, bob, filed } = await community();
    const write = writer(bob, g.id, 1_700_000_200_000);
    const flood: AnyRecord[] = [];
    for (let i = 0; i < QUOTAS[0].records + 10; i++) flood.push(await write('thread', { title: `@Alice ${i}`, body: '', mentions: [alice.publicKey] }));
    // From a peer, in one update, as a flooding member's device sends them.
    const peer = new Y.Doc();
    peer.transact(() => {
      for (const r of flood) peer.getMap('records').set(r.id, r);
    });
    Y.applyUpdate(doc.doc, Y.encodeStateAsUpdate(peer), 'peer');
    await doc.settled();
    await filed();
    const held = new Set((await heldRecordIds(db, g.id)) as string[]);
    expect(held.size).toBeGreaterThanOrEqual(10);
    const sources = (await inbox.notifications.toArray()).map((n) => n.source);
    expect(new Set(sources)).toEqual(new Set(flood.filter((r) => !held.has(r.id)).map((r) => r.id)));
  });

  it('derives from the records the community’s reads give, not from the page’s own store (which holds none)', async () => {
    const { alice, inbox, add, a, b, db, g } = await community();
    const t = await a('thread', { title: 'Sunday ride', body: 'Who comes?' });
    const kept = await b('reply', { thread: t.id, parent: t.id, body: 'Me too' });
    const deleted = await b('reply', { thread: t.id, parent: t.id, body: 'Oops' });
    // Bob deleted his second reply before it reached this device: the deletion is stored, the reply not yet.
    await add(t, kept, await b('tombstone', { target: deleted.id }));
    await inbox.notifications.clear();
    // A page's database: the community's row, none of its records (they are where the worker reads them).
    const page = new HearthDb(`notify-page-${n++}`);
    await page.communities.put((await db.communities.get(g.id))!);
    const filed = await notifyFromBatch(page, inbox, alice.publicKey, g.id, [kept, deleted], readsOver(db));
    // The reply is to Alice's thread (read through the reads), and the deleted one stays out (its deletion read there too).
    expect(filed.map((x) => [x.kind, x.source])).toEqual([['reply', kept.id]]);
  });

  it('reads the joins of admits naming at most 50 of them, and none of a bulk admit (history, as a batch of many joins is)', async () => {
    const { alice, inbox, a, db, g } = await community();
    const reads = readsOver(db);
    const asked: string[] = [];
    const counting = { ...reads, recordsById: (cid: string, ids: readonly string[]) => (asked.push(...ids), reads.recordsById(cid, ids)) };
    const joins = Array.from({ length: 51 }, (_, i) => `join-${i}`);
    const named = () => asked.filter((id) => joins.includes(id));
    await notifyFromBatch(db, inbox, alice.publicKey, g.id, [await a('admit', { invite: 'open', joins })], counting);
    expect(named()).toEqual([]);
    await notifyFromBatch(db, inbox, alice.publicKey, g.id, [await a('admit', { invite: 'open', joins: joins.slice(0, 50) })], counting);
    expect(named()).toEqual(joins.slice(0, 50));
  });

  it('catches up on records that arrived while nothing listened, once', async () => {
    const p = await people();
    const db = new HearthDb(`notify-${n}`);
    const inbox = new InboxDb(`inbox-${n++}`);
    const doc = new CommunityDoc(db, p.g.id);
    await doc.open();
    const quiet = await p.b('thread', { title: 'Tyres', body: 'no mention here' });
    for (const r of [
      p.g,
      ...(await admit(p.alice, p.bob, p.g.id)),
      await p.b('thread', { title: 'x @Alice', body: '', mentions: [p.alice.publicKey] }),
      quiet
    ]) {
      expect((await doc.append(r)).ok).toBe(true);
    }
    await db.communities.update(p.g.id, { addedAt: 0 });
    const first = await catchUpInbox(db, inbox, p.alice.publicKey, p.g.id);
    expect(first.map((r) => r.kind)).toEqual(['mention']);
    expect(await catchUpInbox(db, inbox, p.alice.publicKey, p.g.id)).toEqual([]);
    expect(await inbox.notifications.count()).toBe(1);
  });
});
