// A post's attachments for the page: preparing files for a post (photos re-encoded, everything
// sealed into chunks and stored here) under the community's size limit and this member's upload
// allowance, reading them back from this device or the mesh's peers (checked against the manifest,
// as media/blob-store.ts promises), and which posts' files every peer refuses. A manager of
// CommunityState's, over the few things it needs of it.
import { DEFAULT_MAX_FILE_MB, MAX_ATTACHMENTS, MIME_PATTERN, type AttachmentManifest } from '../domain/record';
import type { Settings } from '../domain/membership';
import { checkUpload, QUOTA_WINDOW_MS } from '../domain/upload-quota';
import { i18n } from '../i18n/index.svelte';
import { describeAudio, describeVideo, isAudio, isVideo, MAX_VOICE_SECONDS } from '../media/av';
import { readAttachment, storeAttachment, type AttachmentInput, type AttachmentResult } from '../media/blob-store';
import { isPhoto, prepareImage } from '../media/image';
import { isQuotaError, type HearthDb } from '../store/db';
import { fetchChunk } from '../sync/blob-exchange';
import type { CommunityReads } from '../sync/community-reads';

/** What the attachments manager needs of its community. */
export interface AttachmentsHost {
  readonly db: HearthDb;
  readonly cid: string;
  /** The posting member's key. */
  readonly me: string;
  readonly reads: Pick<CommunityReads, 'uploadAllowance' | 'recordsOfAuthorSince' | 'refusedAttachments'>;
  /** The community's settings as read so far (undefined before the standing is read). */
  settings(): Settings | undefined;
  /** Creator or admin: no upload allowance to run out of. */
  isStaff(): boolean;
}

type Refused = { ok: false; reason: string; params?: Record<string, string | number> };

export class Attachments {
  constructor(private readonly host: AttachmentsHost) {}

  /** The plaintext of one attachment of a post here, from this device or the mesh's peers; `onProgress` gets the share done (0..1). */
  read(manifest: AttachmentManifest, onProgress: (done: number) => void): Promise<AttachmentResult> {
    const { db, cid } = this.host;
    return readAttachment(db, cid, manifest, (hash) => fetchChunk(cid, hash), onProgress);
  }

  /**
   * Prepares files for a post: photos scaled and re-encoded on the device (no EXIF, no location),
   * everything sealed into chunks and stored here. Refuses a file over the community's size limit
   * or past the number a post may carry; the draft keeps its text either way.
   */
  async prepare(files: File[] = []): Promise<{ ok: true; value: AttachmentManifest[] | undefined } | Refused> {
    if (!files.length) return { ok: true, value: undefined };
    if (files.length > MAX_ATTACHMENTS) return { ok: false, reason: 'media.too_many', params: { max: MAX_ATTACHMENTS } };
    const limitMb = this.host.settings()?.maxFileMb ?? DEFAULT_MAX_FILE_MB;
    const quota = await this.quotaCheck();
    let adding = 0;
    const out: AttachmentManifest[] = [];
    for (const file of files) {
      const name = file.name.slice(0, 200) || 'file';
      let input: AttachmentInput;
      if (isPhoto(file.type)) {
        try {
          const image = await prepareImage(file);
          input = { kind: 'image', name, type: image.type, bytes: image.bytes, width: image.width, height: image.height, thumb: image.thumb };
        } catch {
          return { ok: false, reason: 'media.unreadable_image', params: { name } };
        }
      } else if (isAudio(file.type) || isVideo(file.type)) {
        const bytes = new Uint8Array(await file.arrayBuffer());
        const type = file.type.split(';')[0];
        if (isAudio(file.type)) {
          const audio = await describeAudio(bytes);
          if (audio && audio.duration > MAX_VOICE_SECONDS + 1)
            return { ok: false, reason: 'media.too_long', params: { name, minutes: MAX_VOICE_SECONDS / 60 } };
          input = { kind: 'audio', name, type, bytes, ...(audio ?? {}) };
        } else {
          const video = await describeVideo(file);
          input = { kind: 'video', name, type, bytes, ...(video ?? {}) };
        }
      } else {
        const type = MIME_PATTERN.test(file.type) ? file.type : 'application/octet-stream';
        input = { kind: 'file', name, type, bytes: new Uint8Array(await file.arrayBuffer()) };
      }
      if (input.bytes.length > limitMb * 1024 * 1024) return { ok: false, reason: 'media.too_large', params: { name, mb: limitMb } };
      adding += input.bytes.length;
      const over = quota(adding);
      if (over) return { ok: false, reason: over.reason, params: { name, ...over.params } };
      try {
        out.push(await storeAttachment(this.host.db, this.host.cid, input));
      } catch (error) {
        return { ok: false, reason: isQuotaError(error) ? 'storage.full' : 'storage.failed' };
      }
    }
    return { ok: true, value: out };
  }

  /**
   * The creator's upload allowance for this member (settings.uploadQuota): a check of `adding` bytes
   * against what they attached in the last 24 hours. Null from the check: it fits.
   */
  async quotaCheck(now = Date.now()): Promise<(adding: number) => { reason: string; params: Record<string, string | number> } | null> {
    const { cid, me, reads } = this.host;
    if (!this.host.settings()?.uploadQuota || this.host.isStaff()) return () => null;
    // The rule every peer judges posts by: published trust level and tier as of now (the worker holds both).
    const allowance = await reads.uploadAllowance(cid, me, now);
    const mine = await reads.recordsOfAuthorSince(cid, me, now - QUOTA_WINDOW_MS);
    const posted = mine.flatMap((r) =>
      'attachments' in r.body && r.body.attachments ? [{ ts: r.ts, bytes: r.body.attachments.reduce((s, a) => s + a.size, 0) }] : []
    );
    const mb = (bytes: number) => i18n.number(bytes / 1024 / 1024, 1);
    return (adding) => {
      const check = checkUpload(allowance, posted, adding, now);
      if (check.ok) return null;
      if (check.reason === 'media.uploads_off') return { reason: check.reason, params: {} };
      const params = { mb: i18n.number(check.allowance / 1024 / 1024), used: mb(check.used) };
      return check.retryAt === null
        ? { reason: 'media.over_quota_never', params }
        : { reason: 'media.over_quota', params: { ...params, in: i18n.relative(check.retryAt, now) } };
    };
  }

  /** Posts among these whose files every peer refuses (over their author's upload allowance). */
  async refused(posts: readonly { id: string; author: string; createdAt: number }[]): Promise<Set<string>> {
    if (!posts.length) return new Set();
    return new Set(
      await this.host.reads.refusedAttachments(
        this.host.cid,
        posts.map(({ id, author, createdAt }) => ({ id, author, createdAt }))
      )
    );
  }
}
