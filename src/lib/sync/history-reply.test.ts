import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { messageYjsSyncStep1, messageYjsSyncStep2, messageYjsUpdate, writeSyncStep1 } from './gated-sync-protocol';
import { heldOf, holdsNoHistory, PreparedHistory } from './history-reply';

function step1(doc: Y.Doc): Uint8Array {
  const encoder = encoding.createEncoder();
  writeSyncStep1(encoder, doc);
  return encoding.toUint8Array(encoder);
}

/** Applies sync messages (updates and step 2s) to `doc`; returns their types in order. */
function apply(doc: Y.Doc, messages: readonly Uint8Array[]): number[] {
  return messages.map((m) => {
    const decoder = decoding.createDecoder(m);
    const type = decoding.readVarUint(decoder);
    Y.applyUpdate(doc, decoding.readVarUint8Array(decoder));
    return type;
  });
}

function source(records: number): Y.Doc {
  const doc = new Y.Doc();
  const map = doc.getMap('records');
  doc.transact(() => {
    for (let i = 0; i < records; i++) map.set(`r${i}`, { id: `r${i}`, body: 'x'.repeat(200) });
  });
  return doc;
}

afterEach(() => vi.useRealTimers());

describe('the history encoded ahead for a newcomer', () => {
  it('answers a peer holding nothing with the history as encoded, then a step 2 of what came since', async () => {
    const doc = source(500);
    const history = new PreparedHistory(doc);
    // The newcomer holds its own join and profile, which the source has too.
    const newcomer = new Y.Doc();
    newcomer.getMap('records').set('join', { id: 'join' });
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(newcomer));
    expect(history.reply(step1(newcomer))).toBeNull(); // nothing encoded yet: the caller encodes as usual
    history.prepare();
    await vi.waitFor(() => expect(history.reply(step1(newcomer))).not.toBeNull());
    // Written after the encoding: a record added, one overwritten, one deleted.
    const map = doc.getMap('records');
    map.set('late', { id: 'late' });
    map.set('r1', { id: 'r1', body: 'changed' });
    map.delete('r2');
    const types = apply(newcomer, history.reply(step1(newcomer))!);
    expect(types).toEqual([messageYjsUpdate, messageYjsSyncStep2]);
    expect(newcomer.getMap('records').toJSON()).toEqual(map.toJSON());
    expect(Y.encodeStateVector(newcomer)).toEqual(Y.encodeStateVector(doc));
  });

  it('is not used for a peer that holds something, and is dropped after its time', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const doc = source(100);
    const history = new PreparedHistory(doc, 60_000);
    history.prepare();
    vi.advanceTimersByTime(0);
    // A member holding the history is answered as before (from its state vector).
    const member = new Y.Doc();
    Y.applyUpdate(member, Y.encodeStateAsUpdate(doc));
    expect(history.reply(step1(member))).toBeNull();
    expect(history.reply(step1(new Y.Doc()))).not.toBeNull();
    vi.advanceTimersByTime(60_001);
    expect(history.reply(step1(new Y.Doc()))).toBeNull();
  });

  it('sends a history over the part size in parts, every one an update, and the step 2 last', async () => {
    const doc = source(2_000);
    const history = new PreparedHistory(doc, 60_000, Y.encodeStateAsUpdate(doc).length / 4);
    history.prepare();
    await vi.waitFor(() => expect(history.reply(step1(new Y.Doc()))).not.toBeNull());
    const newcomer = new Y.Doc();
    const types = apply(newcomer, history.reply(step1(newcomer))!);
    expect(types.length).toBeGreaterThan(3);
    expect(types.slice(0, -1).every((t) => t === messageYjsUpdate)).toBe(true);
    expect(types.at(-1)).toBe(messageYjsSyncStep2);
    expect(newcomer.getMap('records').size).toBe(2_000);
  });

  it('counts what a step 1 says its sender holds of a document; anything but a step 1 counts as nothing known', () => {
    const doc = source(100);
    const clocks = Y.decodeStateVector(Y.encodeStateVector(doc));
    expect(heldOf(step1(new Y.Doc()), clocks)).toBe(0);
    expect(heldOf(step1(doc), clocks)).toBe(100);
    // A newcomer holding the first 10 entries and two of its own.
    const small = source(10);
    const newcomer = new Y.Doc();
    Y.applyUpdate(newcomer, Y.encodeStateAsUpdate(small));
    newcomer.getMap('records').set('mine', 1);
    expect(heldOf(step1(newcomer), Y.decodeStateVector(Y.encodeStateVector(small)))).toBe(10);
    expect(heldOf(Uint8Array.of(messageYjsSyncStep2, 1, 0), clocks)).toBeNull();
    expect(heldOf(Uint8Array.of(messageYjsSyncStep1, 5, 0), clocks)).toBeNull();
    expect(heldOf(Uint8Array.of(messageYjsSyncStep1, 1, 0, 7), clocks)).toBeNull();
  });

  it('takes a step 1 from a peer holding fewer than 64 of the entries for a newcomer’s, and nothing else', () => {
    const doc = source(100);
    // A peer holding the first `n` of the document's entries (one client wrote them all).
    const holding = (n: number) => {
      const e = encoding.createEncoder();
      encoding.writeVarUint(e, messageYjsSyncStep1);
      encoding.writeVarUint8Array(e, Y.encodeStateVector(new Map([[doc.clientID, n]])));
      return encoding.toUint8Array(e);
    };
    expect(holdsNoHistory(step1(new Y.Doc()), doc)).toBe(true);
    expect(holdsNoHistory(holding(63), doc)).toBe(true);
    expect(holdsNoHistory(holding(64), doc)).toBe(false);
    expect(holdsNoHistory(step1(doc), doc)).toBe(false);
    const update = encoding.createEncoder();
    encoding.writeVarUint(update, messageYjsUpdate);
    encoding.writeVarUint8Array(update, Y.encodeStateAsUpdate(new Y.Doc()));
    expect(holdsNoHistory(encoding.toUint8Array(update), doc)).toBe(false);
    expect(holdsNoHistory(Uint8Array.of(messageYjsSyncStep1, 5, 0), doc)).toBe(false);
  });

  it('takes the step 1 of a newcomer whose lobby was seeded with this lobby (its invite page fetched it) for a newcomer’s, not a known device’s', () => {
    const lobby = source(100);
    // The newcomer's lobby: its own entries (the link's genesis and invite), then the fetched copy.
    const seeded = new Y.Doc();
    seeded.getMap('records').set('genesis', { id: 'genesis' });
    seeded.getMap('records').set('invite', { id: 'invite' });
    Y.applyUpdate(seeded, Y.encodeStateAsUpdate(lobby));
    expect(holdsNoHistory(step1(seeded), lobby)).toBe(true);
    // A member's device meeting this lobby for the first time names its whole core under its own client…
    const member = source(100);
    expect(holdsNoHistory(step1(member), lobby)).toBe(true); // …holding none of this lobby's, as before
    Y.applyUpdate(member, Y.encodeStateAsUpdate(lobby));
    expect(holdsNoHistory(step1(member), lobby)).toBe(false);
    // A device that met this lobby before (its client is known here), with a few entries written since.
    Y.applyUpdate(lobby, Y.encodeStateAsUpdate(member));
    member.getMap('records').set('new', { id: 'new' });
    expect(holdsNoHistory(step1(member), lobby)).toBe(false);
  });
});
