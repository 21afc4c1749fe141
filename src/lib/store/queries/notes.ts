// Shared notes as a member reads them: the list, one note with the edits that count, and which newly
// arrived edits count. Each takes the authority (who is a member, who moderates, every role), so it
// is answered where the document is (the community worker), never replayed on a page.
import type { Authority, Judged } from '../../domain/authority';
import { accessHistory, currentAccess, mayChangeAccess, mayEdit, partitionEdits, type NoteAccess } from '../../domain/notes';
import type { SignedRecord } from '../../domain/record';
import type { HearthDb } from '../db';
import { authorityOf } from '../projection';
import { recordsById, recordsOfKind, recordsTargeting } from '../record-store';

export interface NoteView {
  record: SignedRecord<'note'>;
  access: NoteAccess;
  canEdit: boolean;
  edits: number;
  lastEditAt: number;
}

/** One note as its session shows it: the access in force, the edits that count and those that do not. */
export interface NoteDetail {
  note: SignedRecord<'note'>;
  /** The note's access over time (domain/notes `accessHistory`): the last entry is in force now. */
  history: NoteAccess[];
  allowed: SignedRecord<'note-edit'>[];
  /** Edits by members who may not edit the note (counted, never applied). */
  refused: SignedRecord<'note-edit'>[];
  canEdit: boolean;
  canChangeAccess: boolean;
}

/** The note by id if authority shows it in this community. */
async function shownNote(db: HearthDb, auth: Authority, cid: string, id: string): Promise<SignedRecord<'note'> | null> {
  const [note] = await recordsById(db, [id]);
  return note?.kind === 'note' && note.cid === cid && auth.accepts(note) ? (note as SignedRecord<'note'>) : null;
}

/** The note's access changes (few, whatever the number of its edits). */
async function accessChanges(db: HearthDb, cid: string, note: string): Promise<SignedRecord<'note-access'>[]> {
  return (await recordsOfKind(db, cid, 'note-access', (c) => c.body.note === note)) as SignedRecord<'note-access'>[];
}

/** The community's notes shown to `me`, most recently edited first. */
export async function noteList(db: HearthDb, cid: string, me: string, now: number): Promise<NoteView[]> {
  const [notes, changes, edits, auth] = await Promise.all([
    recordsOfKind(db, cid, 'note'),
    recordsOfKind(db, cid, 'note-access'),
    recordsOfKind(db, cid, 'note-edit'),
    authorityOf(db, cid)
  ]);
  if (!auth) return [];
  return (notes as SignedRecord<'note'>[])
    .filter((n) => auth.accepts(n))
    .map((n) => {
      const { history } = accessHistory(
        n,
        (changes as SignedRecord<'note-access'>[]).filter((c) => c.body.note === n.id),
        auth
      );
      const mine = edits.filter((e) => e.body.note === n.id);
      return {
        record: n,
        access: currentAccess(history),
        canEdit: mayEdit(n, history, me, now, auth),
        edits: mine.length,
        lastEditAt: Math.max(n.ts, ...mine.map((e) => e.ts))
      };
    })
    .sort((a, b) => b.lastEditAt - a.lastEditAt);
}

/** One note with its edits judged, and what `me` may do with it at `now`; null when it is not shown. */
export async function noteDetail(db: HearthDb, cid: string, id: string, me: string, now: number): Promise<NoteDetail | null> {
  const auth = await authorityOf(db, cid);
  if (!auth) return null;
  const [note, targeting] = await Promise.all([shownNote(db, auth, cid, id), recordsTargeting(db, id)]);
  if (!note) return null;
  const related = targeting.filter((r) => r.cid === cid);
  const changes = related.filter((r): r is SignedRecord<'note-access'> & { target?: string } => r.kind === 'note-access');
  const edits = related.filter((r): r is SignedRecord<'note-edit'> & { target?: string } => r.kind === 'note-edit');
  const { history } = accessHistory(note, changes, auth);
  const { allowed, refused } = partitionEdits(note, history, edits, auth);
  return {
    note,
    history,
    allowed,
    refused,
    canEdit: mayEdit(note, history, me, now, auth),
    canChangeAccess: mayChangeAccess(note, me, now, auth)
  };
}

/**
 * Ids among these edits of the note (their ids, authors and times) whose authors may edit it at the
 * edit's time; null when the note is not shown. A session asks this of each batch that arrives,
 * without reading the note's other edits again.
 */
export async function allowedNoteEdits(db: HearthDb, cid: string, id: string, edits: readonly Judged[]): Promise<string[] | null> {
  const auth = await authorityOf(db, cid);
  if (!auth) return null;
  const [note, changes] = await Promise.all([shownNote(db, auth, cid, id), accessChanges(db, cid, id)]);
  if (!note) return null;
  const { history } = accessHistory(note, changes, auth);
  return edits.filter((e) => auth.accepts(e) && mayEdit(note, history, e.author, e.ts, auth)).map((e) => e.id);
}
