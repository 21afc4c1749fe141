// Shared notes: who may edit a note at a given time. The note record sets the first access;
// `note-access` records by the note's author or a moderator change it (latest in (ts, id) order
// wins). An edit counts only if its author may edit at the edit's time, so every peer holding the
// same records applies the same edits and shows the same text.
import type { Authority } from './authority';
import { compareRecords, type BodyOf, type SignedRecord } from './record';

export type NoteRole = 'admin' | 'moderator' | 'member';
export interface NoteAccess {
  access: 'everyone' | 'roles' | 'members';
  roles: NoteRole[];
  members: string[];
  /** When this setting took effect (the note's or the note-access record's ts). */
  since: number;
}

function accessOf(body: BodyOf<'note'> | BodyOf<'note-access'>, since: number): NoteAccess {
  return { access: body.access, roles: [...(body.roles ?? [])], members: [...(body.members ?? [])], since };
}

/** May this `note-access` record change the note's access? Its author or a moderator, a member at the time. */
export function mayChangeAccess(note: SignedRecord<'note'>, key: string, ts: number, auth: Authority): boolean {
  if (!auth.isMember(key, ts)) return false;
  return key === note.author || auth.isModerator(key);
}

/**
 * The access history of a note: its own setting, then each valid change in (ts, id) order.
 * Invalid changes (by others, for another note, dated before the note) are counted.
 */
export function accessHistory(
  note: SignedRecord<'note'>,
  changes: readonly SignedRecord<'note-access'>[],
  auth: Authority
): { history: NoteAccess[]; ignored: number } {
  const history = [accessOf(note.body, note.ts)];
  let ignored = 0;
  for (const c of [...changes].sort(compareRecords)) {
    if (c.body.note !== note.id || c.cid !== note.cid || c.ts < note.ts || !auth.accepts(c) || !mayChangeAccess(note, c.author, c.ts, auth)) {
      ignored++;
      continue;
    }
    history.push(accessOf(c.body, c.ts));
  }
  return { history, ignored };
}

/** The setting in force at `ts` (the latest that began at or before it). */
export function accessAt(history: readonly NoteAccess[], ts: number): NoteAccess {
  let current = history[0];
  for (const h of history) if (h.since <= ts) current = h;
  return current;
}

/** The setting in force now: the last of the history. */
export function currentAccess(history: readonly NoteAccess[]): NoteAccess {
  return history[history.length - 1];
}

/**
 * May `key` edit the note at `ts`? The note's author always may (while a member); otherwise the
 * access in force at `ts` decides. The creator counts as an admin for role-based access.
 */
export function mayEdit(note: SignedRecord<'note'>, history: readonly NoteAccess[], key: string, ts: number, auth: Authority): boolean {
  if (!auth.isMember(key, ts)) return false;
  if (key === note.author) return true;
  const access = accessAt(history, ts);
  switch (access.access) {
    case 'everyone':
      return true;
    case 'members':
      return access.members.includes(key);
    case 'roles': {
      const role = auth.roleOf(key);
      return role !== null && access.roles.includes(role === 'creator' ? 'admin' : role);
    }
  }
}

/** Splits a note's edits into those that count and those that do not (reported, never applied). */
export function partitionEdits<E extends SignedRecord<'note-edit'>>(
  note: SignedRecord<'note'>,
  history: readonly NoteAccess[],
  edits: readonly E[],
  auth: Authority
): { allowed: E[]; refused: E[] } {
  const allowed: E[] = [];
  const refused: E[] = [];
  for (const e of edits) {
    // No check against the note's own ts: a device whose clock lags may still edit a note it can see.
    const ok = e.body.note === note.id && e.cid === note.cid && auth.accepts(e) && mayEdit(note, history, e.author, e.ts, auth);
    (ok ? allowed : refused).push(e);
  }
  return { allowed, refused };
}
