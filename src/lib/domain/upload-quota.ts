// Upload allowances the creator sets: how many MiB of attachments a member may post in any 24 hours,
// by trust level and by paid tier. An honest client checks before it stores a file, so the draft
// keeps its text and the member reads why; every peer judges the posts it reads by the same rule
// (`refusedUploads`), so a modified client's over-allowance files are never shown or fetched. The
// creator and admins have no allowance to run out of.
import type { Settings } from './membership';
import { compareRecords } from './record';
import { tierAt, type ScopeContext } from './scopes';

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

/**
 * The allowance of `author` at `ts`, from records alone: the trust level published for them then,
 * the tier they held then (grace counts), and staff (creator, admin) unlimited. Every peer gets the
 * same number; the honest client checks its own uploads with it too.
 */
export function uploadAllowanceAt(ctx: ScopeContext, quota: UploadQuota | undefined, author: string, ts: number): number | null {
  if (!quota) return null;
  const role = ctx.auth.roleAt(author, ts);
  return uploadAllowance(quota, { level: ctx.auth.trustAt(author, ts), tier: tierAt(ctx, author, ts), staff: role === 'creator' || role === 'admin' });
}

/** A post with attachments, as the upload rule sees it. */
export interface UploadPost {
  id: string;
  author: string;
  ts: number;
  bytes: number;
}

/**
 * Posts whose attachments broke their author's allowance: replayed per author in (ts, id) order,
 * each judged against the accepted ones of the 24 hours before it, as `checkUpload` judges a draft.
 * A refused post's files do not count against later ones (they are never shown or fetched).
 * `posts` must hold every post of the author in the 24 hours before the ones to judge.
 */
export function refusedUploads(posts: readonly UploadPost[], allowanceAt: (author: string, ts: number) => number | null): Set<string> {
  const refused = new Set<string>();
  const byAuthor = new Map<string, UploadPost[]>();
  for (const p of posts) {
    if (p.bytes <= 0) continue;
    let mine = byAuthor.get(p.author);
    if (!mine) byAuthor.set(p.author, (mine = []));
    mine.push(p);
  }
  for (const mine of byAuthor.values()) {
    mine.sort(compareRecords);
    const accepted: { ts: number; bytes: number }[] = [];
    for (const p of mine) {
      if (checkUpload(allowanceAt(p.author, p.ts), accepted, p.bytes, p.ts).ok) accepted.push(p);
      else refused.add(p.id);
    }
  }
  return refused;
}
