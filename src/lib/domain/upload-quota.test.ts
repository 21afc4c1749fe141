import { describe, expect, it } from 'vitest';
import { checkUpload, QUOTA_WINDOW_MS, uploadAllowance, type UploadQuota } from './upload-quota';

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
