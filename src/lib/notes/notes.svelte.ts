import type { BodyOf, Kind, SignedRecord } from '../domain/record';
import { accessHistory, currentAccess, mayChangeAccess, mayEdit, type NoteAccess } from '../domain/notes';
import { authorityOf } from '../store/projection';
import type { AppendResult } from '../sync/community-doc';
import type { CommunityState } from '../state/community.svelte';
import { Live } from '../state/live.svelte';
import { recordsOfKind } from '../store/record-store';

export interface NoteView {
  record: SignedRecord<'note'>;
  access: NoteAccess;
  canEdit: boolean;
  edits: number;
  lastEditAt: number;
}

export type AccessChoice = Pick<BodyOf<'note'>, 'access' | 'roles' | 'members'>;

export class NotesState {
  constructor(readonly community: CommunityState) {}

  get me(): string {
    return this.community.identity.publicKey;
  }

  /** Notes by members, most recently edited first. */
  list(): Live<NoteView[]> {
    const { db, cid } = this.community;
    return new Live<NoteView[]>(
      () => async () => {
        const [notes, changes, edits] = await Promise.all([
          recordsOfKind(db, cid, 'note'),
          recordsOfKind(db, cid, 'note-access'),
          recordsOfKind(db, cid, 'note-edit')
        ]);
        await db.members.where('cid').equals(cid).count();
        const auth = await authorityOf(db, cid);
        if (!auth) return [];
        const now = Date.now();
        return (notes as SignedRecord<'note'>[])
          .filter((n) => auth.accepts(n))
          .map((n) => {
            const { history } = accessHistory(
              n,
              (changes as SignedRecord<'note-access'>[]).filter((c) => c.body.note === n.id),
              auth
            );
            const mine = (edits as SignedRecord<'note-edit'>[]).filter((e) => e.body.note === n.id);
            return {
              record: n,
              access: currentAccess(history),
              canEdit: mayEdit(n, history, this.me, now, auth),
              edits: mine.length,
              lastEditAt: Math.max(n.ts, ...mine.map((e) => e.ts))
            };
          })
          .sort((a, b) => b.lastEditAt - a.lastEditAt);
      },
      []
    );
  }

  create(title: string, access: AccessChoice): Promise<AppendResult> {
    return this.#write('note', { title, ...normalise(access) });
  }

  async setAccess(note: SignedRecord<'note'>, access: AccessChoice): Promise<AppendResult> {
    const auth = await authorityOf(this.community.db, this.community.cid);
    if (!auth || !mayChangeAccess(note, this.me, Date.now(), auth)) return { ok: false, reason: 'notes.not_allowed' };
    return this.#write('note-access', { note: note.id, ...normalise(access) });
  }

  /** Through the community's one write path: posting policy, then seal, then append. */
  #write<K extends Kind>(kind: K, body: BodyOf<K>): Promise<AppendResult> {
    return this.community.write(kind, body);
  }
}

/** Keeps only the list that the chosen access uses, so the record says exactly what applies. */
function normalise(a: AccessChoice): AccessChoice {
  if (a.access === 'roles') return { access: 'roles', roles: [...new Set(a.roles ?? [])] };
  if (a.access === 'members') return { access: 'members', members: [...new Set(a.members ?? [])].slice(0, 200) };
  return { access: 'everyone' };
}
