// Upload allowances the creator sets: how many MiB of attachments a member may post in any 24 hours,
// by trust level and by paid tier. An honest client checks before it stores a file, so the draft
// keeps its text and the member reads why; the creator and admins have no allowance to run out of.
import type { Settings } from './membership';

export const QUOTA_WINDOW_MS = 24 * 3_600_000;
const MIB = 1024 * 1024;

export type UploadQuota = NonNullable<Settings['uploadQuota']>;

/** The member's allowance in bytes per 24 hours, or null for no limit. */
export function uploadAllowance(quota: UploadQuota | undefined, member: { level: number; tier: string | null; staff: boolean }): number | null {
  if (!quota || member.staff) return null;
  const byLevel = quota.levels[Math.max(0, Math.min(3, member.level))] ?? null;
  const byTier = member.tier ? quota.tiers.find((t) => t.tier === member.tier) : undefined;
  // No limit from either source that applies means no limit; otherwise the larger allowance holds.
  if (byLevel === null || (byTier && byTier.mb === null)) return null;
  return Math.max(byLevel, byTier?.mb ?? 0) * MIB;
}

export type QuotaCheck =
  | { ok: true }
  | { ok: false; reason: 'media.uploads_off' }
  | { ok: false; reason: 'media.over_quota'; allowance: number; used: number; retryAt: number | null };

/**
 * Whether `adding` more bytes fit in the allowance, given what the member posted before (`posted`:
 * time and bytes of each post's attachments). Posts at or before `now − 24 h` no longer count;
 * reaching the allowance exactly is allowed. `retryAt` is when enough of the window has passed
 * (null: never, the files alone are more than the allowance).
 */
export function checkUpload(allowance: number | null, posted: readonly { ts: number; bytes: number }[], adding: number, now: number): QuotaCheck {
  if (allowance === null || adding === 0) return { ok: true };
  if (allowance === 0) return { ok: false, reason: 'media.uploads_off' };
  const recent = posted.filter((p) => p.ts > now - QUOTA_WINDOW_MS).sort((a, b) => a.ts - b.ts);
  const used = recent.reduce((s, p) => s + p.bytes, 0);
  if (used + adding <= allowance) return { ok: true };
  // The earliest time enough old uploads have left the window.
  let freed = used;
  let retryAt: number | null = null;
  for (const p of recent) {
    freed -= p.bytes;
    if (freed + adding <= allowance) {
      retryAt = p.ts + QUOTA_WINDOW_MS;
      break;
    }
  }
  return { ok: false, reason: 'media.over_quota', allowance, used, retryAt };
}
