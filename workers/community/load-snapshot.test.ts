// The analysis worker's read of a community: rows read once are reused while the records that feed
// the analyses are unchanged, and read again when one arrives.
import 'fake-indexeddb/auto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { newCommunity, newMember, smallCommunity, writer } from '../../tests/unit/community-fixture';
import { openDb } from '../../src/lib/store/db';
import { applyRecords } from '../../src/lib/store/projection';
import { loadSnapshot } from './load-snapshot';
import { currentSettings, DEFAULT_SETTINGS, recommendationDiversity } from '../../src/lib/domain/membership';
import { computeAuthority } from '../../src/lib/domain/authority';
import type { SignedRecord } from '../../src/lib/domain/record';
import { putRecords } from '../../src/lib/store/record-store';

// Every replay of the authority counted: the load judges settings by member rows, not by a replay.
vi.mock(import('../../src/lib/domain/authority'), async (original) => {
  const actual = await original();
  return { ...actual, computeAuthority: vi.fn(actual.computeAuthority) };
});
const replays = vi.mocked(computeAuthority);

beforeEach(() => {
  replays.mockClear();
});

describe('the analysis snapshot', () => {
  it('is reused after a notice, and read again after a reply', async () => {
    const { creator, bob, cid, a, thread, reply, records } = await smallCommunity('Snapshot');
    const db = openDb();
    await putRecords(db, records);
    await applyRecords(db, cid, records);

    const first = await loadSnapshot(cid, creator.publicKey);
    expect(first.reused).toBe(false);
    expect(first.snapshot.replies.map((r) => r.author)).toEqual([bob.publicKey]);

    const notice = await a('notice', { to: creator.publicKey, text: 'Weekly nudge' });
    await putRecords(db, [notice]);
    await applyRecords(db, cid, [notice]);
    expect((await loadSnapshot(cid, creator.publicKey)).reused).toBe(true);

    const second = await a('reply', { thread: thread.id, parent: reply.id, body: 'See you' });
    await putRecords(db, [second]);
    await applyRecords(db, cid, [second]);
    const after = await loadSnapshot(cid, creator.publicKey);
    expect(after.reused).toBe(false);
    expect(after.snapshot.replies).toHaveLength(2);
  });

  it('is reused after points levels about other members, and read again after one about this member', async () => {
    const { creator, bob, cid, a, records } = await smallCommunity('Levels');
    const db = openDb();
    await putRecords(db, records);
    await applyRecords(db, cid, records);
    expect((await loadSnapshot(cid, bob.publicKey)).reused).toBe(false);

    // The creator's automation publishes levels as points move, a few between two refreshes.
    const levels = [await a('level', { member: creator.publicKey, level: 2 }), await a('checkpoint', { records: records.length })];
    await putRecords(db, levels);
    await applyRecords(db, cid, levels);
    expect((await loadSnapshot(cid, bob.publicKey)).reused).toBe(true);

    // Bob's own level may open level-limited content on his device: read again.
    const his = await a('level', { member: bob.publicKey, level: 3 });
    await putRecords(db, [his]);
    await applyRecords(db, cid, [his]);
    expect((await loadSnapshot(cid, bob.publicKey)).reused).toBe(false);
    expect((await loadSnapshot(cid, bob.publicKey)).reused).toBe(true);
    // The creator's device is judged for the creator: Bob's level is another member's there.
    expect((await loadSnapshot(cid, creator.publicKey)).reused).toBe(false);
    const more = await a('level', { member: bob.publicKey, level: 4 });
    await putRecords(db, [more]);
    await applyRecords(db, cid, [more]);
    expect((await loadSnapshot(cid, creator.publicKey)).reused).toBe(true);
  });

  it('is reused without counting while the ingest mark holds, and read again once it moves', async () => {
    const creator = await newMember();
    const genesis = await newCommunity(creator, 'Marked');
    const cid = genesis.id;
    const a = writer(creator, cid);
    const thread = await a('thread', { title: 'Ride', body: 'Sunday' });
    const db = openDb();
    await putRecords(db, [genesis, thread]);
    await applyRecords(db, cid, [genesis, thread]);
    await db.ingestMarks.put({ cid, snapshot: Uint8Array.of(1, 2, 3), unauthorised: 0 });
    expect((await loadSnapshot(cid, creator.publicKey)).reused).toBe(false);

    // The gate marks every ingest; a record stored without moving the mark is not looked for.
    const reply = await a('reply', { thread: thread.id, parent: thread.id, body: 'Me' });
    await putRecords(db, [reply]);
    await applyRecords(db, cid, [reply]);
    expect((await loadSnapshot(cid, creator.publicKey)).reused).toBe(true);

    await db.ingestMarks.put({ cid, snapshot: Uint8Array.of(1, 2, 4), unauthorised: 0 });
    const after = await loadSnapshot(cid, creator.publicKey);
    expect(after.reused).toBe(false);
    expect(after.snapshot.replies).toHaveLength(1);
    // Moved again with nothing new counted: the rows are kept.
    await db.ingestMarks.put({ cid, snapshot: Uint8Array.of(1, 2, 5), unauthorised: 0 });
    expect((await loadSnapshot(cid, creator.publicKey)).reused).toBe(true);
  });
  it('carries the creator’s For-you diversity, and not a member’s', async () => {
    const { creator, cid, a, b, records } = await smallCommunity('Variety');
    const db = openDb();
    await putRecords(db, records);
    await applyRecords(db, cid, records);
    expect((await loadSnapshot(cid, creator.publicKey)).snapshot.diversity).toBe('off');

    const byCreator = await a('settings', { ...DEFAULT_SETTINGS, diversity: 'some' });
    const byMember = await b('settings', { ...DEFAULT_SETTINGS, diversity: 'more' }, byCreator.ts + 1000);
    await putRecords(db, [byCreator, byMember]);
    await applyRecords(db, cid, [byCreator, byMember]);
    expect((await loadSnapshot(cid, creator.publicKey)).snapshot.diversity).toBe('some');
  });

  it('reads the diversity without replaying the authority, whatever the members and settings', async () => {
    const { creator, bob, cid, a, b, records } = await smallCommunity('No replay');
    const db = openDb();
    const grant = await a('grant', { member: bob.publicKey, role: 'admin' });
    const byCreator = await a('settings', { ...DEFAULT_SETTINGS, diversity: 'some' });
    const byAdmin = await b('settings', { ...DEFAULT_SETTINGS, diversity: 'more' }, byCreator.ts + 1000);
    const all = [...records, grant, byCreator, byAdmin];
    await putRecords(db, all);
    await applyRecords(db, cid, all);
    replays.mockClear();
    const { snapshot } = await loadSnapshot(cid, creator.publicKey);
    expect(snapshot.diversity).toBe('more');
    expect(replays).not.toHaveBeenCalled();
  });

  it('replays the authority when a banned member wrote settings, and obeys it', async () => {
    const { creator, bob, cid, genesis, a, b, records } = await smallCommunity('Banned admin');
    const db = openDb();
    const grant = await a('grant', { member: bob.publicKey, role: 'admin' });
    const byCreator = await a('settings', { ...DEFAULT_SETTINGS, diversity: 'some' });
    const byAdmin = await b('settings', { ...DEFAULT_SETTINGS, diversity: 'more' }, byCreator.ts + 1000);
    const ban = await a('ban', { member: bob.publicKey, banned: true }, byCreator.ts + 500);
    const all = [...records, grant, byCreator, byAdmin, ban];
    await putRecords(db, all);
    await applyRecords(db, cid, all);
    replays.mockClear();
    const { snapshot } = await loadSnapshot(cid, creator.publicKey);
    expect(replays).toHaveBeenCalled();
    const expected = recommendationDiversity(currentSettings(all, computeAuthority(genesis as SignedRecord<'genesis'>, all)));
    expect(expected).toBe('some');
    expect(snapshot.diversity).toBe(expected);
  });
});
