// Which posts' attachments broke their author's upload allowance, as every peer judges them
// (domain/upload-quota `refusedUploads`): read per author over the 24 hours before the posts shown.
import { currentSettings } from '../../domain/membership';
import { QUOTA_WINDOW_MS, refusedUploads, uploadAllowanceAt, type UploadPost } from '../../domain/upload-quota';
import type { AnyRecord } from '../../domain/record';
import type { HearthDb } from '../db';
import { keyState } from '../keyring';
import { recordsByAuthorBetween, recordsOfKinds } from '../record-store';

/** Ids among `posts` whose attachments are refused (never shown, never fetched). */
export async function refusedAttachments(db: HearthDb, cid: string, posts: readonly { id: string; author: string; createdAt: number }[]): Promise<Set<string>> {
  if (!posts.length) return new Set();
  const state = await keyState(db, cid);
  if (!state) return new Set();
  const quota = currentSettings((await recordsOfKinds(db, cid, ['settings'])) as AnyRecord[], state.ctx.auth).uploadQuota;
  if (!quota) return new Set();
  const spans = new Map<string, { from: number; to: number }>();
  for (const p of posts) {
    const span = spans.get(p.author);
    spans.set(p.author, { from: Math.min(span?.from ?? Infinity, p.createdAt), to: Math.max(span?.to ?? -Infinity, p.createdAt) });
  }
  const judged: UploadPost[] = [];
  for (const [author, { from, to }] of spans) {
    const rows = await recordsByAuthorBetween(db, cid, author, from - QUOTA_WINDOW_MS, to, { includeFrom: false, includeTo: true });
    for (const r of rows) {
      // Held back by the record quota or not accepted: never shown, so it uses nothing.
      if (r.held || !state.ctx.auth.accepts(r) || (r.kind !== 'thread' && r.kind !== 'reply') || !r.body.attachments?.length) continue;
      judged.push({ id: r.id, author, ts: r.ts, bytes: r.body.attachments.reduce((s, a) => s + a.size, 0) });
    }
  }
  const refused = refusedUploads(judged, (author, ts) => uploadAllowanceAt(state.ctx, quota, author, ts));
  return new Set(posts.filter((p) => refused.has(p.id)).map((p) => p.id));
}
