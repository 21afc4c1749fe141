// NoteSession over real CommunityDocs (Dexie on fake-indexeddb), synced by exchanging Yjs updates
// the way providers do: batching, live application, refused edits, access changes.
import 'fake-indexeddb/auto';
import * as Y from 'yjs';
import { describe, expect, it, vi } from 'vitest';
import { admit, newCommunity, newMember } from '../../../tests/unit/community-fixture';
import type { Identity } from '../crypto/identity';
import { sealRecord } from '../crypto/record-seal';
import { toBase64Url } from '../crypto/encoding';
import type { AnyRecord, BodyOf, Kind } from '../domain/record';
import { HearthDb } from '../store/db';
import { CommunityDoc } from '../sync/community-doc';
import type { CommunityState } from '../state/community.svelte';
import { NoteSession } from './note-session.svelte';
import { Posting } from '../state/posting';
import { writeRecord, type WritingHost } from '../state/writing';
import { readsOver } from '../sync/community-reads';
import { countOfKind, recordsOfKind } from '../store/record-store';

let dbs = 0;

async function replica(cid: string): Promise<CommunityDoc> {
  const doc = new CommunityDoc(new HearthDb(`note-session-${dbs++}`), cid);
  await doc.open();
  return doc;
}

async function sync(a: CommunityDoc, b: CommunityDoc): Promise<void> {
  await Promise.all([a.settled(), b.settled()]);
  Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(a.doc, Y.encodeStateVector(b.doc)), 'peer');
  Y.applyUpdate(a.doc, Y.encodeStateAsUpdate(b.doc, Y.encodeStateVector(a.doc)), 'peer');
  await Promise.all([a.settled(), b.settled()]);
}

/**
 * A session as a page holds it: the community's reads and document are the device's (`doc`), the
 * page's own database is `page` (the same one without a worker), and writes go through the
 * community's one write path (state/writing) as CommunityState's `write` does.
 */
function session(doc: CommunityDoc, identity: Identity, note: string, page: HearthDb = doc.db) {
  const reads = readsOver(doc.db);
  // The posting policy as CommunityState runs it (state/posting), on this device's records.
  const posting = new Posting({ cid: doc.cid, me: identity.publicKey, reads, watchedWords: () => [], memberStats: async () => null });
  const host: WritingHost = { cid: doc.cid, db: page, identity, reads, posting, isStaff: () => false, document: async () => doc };
  const write = vi.fn(<K extends Kind>(kind: K, body: BodyOf<K>, ts = Date.now()) => writeRecord(host, kind, body, ts));
  const community = { doc, db: page, cid: doc.cid, identity, posting, reads, write } as unknown as CommunityState;
  return Object.assign(new NoteSession(community, note), { write });
}

function type(s: NoteSession, words: string[]): void {
  const p = new Y.XmlElement('paragraph');
  const text = new Y.XmlText();
  p.insert(0, [text]);
  s.fragment.push([p]);
  for (const w of words) text.insert(text.length, w); // one transaction per word, like keystrokes
}

async function noteEdits(doc: CommunityDoc): Promise<number> {
  return countOfKind(doc.db, doc.cid, 'note-edit');
}

describe('a shared note session', () => {
  it('batches typing into records, shows peers’ edits live, refuses and counts a non-editor’s edit, follows access changes', async () => {
    const alice = await newMember();
    const bob = await newMember();
    const g = await newCommunity(alice);
    const a = await replica(g.id);
    const b = await replica(g.id);
    const ts = Date.now() - 60_000;
    for (const r of [g, ...(await admit(alice, bob, g.id, ts))]) await a.append(r as AnyRecord);
    const note = await sealRecord(alice, { kind: 'note', cid: g.id, ts: ts + 10, body: { title: 'Plan', access: 'members', members: [] } });
    await a.append(note);
    await sync(a, b);

    const sa = session(a, alice, note.id);
    const sb = session(b, bob, note.id);
    await Promise.all([sa.start(), sb.start()]);
    expect(sa.canEdit).toBe(true);
    expect(sb.canEdit).toBe(false);

    type(sa, ['Bring ', 'water ', 'and maps']);
    expect(sa.unsent).toBe(4); // the paragraph, then each word: four transactions, one record
    await sa.flush();
    expect(await noteEdits(a)).toBe(1);
    await sync(a, b);
    await vi.waitFor(() => expect(sb.text.text()).toBe('Bring water and maps'));

    // Bob has no edit rights: his signed edit travels but is applied nowhere.
    const other = new Y.Doc();
    const p = new Y.XmlElement('paragraph');
    p.insert(0, [new Y.XmlText('forged')]);
    other.getXmlFragment('body').push([p]);
    const forged = await sealRecord(bob, {
      kind: 'note-edit',
      cid: g.id,
      ts: Date.now(),
      body: { note: note.id, update: toBase64Url(Y.encodeStateAsUpdate(other)) }
    });
    await b.append(forged);
    await sync(a, b);
    await vi.waitFor(() => expect(sa.refused).toBe(1));
    expect(sa.text.text()).toBe('Bring water and maps');
    expect(sb.refused).toBe(1);

    // Alice names Bob as an editor: from then on his edits count (the earlier forged one still does not).
    await a.append(
      await sealRecord(alice, { kind: 'note-access', cid: g.id, ts: forged.ts + 1, body: { note: note.id, access: 'members', members: [bob.publicKey] } })
    );
    await new Promise((r) => setTimeout(r, 5));
    await sync(a, b);
    await vi.waitFor(() => expect(sb.canEdit).toBe(true));
    type(sb, ['Bob ', 'was ', 'here']);
    await sb.flush();
    await sync(a, b);
    await vi.waitFor(() => expect(sa.text.text()).toBe('Bring water and maps\nBob was here'));
    expect(sb.text.text()).toBe(sa.text.text());
    expect(sa.refused).toBe(1);

    // A moderator's access change that arrives late but predates Bob's edit takes it out again:
    // the text is rebuilt from the records that still count.
    const bobEdit = (await recordsOfKind(a.db, g.id, 'note-edit')).find((e) => e.author === bob.publicKey && e.id !== forged.id)!;
    await b.append(await sealRecord(alice, { kind: 'note-access', cid: g.id, ts: bobEdit.ts - 1, body: { note: note.id, access: 'members', members: [] } }));
    await sync(a, b);
    await vi.waitFor(() => expect(sa.text.text()).toBe('Bring water and maps'));
    expect(sa.refused).toBe(2);
    expect(sa.canEdit).toBe(true);
    await vi.waitFor(() => expect(sb.canEdit).toBe(false));

    await Promise.all([sa.destroy(), sb.destroy()]);
    a.close();
    b.close();
  });

  it('reads who may edit from the community’s reads and writes through the one write path, from a page whose own store holds nothing', async () => {
    const alice = await newMember();
    const g = await newCommunity(alice);
    const device = await replica(g.id);
    const ts = Date.now() - 60_000;
    await device.append(g as AnyRecord);
    const note = await sealRecord(alice, { kind: 'note', cid: g.id, ts: ts + 10, body: { title: 'Plan', access: 'members', members: [] } });
    await device.append(note);
    // The page's database: none of the community's records (they are where the worker reads them).
    const s = session(device, alice, note.id, new HearthDb(`note-page-${dbs++}`));
    await s.start();
    expect(s.note?.id).toBe(note.id);
    expect(s.canEdit).toBe(true);
    type(s, ['Bring ', 'water']);
    await s.flush();
    expect(s.write).toHaveBeenCalledWith('note-edit', expect.objectContaining({ note: note.id }));
    expect(s.sendError).toBeNull();
    expect(await noteEdits(device)).toBe(1);
    await s.destroy();
    device.close();
  });

  it('refuses a removed member’s typing by the posting policy: nothing is written', async () => {
    const alice = await newMember();
    const bob = await newMember();
    const g = await newCommunity(alice);
    const device = await replica(g.id);
    const ts = Date.now() - 60_000;
    for (const r of [g, ...(await admit(alice, bob, g.id, ts))]) await device.append(r as AnyRecord);
    const note = await sealRecord(alice, { kind: 'note', cid: g.id, ts: ts + 10, body: { title: 'Plan', access: 'everyone' } });
    await device.append(note);
    const s = session(device, bob, note.id);
    await s.start();
    expect(s.canEdit).toBe(true);
    type(s, ['Bob ', 'was ', 'here']);
    // Removed before the batch goes out.
    await device.append(await sealRecord(alice, { kind: 'ban', cid: g.id, ts: Date.now(), body: { member: bob.publicKey, banned: true } }));
    await s.flush();
    expect(s.sendError).toBe('standing.banned_post');
    expect(await noteEdits(device)).toBe(0);
    await s.destroy();
    device.close();
  });
});
