import { describe, expect, it } from 'vitest';
import { admit, newCommunity, newMember, writer } from '../../../tests/unit/community-fixture';
import { computeAuthority } from './authority';
import { accessHistory, currentAccess, mayEdit, partitionEdits } from './notes';

const T0 = 1_700_000_000_000;

describe('who may edit a shared note', () => {
  it('access changes by the author or a moderator apply from their time; others are ignored', async () => {
    const alice = await newMember();
    const bob = await newMember();
    const carol = await newMember();
    const g = await newCommunity(alice);
    const auth = computeAuthority(g, [g, ...(await admit(alice, bob, g.id, T0 + 100)), ...(await admit(alice, carol, g.id, T0 + 200))]);
    const note = await writer(alice, g.id, T0 + 1000)('note', { title: 'Plan', access: 'everyone' });
    const lock = await writer(alice, g.id, T0 + 10_000)('note-access', { note: note.id, access: 'roles', roles: ['admin'] });
    const carolTakesOver = await writer(carol, g.id, T0 + 11_000)('note-access', { note: note.id, access: 'members', members: [carol.publicKey] });
    const { history, ignored } = accessHistory(note, [carolTakesOver, lock], auth);
    expect(ignored).toBe(1);
    const edit = (who: typeof bob, at: number) => writer(who, g.id)('note-edit', { note: note.id, update: '' }, at);
    const before = await edit(bob, T0 + 9000);
    const after = await edit(bob, T0 + 12_000);
    const creatorAfter = await edit(alice, T0 + 12_000);
    const carolAfter = await edit(carol, T0 + 12_000);
    const { allowed, refused } = partitionEdits(note, history, [before, after, creatorAfter, carolAfter], auth);
    expect(allowed.map((e) => e.id).sort()).toEqual([before.id, creatorAfter.id].sort());
    expect(refused).toHaveLength(2);
  });

  it('role access counts the creator as an admin; named access names members; non-members never edit', async () => {
    const alice = await newMember();
    const mod = await newMember();
    const bob = await newMember();
    const stranger = await newMember();
    const g = await newCommunity(alice);
    const auth = computeAuthority(g, [g, ...(await admit(alice, mod, g.id, T0 + 100, 'moderator')), ...(await admit(alice, bob, g.id, T0 + 200))]);
    const note = await writer(bob, g.id, T0 + 1000)('note', { title: 'Roles', access: 'roles', roles: ['admin'] });
    const { history } = accessHistory(note, [], auth);
    const at = T0 + 5000;
    expect(mayEdit(note, history, alice.publicKey, at, auth)).toBe(true);
    expect(mayEdit(note, history, mod.publicKey, at, auth)).toBe(false);
    expect(mayEdit(note, history, bob.publicKey, at, auth)).toBe(true); // the author
    expect(mayEdit(note, history, stranger.publicKey, at, auth)).toBe(false);
    // A moderator may change access although not the author.
    const open = await writer(mod, g.id)('note-access', { note: note.id, access: 'members', members: [mod.publicKey] }, T0 + 6000);
    const after = accessHistory(note, [open], auth).history;
    expect(currentAccess(after).access).toBe('members');
    expect(mayEdit(note, after, mod.publicKey, T0 + 7000, auth)).toBe(true);
    expect(mayEdit(note, after, alice.publicKey, T0 + 7000, auth)).toBe(false);
  });
});
