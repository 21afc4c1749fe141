// The community's shared notes as a member lists, starts and opens them to others. Which notes show and
// who may edit each take the authority: the community worker answers (CommunityReads `notes`, `note`);
// every write goes through the community's one write path.
import type { BodyOf, Kind, SignedRecord } from '../domain/record';
import type { AppendResult } from '../sync/community-doc';
import type { CommunityState } from '../state/community.svelte';
import { Live } from '../state/live.svelte';
import type { NoteView } from '../store/queries/notes';
import { hasRecords } from '../store/record-store';

export type { NoteView };

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
        // Asked again whenever a record of the community is stored (an edit, an access change, a join or a ban).
        await hasRecords(db, cid);
        return this.community.reads.notes(cid, this.me, Date.now());
      },
      []
    );
  }

  create(title: string, access: AccessChoice): Promise<AppendResult> {
    return this.#write('note', { title, ...normalise(access) });
  }

  async setAccess(note: SignedRecord<'note'>, access: AccessChoice): Promise<AppendResult> {
    const shown = await this.community.reads.note(this.community.cid, note.id, this.me, Date.now());
    if (!shown?.canChangeAccess) return { ok: false, reason: 'notes.not_allowed' };
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
