import { describe, expect, it } from 'vitest';
import { checkRecord } from '../../src/lib/crypto/record-seal';
import { chainHeads, computeAuthority } from '../../src/lib/domain/authority';
import { heldBack } from '../../src/lib/domain/quota';
import { projectCommunity } from '../../src/lib/domain/posts';
import type { AnyRecord, SignedRecord } from '../../src/lib/domain/record';
import { sealPlan, type CommunityPlan } from './community-plan';
import { generatedCommunityPlan } from './generate';
import { identityFor, storedKeysFor } from './member-keys';
import { loadSeData, SE_ATTRIBUTION, seDataDir } from './se-csv';
import { seCommunityPlan, seConversations } from './se-community';

const hasData = seDataDir() !== null;

/** Every thread, reply and reaction passes the gate and is shown: its author had joined by then. */
function expectAllShown(cid: string, records: AnyRecord[]) {
  const genesis = records.find((r): r is SignedRecord<'genesis'> => r.kind === 'genesis')!;
  expect(genesis.id).toBe(cid);
  const auth = computeAuthority(genesis, records);
  const unshown = records.filter((r) => !auth.accepts(r));
  expect(unshown.map((r) => r.kind)).toEqual([]);
  // Nobody is held back by the receiving-side quota, and each member's records form one chain.
  const held = heldBack(records, auth.trustOf, (k) => auth.isModerator(k) || k === auth.creator);
  expect(held.size).toBe(0);
  const byAuthor = new Map<string, AnyRecord[]>();
  for (const r of records) if (r.kind !== 'genesis') byAuthor.set(r.author, [...(byAuthor.get(r.author) ?? []), r]);
  const forked = [...byAuthor].filter(([key, mine]) => key !== auth.creator && chainHeads(mine).length !== 1);
  expect(forked.length).toBe(0);
  return { auth, ...projectCommunity(records, auth) };
}

describe('deterministic member keys', () => {
  it('derive the same member id from the same seed, and a different one from another handle', async () => {
    const a = await storedKeysFor('ns', 'user-1');
    expect(await storedKeysFor('ns', 'user-1')).toEqual(a);
    expect((await storedKeysFor('ns', 'user-2')).publicKey).not.toBe(a.publicKey);
    expect((await storedKeysFor('other', 'user-1')).publicKey).not.toBe(a.publicKey);
    expect(a.publicKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('sign records that the gate accepts as that member', async () => {
    const plan: CommunityPlan = {
      keyNamespace: 'test',
      genesis: { name: 'T', description: '', emoji: '🚲', color: '#000000', createdAt: 1_000_000, nonce: 'n' },
      invite: { label: 'l', nonce: 'n' },
      members: [{ handle: 'a', name: 'A' }],
      posts: [{ ref: 't', kind: 'thread', author: 'a', ts: 2_000_000, title: 'Hi', body: '' }]
    };
    const { cid, records, keys } = await sealPlan(plan);
    expect(keys.get('a')).toBe((await identityFor('test', 'a')).publicKey);
    for (const r of records) expect((await checkRecord(r, { cid, key: r.id })).ok).toBe(true);
    expectAllShown(cid, records);
  });
});

describe.skipIf(!hasData)('Bicycles Meta import', () => {
  it('turns every question into a thread and every answer and comment into a reply, all shown', async () => {
    const data = loadSeData();
    const plan = seCommunityPlan(data);
    expect(plan.genesis.description).toContain(SE_ATTRIBUTION);
    expect(plan.genesis.description).toContain('CC BY-SA 4.0');
    const { cid, records } = await sealPlan(plan);
    const { threads, replies, auth } = expectAllShown(cid, records);
    expect(threads).toHaveLength(data.posts.filter((p) => p.type === 'question').length);
    const answers = data.posts.filter((p) => p.type === 'answer').length;
    expect(replies).toHaveLength(answers + data.comments.length);
    // Every writer is a member (plus the creator); deleted accounts share one member.
    expect(auth.members.size).toBe(plan.members.length + 1);
    // A comment on an answer replies to that answer, inside the answer's thread.
    const byId = new Map(replies.map((r) => [r.id, r]));
    expect(replies.filter((r) => r.parent !== r.thread).every((r) => byId.get(r.parent!)?.thread === r.thread)).toBe(true);
    expect(replies.some((r) => r.parent !== r.thread)).toBe(true);
  }, 60_000);
});

describe.skipIf(!hasData)('generator', () => {
  const options = { members: 700, minRecords: 6_000, seed: 'test-seed' };

  it('gives the same plan for the same seed and another for another seed', () => {
    const conv = seConversations(loadSeData());
    const a = generatedCommunityPlan(conv, options);
    expect(generatedCommunityPlan(conv, options)).toEqual(a);
    expect(generatedCommunityPlan(conv, { ...options, seed: 'other' }).posts).not.toEqual(a.posts);
  });

  it('reaches the asked members and records, every record shown and every reply in its thread', async () => {
    const conv = seConversations(loadSeData());
    const plan = generatedCommunityPlan(conv, options);
    expect(plan.members).toHaveLength(options.members);
    expect(plan.genesis.description).toContain(SE_ATTRIBUTION);
    const { cid, records } = await sealPlan(plan);
    expect(records.length).toBeGreaterThanOrEqual(options.minRecords);
    const { threads, replies, auth } = expectAllShown(cid, records);
    expect(auth.members.size).toBe(options.members + 1);
    const threadIds = new Set(threads.map((t) => t.id));
    expect(replies.every((r) => threadIds.has(r.thread))).toBe(true);
    // Conversations stay inside the real community's lifetime.
    const posts = records.filter((r) => r.kind === 'thread' || r.kind === 'reply');
    expect(Math.min(...posts.map((r) => r.ts))).toBeGreaterThanOrEqual(conv.first);
    expect(Math.max(...posts.map((r) => r.ts))).toBeLessThanOrEqual(conv.last);
  }, 60_000);
});
