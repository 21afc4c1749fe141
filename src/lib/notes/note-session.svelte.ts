// One open shared note: a local Y.Doc (NoteText) that the editor binds to. Local typing is batched
// (400 ms) into signed `note-edit` records written through the community's one write path (posting
// policy, seal, append); accepted `note-edit` records from peers are applied if their author may
// edit, so co-editing is live and offline edits merge when the community doc syncs again. Who may
// edit is the community worker's answer (CommunityReads `note`, `allowedNoteEdits`): it takes the
// authority, which a page never replays.
import type * as Y from 'yjs';
import { AUTHORITY_KINDS } from '../domain/authority';
import { currentAccess, type NoteAccess } from '../domain/notes';
import type { AnyRecord, SignedRecord } from '../domain/record';
import type { DocHandle as CommunityDoc } from '../sync/doc-handle';
import { openCommunityDoc } from '../sync/registry';
import type { CommunityState } from '../state/community.svelte';
import { encodeEdits, FROM_RECORD, NoteText } from './note-text';

/** Local typing is sent at most this often: one record per pause, not per keystroke. */
export const BATCH_MS = 400;

export class NoteSession {
  note = $state.raw<SignedRecord<'note'> | null>(null);
  loaded = $state(false);
  access = $state.raw<NoteAccess | null>(null);
  canEdit = $state(false);
  canChangeAccess = $state(false);
  /** Edits in the document by members who may not edit this note: never applied. */
  refused = $state(0);
  unreadable = $state(0);
  /** Local changes typed but not yet written as records. */
  unsent = $state(0);
  sendError = $state<string | null>(null);
  /** Replaced (and the editor rebound) when a late access change means an applied edit no longer counts. */
  text = $state.raw(new NoteText());

  #doc: CommunityDoc | null = null;
  #buffer: Uint8Array[] = [];
  #timer: ReturnType<typeof setTimeout> | null = null;
  #sending: Promise<void> = Promise.resolve();
  #reloading: Promise<void> = Promise.resolve();
  #cleanup: (() => void)[] = [];
  #closed = false;

  constructor(
    readonly community: CommunityState,
    readonly id: string
  ) {}

  async start(): Promise<void> {
    this.#doc = this.community.doc ?? (await openCommunityDoc(this.community.db, this.community.cid));
    this.#cleanup.push(this.#doc.onAccepted((records) => this.#onAccepted(records)));
    if (typeof window !== 'undefined') {
      // Closing the tab within the batch delay must not lose the last words typed.
      const flushNow = () => void this.flush();
      window.addEventListener('pagehide', flushNow);
      this.#cleanup.push(() => window.removeEventListener('pagehide', flushNow));
    }
    this.#watch(this.text);
    await this.#queueReload();
  }

  async destroy(): Promise<void> {
    await this.flush();
    this.#closed = true;
    for (const undo of this.#cleanup.splice(0)) undo();
  }

  #watch(text: NoteText): void {
    const onUpdate = (update: Uint8Array, origin: unknown) => {
      // A member who may not edit sends nothing: the editor is read-only, and any change that still
      // happens locally (an editor normalising an empty note) would only be refused by every peer.
      if (origin === FROM_RECORD || this.#closed || text !== this.text || !this.canEdit) return;
      this.#buffer.push(update);
      this.unsent = this.#buffer.length;
      if (this.#timer === null) this.#timer = setTimeout(() => void this.flush(), BATCH_MS);
    };
    text.doc.on('update', onUpdate);
    this.#cleanup.push(() => text.doc.off('update', onUpdate));
  }

  /** Writes buffered local changes as signed records (split to fit the record limit). */
  flush(): Promise<void> {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    const updates = this.#buffer.splice(0);
    if (!updates.length || !this.#doc || !this.note) return this.#sending;
    const note = this.note.id;
    this.#sending = this.#sending.then(async () => {
      for (const update of encodeEdits(updates)) {
        const result = await this.community.write('note-edit', { note, update });
        // Typed here: already in the local text, never applied again from its record.
        if (result.ok) this.text.applied.add(result.record.id);
        this.sendError = result.ok ? null : result.reason;
      }
      this.unsent = this.#buffer.length;
    });
    return this.#sending;
  }

  #onAccepted(records: AnyRecord[]): void {
    const edits: SignedRecord<'note-edit'>[] = [];
    let reload = false;
    for (const r of records) {
      if (r.kind === 'note-edit' && r.body.note === this.id) edits.push(r);
      else if ((r.kind === 'note-access' && r.body.note === this.id) || r.id === this.id || AUTHORITY_KINDS.has(r.kind) || r.kind === 'tombstone') {
        reload = true;
      }
    }
    // A reload judges every edit of the note again, these among them.
    if (reload || (edits.length && !this.note)) void this.#queueReload();
    else if (edits.length) void this.#queue(() => this.#judge(edits));
  }

  #queueReload(): Promise<void> {
    return this.#queue(() => this.#reload());
  }

  /** Reloads and judgements run one at a time, in the order asked: a judgement never lands before the reload it follows. */
  #queue(job: () => Promise<void>): Promise<void> {
    this.#reloading = this.#reloading.then(job).catch((e) => console.error('note reload failed', e));
    return this.#reloading;
  }

  /** Applies the arrived edits whose authors may edit the note, and counts the others. */
  async #judge(edits: SignedRecord<'note-edit'>[]): Promise<void> {
    const { cid } = this.community;
    const allowed = await this.community.reads.allowedNoteEdits(
      cid,
      this.id,
      edits.map((e) => ({ id: e.id, author: e.author, ts: e.ts, ...((e as { held?: unknown }).held ? { held: 1 } : {}) }))
    );
    if (this.#closed) return;
    if (!allowed) return this.#reload();
    const counts = new Set(allowed);
    for (const e of edits) {
      if (counts.has(e.id)) this.text.apply(e);
      else this.text.refuse(e);
    }
    this.#publishCounts();
  }

  /** Recomputes access and which edits count, from the stored records (the community worker's answer). */
  async #reload(): Promise<void> {
    const { cid } = this.community;
    const me = this.community.identity.publicKey;
    const detail = await this.community.reads.note(cid, this.id, me, Date.now());
    if (this.#closed) return;
    if (!detail) {
      this.note = null;
      this.loaded = true;
      return;
    }
    const { note, history, allowed, refused } = detail;
    this.note = note;
    // An edit already shown that no longer counts (a late access change): build the text anew.
    const refusedIds = new Set(refused.map((e) => e.id));
    if ([...this.text.applied].some((id) => refusedIds.has(id))) {
      await this.flush();
      const fresh = new NoteText();
      this.#watch(fresh);
      this.text = fresh;
    }
    for (const e of allowed) this.text.apply(e);
    for (const e of refused) this.text.refuse(e);
    this.access = currentAccess(history);
    this.canEdit = detail.canEdit;
    this.canChangeAccess = detail.canChangeAccess;
    this.#publishCounts();
    this.loaded = true;
  }

  #publishCounts(): void {
    this.refused = this.text.refused.size;
    this.unreadable = this.text.unreadable.size;
  }

  get fragment(): Y.XmlFragment {
    return this.text.fragment;
  }
}
