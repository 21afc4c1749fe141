// A newcomer's first page on real storage (fake-indexeddb): what a member's device sends, what the
// newcomer's device takes (checked, stored and projected beside its document), and that the history
// arriving after it finds those records stored instead of making a second copy.
import 'fake-indexeddb/auto';
import * as Y from 'yjs';
import { describe, expect, it, vi } from 'vitest';
import { admit, newCommunity, newMember, writer } from '../../../tests/unit/community-fixture';
import { sealRecord } from '../crypto/record-seal';
import type { AnyRecord } from '../domain/record';
import { HearthDb } from '../store/db';
import { CommunityDoc } from './community-doc';
import {
  decodeFirstPage,
  encodeFirstPage,
  FIRST_PAGE_MAX_RECORDS,
  FIRST_PAGE_THREADS,
  firstPageMaker,
  firstPageRecords,
  PAGE_KEPT_MS,
  PAGE_REFRESH_MS,
  PAGE_SERVED_MS,
  REMAKE_DELAY_MS
} from './first-page';
import { applyGatedUpdate, whenApplied } from './gated-sync-protocol';

let dbs = 0;
const open = async (cid: string) => {
  const doc = new CommunityDoc(new HearthDb(`first-page-${dbs++}`), cid);
  await doc.open();
  return doc;
};

/** A community of 40 threads by Bob, each with a reply by the creator, the newest last. */
async function community() {
  const creator = await newMember();
  const bob = await newMember();
  const genesis = await newCommunity(creator);
  const cid = genesis.id;
  const a = writer(creator, cid);
  const b = writer(bob, cid, 1_700_000_100_000);
  const core: AnyRecord[] = [genesis, ...(await admit(creator, bob, cid))];
  const content: AnyRecord[] = [];
  for (let i = 0; i < 40; i++) {
    const thread = await b('thread', { title: `Ride ${i}`, body: `Week ${i}` });
    content.push(thread, await a('reply', { thread: thread.id, parent: thread.id, body: `In ${i}` }));
  }
  return { creator, bob, cid, core, content };
}

/** `community()` held whole by a member's device. */
async function heldCommunity() {
  const held = await community();
  const member = await open(held.cid);
  await member.importRecords([...held.core, ...held.content]);
  return { ...held, member };
}

/** Whether these records hold a thread of this title. */
const hasThread = (records: readonly AnyRecord[], title: string) => records.some((r) => r.kind === 'thread' && (r.body as { title: string }).title === title);

/** 300 members (601 core records: two slices of the gate), 60 threads each with three replies: a first page of 120 records and their 30 authors' joins. */
async function bigCommunity() {
  const creator = await newMember();
  const genesis = await newCommunity(creator);
  const cid = genesis.id;
  const members = await Promise.all(Array.from({ length: 300 }, () => newMember()));
  const core: AnyRecord[] = [genesis, ...(await Promise.all(members.map((m) => admit(creator, m, cid)))).flat()];
  const a = writer(creator, cid);
  const content: AnyRecord[] = [];
  for (let i = 0; i < 60; i++) {
    const thread = await writer(members[i], cid, 1_700_000_100_000 + i * 10_000)('thread', { title: `Ride ${i}`, body: `Week ${i}` });
    content.push(thread);
    for (let j = 0; j < 3; j++) content.push(await a('reply', { thread: thread.id, parent: thread.id, body: `In ${i}.${j}` }));
  }
  const member = await open(cid);
  await member.importRecords([...core, ...content]);
  const page = await firstPageRecords(member.db, cid);
  expect(page).toHaveLength(150);

  return { cid, core, page };
}

describe('a first page', () => {
  it('is the threads the feed ranks first and what targets them, as shared', async () => {
    const { bob, cid, core, content, member } = await heldCommunity();
    const page = decodeFirstPage(encodeFirstPage(await firstPageRecords(member.db, cid)));
    expect(page).not.toBeNull();
    const threads = page!.filter((r) => r.kind === 'thread');
    expect(threads).toHaveLength(FIRST_PAGE_THREADS);
    // The newest threads (the feed ranks by activity; here the newest threads were the last active).
    const newest = content.filter((r) => r.kind === 'thread').slice(-FIRST_PAGE_THREADS);
    expect(new Set(threads.map((r) => r.id))).toEqual(new Set(newest.map((r) => r.id)));
    const replies = page!.filter((r) => r.kind === 'reply');
    expect(replies.map((r) => (r.body as { thread: string }).thread).sort()).toEqual(newest.map((r) => r.id).sort());
    // Exactly the records as signed: no projection fields. The one author with a join is Bob.
    const byId = new Map([...core, ...content].map((r) => [r.id, r]));
    expect(page!.filter((r) => r.kind === 'join').map((r) => r.author)).toEqual([bob.publicKey]);
    for (const r of page!) expect(r).toEqual(byId.get(r.id));
    expect(await member.wantsFirstPage()).toBe(false);
  });

  it('is taken by a newcomer beside its document: projected, not its own entries; the history finds it stored', async () => {
    const { cid, core, member } = await heldCommunity();
    const newcomer = await open(cid);
    expect(await newcomer.wantsFirstPage()).toBe(true);
    // The core came from the lobby (stored beside the document too).
    await newcomer.storeAside(core);
    expect(await newcomer.takeFirstPage(encodeFirstPage(await firstPageRecords(member.db, cid)))).toBe(true);
    await newcomer.settled();
    expect(await newcomer.db.threads.where('cid').equals(cid).count()).toBe(FIRST_PAGE_THREADS);
    expect(newcomer.records.size).toBe(0);
    // The history: the member's own entries for the same records are found stored, not checked or repaired.
    applyGatedUpdate(newcomer.doc, Y.encodeStateAsUpdate(member.doc), 'peer');
    await whenApplied(newcomer.doc);
    await newcomer.settled();
    expect(await newcomer.db.threads.where('cid').equals(cid).count()).toBe(40);
    expect(newcomer.health.repaired).toBe(0);
    expect(await newcomer.db.rejected.where('cid').equals(cid).count()).toBe(0);
    // Nothing of its own to offer back: the member's document gets no second copy.
    expect(Y.encodeStateAsUpdate(newcomer.doc, Y.encodeStateVector(member.doc)).length).toBeLessThan(10);
  });

  it('shows its threads before its replies are checked: threads and their starters are taken first, the rest after', async () => {
    const { cid, core, member } = await heldCommunity();
    const newcomer = await open(cid);
    await newcomer.storeAside(core);
    const batches: string[][] = [];
    const off = newcomer.onAccepted((records) => void batches.push(records.map((r) => r.kind)));
    expect(await newcomer.takeFirstPage(encodeFirstPage(await firstPageRecords(member.db, cid)))).toBe(true);
    await newcomer.settled();
    off();
    const firstReply = batches.findIndex((kinds) => kinds.includes('reply'));
    const firstThread = batches.findIndex((kinds) => kinds.includes('thread'));
    expect(firstThread).toBeGreaterThanOrEqual(0);
    expect(firstReply).toBeGreaterThan(firstThread);
    expect(
      batches
        .slice(0, firstReply)
        .flat()
        .filter((k) => k === 'thread')
    ).toHaveLength(FIRST_PAGE_THREADS);
    expect(await newcomer.db.replies.where('cid').equals(cid).count()).toBe(FIRST_PAGE_THREADS);
  });

  it('names whom it shows: the newest profile of each author, which a newcomer whose core held no profiles projects', async () => {
    const { creator, bob, cid, core, content } = await community();
    const profiles = [
      await writer(bob, cid, 1_700_000_050_000)('profile', { name: 'Bob then' }),
      await writer(bob, cid, 1_700_000_060_000)('profile', { name: 'Bob' }),
      await writer(creator, cid, 1_700_000_070_000)('profile', { name: 'Alice' })
    ];
    const member = await open(cid);
    await member.importRecords([...core, ...profiles, ...content]);
    const page = decodeFirstPage(encodeFirstPage(await firstPageRecords(member.db, cid)))!;
    expect(
      page
        .filter((r) => r.kind === 'profile')
        .map((r) => r.id)
        .sort()
    ).toEqual([profiles[1].id, profiles[2].id].sort());
    const newcomer = await open(cid);
    await newcomer.storeAside(core);
    expect(await newcomer.takeFirstPage(encodeFirstPage(page))).toBe(true);
    await newcomer.settled();
    const names = await newcomer.db.members.bulkGet([creator.publicKey, bob.publicKey].map((key) => [cid, key] as [string, string]));
    expect(names.map((m) => m?.name)).toEqual(['Alice', 'Bob']);
  });

  it("vouches for whom it shows: a newcomer whose core holds no ordinary member's join shows their threads, named", async () => {
    const { bob, cid, core, content } = await community();
    const profile = await writer(bob, cid, 1_700_000_050_000)('profile', { name: 'Bob' });
    const member = await open(cid);
    await member.importRecords([...core, profile, ...content]);
    const page = decodeFirstPage(encodeFirstPage(await firstPageRecords(member.db, cid)))!;
    const bobsJoin = core.find((r) => r.kind === 'join' && r.author === bob.publicKey)!;
    expect(page.filter((r) => r.kind === 'join').map((r) => r.id)).toEqual([bobsJoin.id]);
    // The lobby's core without Bob's join (lobby.ts `inLobby`): the genesis and the invite.
    const newcomer = await open(cid);
    await newcomer.storeAside(core.filter((r) => r !== bobsJoin));
    expect(await newcomer.takeFirstPage(encodeFirstPage(page))).toBe(true);
    await newcomer.settled();
    expect(await newcomer.db.threads.where('cid').equals(cid).count()).toBe(FIRST_PAGE_THREADS);
    expect((await newcomer.db.members.get([cid, bob.publicKey]))?.name).toBe('Bob');
  });

  it('from a lying peer: forged or foreign records are refused and counted, the rest taken; junk is refused whole', async () => {
    const { creator, cid, core, content } = await community();
    const newcomer = await open(cid);
    await newcomer.storeAside(core);
    const stranger = await newMember();
    const forged = { ...(content[0] as AnyRecord), body: { title: 'Changed', body: 'after signing' } } as AnyRecord;
    const foreign = await sealRecord(creator, { kind: 'thread', cid: 'another-community', ts: 1_700_000_900_000, body: { title: 'Elsewhere', body: 'x' } });
    const outsider = await sealRecord(stranger, { kind: 'thread', cid, ts: 1_700_000_900_000, body: { title: 'Not a member', body: 'x' } });
    expect(await newcomer.takeFirstPage(encodeFirstPage([forged, foreign as AnyRecord, outsider as AnyRecord, content[2]]))).toBe(true);
    await newcomer.settled();
    const shown = await newcomer.db.threads.where('cid').equals(cid).toArray();
    expect(shown.map((t) => t.id)).toEqual([content[2].id]);
    expect(await newcomer.db.rejected.where('cid').equals(cid).count()).toBe(2);
    // Not a page at all: nothing is taken.
    const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
    for (const junk of [
      new Uint8Array([0xff, 0xfe, 0x00]),
      enc({ not: 'an array' }),
      enc([1, 2, 3]),
      enc([{ kind: 'thread' }]),
      enc(Array.from({ length: FIRST_PAGE_MAX_RECORDS + 1 }, (_, i) => ({ id: `x${i}` })))
    ]) {
      expect(await newcomer.takeFirstPage(junk)).toBe(false);
    }
    await newcomer.settled();
    expect(await newcomer.db.threads.where('cid').equals(cid).count()).toBe(1);
  });

  it('after a core that came in several jobs: the core is projected once, after its last job, and the page without a rebuild', async () => {
    const { cid, core, page } = await bigCommunity();
    const newcomer = await open(cid);
    // Every rebuild of the projection ends by writing its version mark (an incremental batch does not).
    let rebuilds = 0;
    newcomer.db.projectionMeta.hook('creating', () => void rebuilds++);
    // The lobby's core arrives while the first of it is being checked: three jobs.
    const jobs = [newcomer.storeAside(core.slice(0, 200))];
    await new Promise((resolve) => setTimeout(resolve, 0));
    jobs.push(newcomer.storeAside(core.slice(200, 400)));
    await Promise.race([jobs[0], new Promise((resolve) => setTimeout(resolve, 50))]);
    jobs.push(newcomer.storeAside(core.slice(400)));
    await Promise.all(jobs);
    await newcomer.settled();
    expect(await newcomer.db.members.where('cid').equals(cid).count()).toBe(301);
    expect(rebuilds).toBe(1);

    expect(await newcomer.takeFirstPage(encodeFirstPage(page))).toBe(true);
    await newcomer.settled();
    expect(await newcomer.db.threads.where('cid').equals(cid).count()).toBe(FIRST_PAGE_THREADS);
    expect(await newcomer.db.replies.where('cid').equals(cid).count()).toBe(90);
    expect(rebuilds).toBe(1);
  }, 60_000);

  it('arriving while the core is being checked is checked at the next slice, before the core is done', async () => {
    const { cid, core, page } = await bigCommunity();
    const newcomer = await open(cid);
    const done: string[] = [];
    const coreStored = newcomer.storeAside(core).then(() => done.push('core'));
    await new Promise((resolve) => setTimeout(resolve, 0));
    await newcomer.takeFirstPage(encodeFirstPage(page)).then(() => done.push('page'));
    await coreStored;
    expect(done).toEqual(['page', 'core']);
    await newcomer.settled();
    // Projected whole once the core is: every thread, reply and member.
    expect(await newcomer.db.threads.where('cid').equals(cid).count()).toBe(FIRST_PAGE_THREADS);
    expect(await newcomer.db.replies.where('cid').equals(cid).count()).toBe(90);
    expect(await newcomer.db.members.where('cid').equals(cid).count()).toBe(301);
  }, 60_000);
});

describe('the first page made ahead', () => {
  it('is made once a fresh join’s newcomer is let in, not for the old joins a history brings; sent as made past a minute, and made again after', {
    timeout: 30_000
  }, async () => {
    const { creator, cid, member } = await heldCommunity();
    // Held for a minute at most: only being let in makes it within this test.
    const maker = firstPageMaker(member, { warmDelayMs: 60_000 });
    try {
      // The fixture's joins are from 2023: no page is made for them.
      expect(maker.madeAt()).toBeNull();
      const newcomer = await newMember();
      const [invite, join] = await admit(creator, newcomer, cid, Date.now() - 1000);
      expect((await member.append(invite as AnyRecord)).ok).toBe(true);
      expect((await member.append(join as AnyRecord)).ok).toBe(true);
      await member.settled();
      // Not while the join is checked and its newcomer let in: the page's reads would go ahead of the key share's.
      expect(maker.madeAt()).toBeNull();
      maker.lettingIn();
      await vi.waitFor(() => expect(maker.madeAt()).not.toBeNull());
      const made = await maker.page();
      // A thread written since is not on it while the page is kept, nor when it is sent past that.
      await member.append(await writer(creator, cid, Date.now())('thread', { title: 'Just now', body: 'x' }));
      expect(await maker.page()).toBe(made);
      vi.useFakeTimers({ now: Date.now() + PAGE_KEPT_MS + 1, toFake: ['Date', 'setTimeout', 'clearTimeout'] });
      expect(await maker.page()).toBe(made);
      // Made again once the newcomer it was sent to is let in, and sent from then on.
      const first = maker.madeAt();
      await vi.advanceTimersByTimeAsync(REMAKE_DELAY_MS);
      vi.useRealTimers();
      await vi.waitFor(() => expect(maker.madeAt()).not.toBe(first));
      expect(hasThread(decodeFirstPage(await maker.page())!, 'Just now')).toBe(true);
    } finally {
      vi.useRealTimers();
      maker.stop();
    }
  });

  it('wanted for a fresh join on a device that lets no one in, is made a moment later; asked meanwhile, at once', { timeout: 30_000 }, async () => {
    const { creator, cid, member } = await heldCommunity();
    const later = firstPageMaker(member, { warmDelayMs: 200 });
    const asked = firstPageMaker(member, { warmDelayMs: 60_000 });
    try {
      const before = Date.now();
      const [invite, join] = await admit(creator, await newMember(), cid, Date.now() - 1000);
      expect((await member.append(invite as AnyRecord)).ok).toBe(true);
      expect((await member.append(join as AnyRecord)).ok).toBe(true);
      await vi.waitFor(() => expect(later.madeAt()).not.toBeNull(), { timeout: 5_000 });
      expect(later.madeAt()! - before).toBeGreaterThanOrEqual(200);
      // Held, then asked for: made as it is asked, and not again when the hold would have ended.
      expect(asked.madeAt()).toBeNull();
      const page = asked.page();
      const madeAt = asked.madeAt();
      expect(madeAt).not.toBeNull();
      expect(decodeFirstPage(await page)!.length).toBeGreaterThan(0);
      asked.lettingIn();
      expect(asked.madeAt()).toBe(madeAt);
    } finally {
      later.stop();
      asked.stop();
    }
  });

  it('too old to send but with the community unchanged since, is sent as it is and kept from then, not read again; made again once content changed', {
    timeout: 30_000
  }, async () => {
    const { creator, cid, member } = await heldCommunity();
    const maker = firstPageMaker(member);
    try {
      const made = await maker.page();
      vi.useFakeTimers({ now: Date.now() + PAGE_SERVED_MS + 1, toFake: ['Date'] });
      const asked = Date.now();
      expect(await maker.page()).toBe(made);
      expect(maker.madeAt()).toBeGreaterThanOrEqual(asked);
      await member.append(await writer(creator, cid, Date.now())('thread', { title: 'Just now', body: 'x' }));
      vi.setSystemTime(Date.now() + PAGE_SERVED_MS + 1);
      const now = await maker.page();
      expect(now).not.toBe(made);
      expect(hasThread(decodeFirstPage(now)!, 'Just now')).toBe(true);
    } finally {
      vi.useRealTimers();
      maker.stop();
    }
  });

  it('on a device that lets newcomers in, is looked at every few minutes: made again when content changed, so one can always be sent at once', {
    timeout: 30_000
  }, async () => {
    const { creator, cid, member } = await heldCommunity();
    const maker = firstPageMaker(member);
    try {
      // The maker's timers only: IndexedDB (fake-indexeddb's setImmediate) runs as it does.
      vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
      maker.ahead();
      await vi.advanceTimersByTimeAsync(REMAKE_DELAY_MS);
      await vi.waitFor(() => expect(maker.madeAt()).not.toBeNull());
      const made = await maker.page();
      const first = maker.madeAt();
      // Unchanged: kept at the first look past its age, not made again.
      await vi.advanceTimersByTimeAsync(2 * PAGE_REFRESH_MS);
      await vi.waitFor(() => expect(maker.madeAt()).not.toBe(first));
      expect(await maker.page()).toBe(made);
      const kept = maker.madeAt();
      await member.append(await writer(creator, cid, Date.now())('thread', { title: 'Meanwhile', body: 'x' }));
      await vi.advanceTimersByTimeAsync(2 * PAGE_REFRESH_MS);
      await vi.waitFor(() => expect(maker.madeAt()).not.toBe(kept));
      const now = await maker.page();
      expect(now).not.toBe(made);
      expect(hasThread(decodeFirstPage(now)!, 'Meanwhile')).toBe(true);
    } finally {
      vi.useRealTimers();
      maker.stop();
    }
  });

  it('is made again at once when the page kept is too old to send', { timeout: 30_000 }, async () => {
    const { creator, cid, member } = await heldCommunity();
    const maker = firstPageMaker(member);
    try {
      const made = await maker.page();
      await member.append(await writer(creator, cid, Date.now())('thread', { title: 'Just now', body: 'x' }));
      vi.useFakeTimers({ now: Date.now() + PAGE_SERVED_MS + 1, toFake: ['Date'] });
      const now = await maker.page();
      expect(now).not.toBe(made);
      expect(hasThread(decodeFirstPage(now)!, 'Just now')).toBe(true);
    } finally {
      vi.useRealTimers();
      maker.stop();
    }
  });
});

describe("the community document's first page", () => {
  it('is made by the document itself once a fresh join’s newcomer is let in, from what it stores, and kept', { timeout: 30_000 }, async () => {
    const { creator, cid, member } = await heldCommunity();
    const newcomer = await newMember();
    const [invite, join] = await admit(creator, newcomer, cid, Date.now() - 1000);
    expect((await member.append(invite as AnyRecord)).ok).toBe(true);
    expect((await member.append(join as AnyRecord)).ok).toBe(true);
    // Made as the newcomer was let in: the page they get is the store's as of then, without a thread
    // written after it.
    await member.settled();
    const atJoin = (await firstPageRecords(member.db, cid)).map((r) => r.id);
    expect(atJoin.length).toBeGreaterThan(FIRST_PAGE_THREADS);
    member.lettingIn();
    expect(decodeFirstPage(await member.firstPage())!.map((r) => r.id)).toEqual(atJoin);
    await member.append(await writer(creator, cid, Date.now())('thread', { title: 'After the join', body: 'x' }));
    const page = decodeFirstPage(await member.firstPage())!;
    expect(page.map((r) => r.id)).toEqual(atJoin);
    expect(hasThread(await firstPageRecords(member.db, cid), 'After the join')).toBe(true);
  });
});
