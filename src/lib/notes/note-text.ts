// The visible text of one shared note: a local Y.Doc built only from the `note-edit` records whose
// author may edit (domain/notes), plus this device's own typing. Edits by others are never applied;
// they are counted so the page can report them. Updates may arrive in any order: Yjs merges them.
import * as Y from 'yjs';
import { fromBase64Url, toBase64Url } from '../crypto/encoding';
import type { SignedRecord } from '../domain/record';
import { splitUpdate } from './update-split';

/** The rich-text root the editor binds to. */
export const NOTE_FRAGMENT = 'body';
/** `note-edit.update` holds at most 48,000 base64url characters: 36,000 bytes. */
export const MAX_EDIT_BYTES = 36_000;
/** Transaction origin of updates that came from records, so they are not sent back out. */
export const FROM_RECORD = Symbol('note-record');

export class NoteText {
  readonly doc: Y.Doc;
  readonly applied = new Set<string>();
  readonly refused = new Set<string>();
  /** Records whose update could not be decoded. */
  readonly unreadable = new Set<string>();

  constructor(doc = new Y.Doc()) {
    this.doc = doc;
  }

  get fragment(): Y.XmlFragment {
    return this.doc.getXmlFragment(NOTE_FRAGMENT);
  }

  /** Applies an edit the caller has found allowed. Idempotent: a record seen twice changes nothing. */
  apply(edit: Pick<SignedRecord<'note-edit'>, 'id' | 'body'>): boolean {
    if (this.applied.has(edit.id) || this.unreadable.has(edit.id)) return false;
    const bytes = fromBase64Url(edit.body.update);
    if (!bytes) {
      this.unreadable.add(edit.id);
      return false;
    }
    try {
      Y.applyUpdate(this.doc, bytes, FROM_RECORD);
    } catch {
      // A hostile but allowed editor can sign bytes that are not a Yjs update: they lose only themselves.
      this.unreadable.add(edit.id);
      return false;
    }
    this.applied.add(edit.id);
    return true;
  }

  /** Notes an edit that is not applied (its author may not edit the note). */
  refuse(edit: Pick<SignedRecord<'note-edit'>, 'id'>): void {
    this.refused.add(edit.id);
  }

  /** True while some applied update waits for another that has not arrived yet. */
  get waiting(): boolean {
    return this.doc.store.pendingStructs !== null || this.doc.store.pendingDs !== null;
  }

  /** Plain text of the note, paragraph per line: for tests, search and previews. */
  text(): string {
    return fragmentText(this.fragment);
  }
}

/** Text of a rich-text node: inline text joined, blocks one per line. */
export function fragmentText(node: Y.XmlFragment | Y.XmlText): string {
  if (node instanceof Y.XmlText) {
    return (node.toDelta() as { insert: unknown }[]).map((d) => (typeof d.insert === 'string' ? d.insert : '')).join('');
  }
  const children = node.toArray().filter((c): c is Y.XmlElement | Y.XmlText => c instanceof Y.XmlElement || c instanceof Y.XmlText);
  const inline = children.every((c) => c instanceof Y.XmlText);
  return children.map(fragmentText).join(inline ? '' : '\n');
}

/** Encodes one local batch as `note-edit` update strings, split to fit the record limit. */
export function encodeEdits(updates: readonly Uint8Array[], maxBytes = MAX_EDIT_BYTES): string[] {
  if (!updates.length) return [];
  const merged = updates.length === 1 ? updates[0] : Y.mergeUpdates([...updates]);
  return splitUpdate(merged, maxBytes).map(toBase64Url);
}
