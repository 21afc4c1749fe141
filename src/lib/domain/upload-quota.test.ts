import { describe, expect, it } from 'vitest';
import { smallCommunity } from '../../../tests/unit/community-fixture';
import { computeAuthority } from './authority';
import { currentSettings, DEFAULT_SETTINGS } from './membership';
import { CHUNK_BYTES, type AnyRecord } from './record';
import { scopeContext } from './scopes';
import { checkUpload, QUOTA_WINDOW_MS, refusedUploads, uploadAllowance, uploadAllowanceAt, type UploadQuota } from './upload-quota';

const MIB = 1024 * 1024;
const quota: UploadQuota = {
  levels: [5, 20, 50, null],
  tiers: [
    { tier: 'Gold', mb: 100 },
    { tier: 'Free', mb: 0 },
    { tier: 'Studio', mb: null }
  ]
};
const NOW = 1_700_000_000_000;

describe('upload allowance', () => {
  it('follows the trust level, the tier when larger, and no limit for staff or where none is set', () => {
    expect(uploadAllowance(quota, { level: 0, tier: null, staff: false })).toBe(5 * MIB);
    expect(uploadAllowance(quota, { level: 2, tier: null, staff: false })).toBe(50 * MIB);
    expect(uploadAllowance(quota, { level: 3, tier: null, staff: false })).toBeNull();
    expect(uploadAllowance(quota, { level: 0, tier: 'Gold', staff: false })).toBe(100 * MIB);
    // A tier with a smaller allowance does not lower the level's.
    expect(uploadAllowance(quota, { level: 1, tier: 'Free', staff: false })).toBe(20 * MIB);
    expect(uploadAllowance(quota, { level: 0, tier: 'Studio', staff: false })).toBeNull();
    expect(uploadAllowance(quota, { level: 0, tier: null, staff: true })).toBeNull();
    expect(uploadAllowance(undefined, { level: 0, tier: null, staff: false })).toBeNull();
  });
});

describe('upload check', () => {
  const allowance = 10 * MIB;
  it('allows reaching the allowance exactly and refuses one byte more', () => {
    const posted = [{ ts: NOW - 1000, bytes: 4 * MIB }];
    expect(checkUpload(allowance, posted, 6 * MIB, NOW)).toEqual({ ok: true });
    expect(checkUpload(allowance, posted, 6 * MIB + 1, NOW)).toMatchObject({ ok: false, reason: 'media.over_quota', used: 4 * MIB, allowance });
  });

  it('forgets uploads once 24 hours have passed, to the millisecond', () => {
    const posted = [
      { ts: NOW - QUOTA_WINDOW_MS, bytes: 9 * MIB },
      { ts: NOW - QUOTA_WINDOW_MS + 1, bytes: 1 * MIB }
    ];
    // The first left the window exactly now; the second still counts.
    expect(checkUpload(allowance, posted, 9 * MIB, NOW)).toEqual({ ok: true });
    expect(checkUpload(allowance, posted, 9 * MIB + 1, NOW)).toMatchObject({ ok: false, used: 1 * MIB });
  });

  it('says when enough has left the window, or that the files alone are too large', () => {
    const posted = [
      { ts: NOW - 5_000, bytes: 3 * MIB },
      { ts: NOW - 10_000, bytes: 6 * MIB }
    ];
    // Needs 5 MiB: the older 6 MiB leaving (at its time + 24 h) is enough.
    expect(checkUpload(allowance, posted, 5 * MIB, NOW)).toMatchObject({ ok: false, retryAt: NOW - 10_000 + QUOTA_WINDOW_MS });
    // Needs 8 MiB: both must leave.
    expect(checkUpload(allowance, posted, 8 * MIB, NOW)).toMatchObject({ ok: false, retryAt: NOW - 5_000 + QUOTA_WINDOW_MS });
    expect(checkUpload(allowance, [], 11 * MIB, NOW)).toMatchObject({ ok: false, retryAt: null });
  });

  it('an allowance of zero turns uploads off; posting nothing always fits', () => {
    expect(checkUpload(0, [], 1, NOW)).toEqual({ ok: false, reason: 'media.uploads_off' });
    expect(checkUpload(0, [], 0, NOW)).toEqual({ ok: true });
    expect(checkUpload(null, [{ ts: NOW, bytes: 1e12 }], 1e9, NOW)).toEqual({ ok: true });
  });
});

describe('every peer re-checks allowances (forged posts from a modified client)', () => {
  const HOUR = 3_600_000;
  const T = 1_700_000_000_000;
  /** A manifest claiming `mb` MiB, as a modified client could write it without asking its own check. */
  const manifest = (mb: number) => {
    const size = mb * MIB;
    return [
      {
        kind: 'file' as const,
        name: 'big.bin',
        type: 'application/octet-stream',
        size,
        key: 'k'.repeat(43),
        chunks: Array.from({ length: Math.ceil(size / CHUNK_BYTES) }, () => 'c'.repeat(43))
      }
    ];
  };

  async function community() {
    const c = await smallCommunity();
    const settings = await c.a('settings', { ...DEFAULT_SETTINGS, uploadQuota: { levels: [10, 20, null, null], tiers: [{ tier: 'Gold', mb: 50 }] } }, T + HOUR);
    const gold = await c.a('tier', { name: 'Gold', price: '$5', benefits: 'More uploads', durationDays: 30 }, T + HOUR);
    const base = [...c.records, settings, gold];
    const judge = async (posts: AnyRecord[], extra: AnyRecord[] = []) => {
      const all = [...base, ...extra, ...posts];
      const auth = computeAuthority(c.genesis, all);
      const ctx = scopeContext(all, auth);
      const quota = currentSettings(all, auth).uploadQuota;
      const judged = posts.flatMap((r) =>
        r.kind === 'thread' || r.kind === 'reply'
          ? [{ id: r.id, author: r.author, ts: r.ts, bytes: (r.body.attachments ?? []).reduce((s, a) => s + a.size, 0) }]
          : []
      );
      return refusedUploads(judged, (author, ts) => uploadAllowanceAt(ctx, quota, author, ts));
    };
    return { ...c, judge };
  }

  it('a post over the author’s allowance in 24 hours is refused, an earlier one within it is not, and the refused one uses nothing', async () => {
    const { b, judge } = await community();
    const first = await b('thread', { title: 'A', body: 'a', attachments: manifest(6) }, T + 2 * HOUR);
    const over = await b('thread', { title: 'B', body: 'b', attachments: manifest(6) }, T + 3 * HOUR);
    const fits = await b('thread', { title: 'C', body: 'c', attachments: manifest(4) }, T + 4 * HOUR);
    expect(await judge([first, over, fits])).toEqual(new Set([over.id]));
    // Whatever order a peer received them in.
    expect(await judge([fits, over, first])).toEqual(new Set([over.id]));
  });

  it('a day later the allowance is free again; a tier paid by then raises it; the creator has none', async () => {
    const { a, b, bob, judge } = await community();
    const first = await b('thread', { title: 'A', body: 'a', attachments: manifest(10) }, T + 2 * HOUR);
    const nextDay = await b('thread', { title: 'B', body: 'b', attachments: manifest(10) }, T + 2 * HOUR + QUOTA_WINDOW_MS);
    expect(await judge([first, nextDay])).toEqual(new Set());
    const big = await b('thread', { title: 'C', body: 'c', attachments: manifest(30) }, T + 72 * HOUR);
    expect(await judge([big])).toEqual(new Set([big.id]));
    const paidOn = new Date(T).toISOString().slice(0, 10);
    const pays = await a('payment', { member: bob.publicKey, tier: 'Gold', amount: 5, currency: 'USD', paidOn }, T + 2 * HOUR);
    expect(await judge([big], [pays])).toEqual(new Set());
    const creatorsFile = await a('thread', { title: 'D', body: 'd', attachments: manifest(40) }, T + 5 * HOUR);
    expect(await judge([creatorsFile])).toEqual(new Set());
  });
});
