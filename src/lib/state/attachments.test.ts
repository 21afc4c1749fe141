// The attachments manager over a real CommunityDoc on fake-indexeddb: the number a post carries,
// the size limit and the upload allowance refuse files with the reason the page shows, staff have
// no allowance, and posts over their author's allowance are named as every peer judges them.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { writer } from '../../../tests/unit/community-fixture';
import { creatorAndMember } from '../../../tests/unit/doc-fixture';
import type { Identity } from '../crypto/identity';
import { DEFAULT_SETTINGS, type Settings } from '../domain/membership';
import { MAX_ATTACHMENTS, type AttachmentManifest } from '../domain/record';
import { QUOTA_WINDOW_MS } from '../domain/upload-quota';
import { i18n } from '../i18n/index.svelte';
import { Attachments } from './attachments';

const MIB = 1024 * 1024;

const file = (name: string, bytes: number) => new File([new Uint8Array(bytes).fill(7)], name, { type: 'application/gpx+xml' });

/** Bob, a member, and Alice, the creator, in a community with these settings. */
async function community(settings: Partial<Settings>) {
  const { alice, bob, g, db, doc, append, reads } = await creatorAndMember('attachments');
  await append(await writer(alice, g.id)('settings', { ...DEFAULT_SETTINGS, ...settings }));
  /** The manager as CommunityState makes it for `member`, with the standing read so far. */
  async function attachmentsFor(member: Identity) {
    const standing = await reads.standing(g.id, member.publicKey, Date.now());
    return new Attachments({
      db,
      cid: g.id,
      me: member.publicKey,
      reads,
      settings: () => standing?.settings,
      isStaff: () => standing?.role === 'creator' || standing?.role === 'admin'
    });
  }
  /** Bob's thread with these files, written through the document. */
  const post = async (attachments: AttachmentManifest[], ts: number) => {
    const thread = await writer(bob, g.id)('thread', { title: 'Route', body: 'Sunday', attachments }, ts);
    await append(thread);
    return thread;
  };
  return { alice, bob, db, attachmentsFor, post, close: () => doc.close() };
}

/** The files' manifests, or the test fails with the refusal. */
async function prepared(attachments: Attachments, files: File[]): Promise<AttachmentManifest[]> {
  const result = await attachments.prepare(files);
  if (!result.ok) throw new Error(result.reason);
  return result.value ?? [];
}

describe('Attachments', () => {
  it('refuses more files than a post carries and a file over the community’s size limit, naming it; stores the rest sealed', async () => {
    const { bob, db, attachmentsFor, close } = await community({ maxFileMb: 1 });
    const attachments = await attachmentsFor(bob);
    const many = Array.from({ length: MAX_ATTACHMENTS + 1 }, (_, i) => file(`leg-${i}.gpx`, 10));
    expect(await attachments.prepare(many)).toEqual({ ok: false, reason: 'media.too_many', params: { max: MAX_ATTACHMENTS } });
    expect(await attachments.prepare([file('big.gpx', MIB + 1)])).toEqual({ ok: false, reason: 'media.too_large', params: { name: 'big.gpx', mb: 1 } });
    expect(await attachments.prepare([])).toEqual({ ok: true, value: undefined });

    const [manifest] = await prepared(attachments, [file('route.gpx', MIB)]);
    expect(manifest).toMatchObject({ kind: 'file', name: 'route.gpx', type: 'application/gpx+xml', size: MIB });
    const stored = await db.chunks.bulkGet(manifest.chunks);
    expect(stored.every((c) => c?.own === 1 && !c.bytes.every((b) => b === 7))).toBe(true); // sealed, not the plaintext
    // Read back here: the plaintext, every chunk at hand.
    const progress: number[] = [];
    const back = await attachments.read(manifest, (done) => progress.push(done));
    expect(back.ok && back.bytes.length === MIB && back.bytes.every((b) => b === 7)).toBe(true);
    expect(progress.at(-1)).toBe(1);
    close();
  });

  it('refuses a member’s files past their upload allowance in 24 hours, with when they fit again; staff have none', async () => {
    const { alice, bob, attachmentsFor, post, close } = await community({ uploadQuota: { levels: [1, 1, 1, 1], tiers: [] } });
    const attachments = await attachmentsFor(bob);
    const posted = await post(await prepared(attachments, [file('route.gpx', 0.75 * MIB)]), Date.now() - 60_000);

    const now = Date.now();
    const params = { mb: i18n.number(1), used: i18n.number(0.75, 1) };
    const fits = await attachments.quotaCheck(now);
    expect(fits(0.5 * MIB)).toEqual({ reason: 'media.over_quota', params: { ...params, in: i18n.relative(posted.ts + QUOTA_WINDOW_MS, now) } });
    expect(fits(1.5 * MIB)).toEqual({ reason: 'media.over_quota_never', params });
    expect(fits(0.25 * MIB)).toBeNull();
    expect(await attachments.prepare([file('more.gpx', 0.5 * MIB)])).toMatchObject({ ok: false, reason: 'media.over_quota', params: { name: 'more.gpx' } });

    expect((await (await attachmentsFor(alice)).quotaCheck(now))(100 * MIB)).toBeNull();
    close();
  });

  it('names the posts whose files break their author’s allowance, as every peer judges them', async () => {
    const { bob, attachmentsFor, post, close } = await community({ uploadQuota: { levels: [1, 1, 1, 1], tiers: [] } });
    const attachments = await attachmentsFor(bob);
    // Both prepared before either is posted: a modified client's second post, past the allowance.
    const first = await prepared(attachments, [file('first.gpx', 0.75 * MIB)]);
    const second = await prepared(attachments, [file('second.gpx', 0.75 * MIB)]);
    const now = Date.now();
    const posts = [await post(first, now - 120_000), await post(second, now - 60_000)].map((r) => ({ id: r.id, author: r.author, createdAt: r.ts }));
    expect(await attachments.refused(posts)).toEqual(new Set([posts[1].id]));
    expect(await attachments.refused([])).toEqual(new Set());
    close();
  });
});
