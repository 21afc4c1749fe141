// One open shared note: a local Y.Doc (NoteText) that the editor binds to. Local typing is batched
// (400 ms) into signed `note-edit` records appended through the community document; accepted
// `note-edit` records from peers are applied if their author may edit, so co-editing is live and
// offline edits merge when the community doc syncs again.
import type * as Y from 'yjs';
import { sealNext } from '../store/record-chain';
import { AUTHORITY_KINDS, type Authority } from '../domain/authority';
import { accessHistory, currentAccess, mayChangeAccess, mayEdit, partitionEdits, type NoteAccess } from '../domain/notes';
import type { AnyRecord, SignedRecord } from '../domain/record';
import { authorityOf } from '../store/projection';
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
  #auth: Authority | null = null;
  #history: NoteAccess[] = [];
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
    const doc = this.#doc;
    const note = this.note.id;
    this.#sending = this.#sending.then(async () => {
      for (const update of encodeEdits(updates)) {
        const refused = await this.community.posting.check('note-edit', { note, update }, Date.now());
        if (refused) {
          this.sendError = refused.reason;
          continue;
        }
        const record = await sealNext(this.community.db, this.community.identity, {
          kind: 'note-edit',
          cid: this.community.cid,
          ts: Date.now(),
          body: { note, update }
        });
        this.text.applied.add(record.id);
        const result = await doc.append(record);
        this.sendError = result.ok ? null : result.reason;
      }
      this.unsent = this.#buffer.length;
    });
    return this.#sending;
  }

  #onAccepted(records: AnyRecord[]): void {
    let reload = false;
    for (const r of records) {
      if (r.kind === 'note-edit' && r.body.note === this.id) {
        if (!this.note || !this.#auth) reload = true;
        else if (this.#auth.accepts(r) && mayEdit(this.note, this.#history, r.author, r.ts, this.#auth)) this.text.apply(r);
        else this.text.refuse(r);
      } else if ((r.kind === 'note-access' && r.body.note === this.id) || r.id === this.id || AUTHORITY_KINDS.has(r.kind) || r.kind === 'tombstone') {
        reload = true;
      }
    }
    if (reload) void this.#queueReload();
    else this.#publishCounts();
  }

  #queueReload(): Promise<void> {
    this.#reloading = this.#reloading.then(() => this.#reload()).catch((e) => console.error('note reload failed', e));
    return this.#reloading;
  }

  /** Recomputes access and which edits count, from the stored records. */
  async #reload(): Promise<void> {
    const { db, cid } = this.community;
    const [{ record: note, targeting: related }, auth] = await Promise.all([this.community.reads.recordAndTargeting(cid, this.id), authorityOf(db, cid)]);
    if (this.#closed) return;
    if (!auth || note?.kind !== 'note' || note.cid !== cid || !auth.accepts(note)) {
      this.note = null;
      this.loaded = true;
      return;
    }
    const changes = related.filter((r): r is SignedRecord<'note-access'> & { target?: string } => r.kind === 'note-access');
    const edits = related.filter((r): r is SignedRecord<'note-edit'> & { target?: string } => r.kind === 'note-edit');
    const { history } = accessHistory(note, changes, auth);
    const { allowed, refused } = partitionEdits(note, history, edits, auth);
    this.note = note;
    this.#auth = auth;
    this.#history = history;
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
    const now = Date.now();
    this.access = currentAccess(history);
    this.canEdit = mayEdit(note, history, this.community.identity.publicKey, now, auth);
    this.canChangeAccess = mayChangeAccess(note, this.community.identity.publicKey, now, auth);
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
