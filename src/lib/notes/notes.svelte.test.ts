// Notes as a page asks for them: which notes show, who may edit each and who may open them to
// others, all from the community's reads; the page's own store holds none of the records.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { admit, newCommunity, newMember, writer } from '../../../tests/unit/community-fixture';
import { pageCommunity } from '../../../tests/unit/page-community';
import type { Identity } from '../crypto/identity';
import { HearthDb } from '../store/db';
import { applyRecords } from '../store/projection';
import { readsOver } from '../sync/community-reads';
import { NotesState } from './notes.svelte';

let n = 0;

async function community() {
  const alice = await newMember();
  const bob = await newMember();
  const carol = await newMember();
  const g = await newCommunity(alice);
  const a = writer(alice, g.id);
  const note = await a('note', { title: 'Route', access: 'members', members: [bob.publicKey] });
  const db = new HearthDb(`notes-${n++}`);
  await applyRecords(db, g.id, [g, ...(await admit(alice, bob, g.id)), ...(await admit(alice, carol, g.id, 1_700_000_000_700)), note]);
  return { alice, bob, carol, cid: g.id, db, note };
}

/** Notes on a page whose own database holds nothing: the records are where the reads are. */
function notesOf(db: HearthDb, cid: string, identity: Identity) {
  const { community, write } = pageCommunity(db, cid, identity);
  return { notes: new NotesState(community), write };
}

describe('notes from the community’s reads', () => {
  it('the note’s author may open it to others; a member who is neither its author nor a moderator may not', async () => {
    const { alice, bob, cid, db, note } = await community();
    const mine = notesOf(db, cid, alice);
    expect((await mine.notes.setAccess(note, { access: 'everyone' })).ok).toBe(true);
    expect(mine.write).toHaveBeenCalledWith('note-access', { note: note.id, access: 'everyone' });

    const bobs = notesOf(db, cid, bob);
    expect(await bobs.notes.setAccess(note, { access: 'everyone' })).toEqual({ ok: false, reason: 'notes.not_allowed' });
    expect(bobs.write).not.toHaveBeenCalled();
  });

  it('lists the notes with who may edit them, for the member asking', async () => {
    const { alice, bob, carol, cid, db, note } = await community();
    const reads = readsOver(db);
    const canEdit = async (who: Identity) => (await reads.notes(cid, who.publicKey, Date.now())).map((v) => [v.record.id, v.access.access, v.canEdit]);
    expect(await canEdit(alice)).toEqual([[note.id, 'members', true]]);
    expect(await canEdit(bob)).toEqual([[note.id, 'members', true]]);
    expect(await canEdit(carol)).toEqual([[note.id, 'members', false]]);
  });
});
