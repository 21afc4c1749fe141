import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import fc from 'fast-check';
import { admit, newCommunity, newMember, writer } from '../../../tests/unit/community-fixture';
import { computeAuthority } from '../domain/authority';
import { accessHistory, partitionEdits } from '../domain/notes';
import { encodeEdits, FROM_RECORD, MAX_EDIT_BYTES, NoteText, NOTE_FRAGMENT } from './note-text';
import { splitUpdate } from './update-split';

const T0 = 1_700_000_000_000;

/** A device typing into its own Y.Doc; returns the updates it produced. */
function typist(doc = new Y.Doc()) {
  const updates: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => updates.push(u));
  const frag = doc.getXmlFragment(NOTE_FRAGMENT);
  return {
    doc,
    updates,
    paragraph(text: string) {
      const p = new Y.XmlElement('paragraph');
      p.insert(0, [new Y.XmlText(text)]);
      frag.push([p]);
    },
    take() {
      return updates.splice(0);
    }
  };
}

describe('note text from signed edits', () => {
  it('applies allowed edits in any order and leaves out a forged edit, counting it', async () => {
    const alice = await newMember();
    const bob = await newMember();
    const mallory = await newMember();
    const g = await newCommunity(alice);
    const auth = computeAuthority(g, [g, ...(await admit(alice, bob, g.id, T0 + 100)), ...(await admit(alice, mallory, g.id, T0 + 200))]);
    const note = await writer(alice, g.id)('note', { title: 'Plan', access: 'members', members: [bob.publicKey] });

    const a = typist();
    a.paragraph('Alice starts');
    const e1 = await writer(alice, g.id, T0 + 5000)('note-edit', { note: note.id, update: encodeEdits(a.take())[0] });
    const b = typist();
    Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(a.doc));
    b.take();
    b.paragraph('Bob adds');
    const e2 = await writer(bob, g.id, T0 + 6000)('note-edit', { note: note.id, update: encodeEdits(b.take())[0] });
    const m = typist();
    Y.applyUpdate(m.doc, Y.encodeStateAsUpdate(b.doc));
    m.take();
    m.paragraph('Mallory defaces');
    const forged = await writer(mallory, g.id, T0 + 7000)('note-edit', { note: note.id, update: encodeEdits(m.take())[0] });

    const { history } = accessHistory(note, [], auth);
    const { allowed, refused } = partitionEdits(note, history, [forged, e2, e1], auth);
    expect(refused.map((r) => r.id)).toEqual([forged.id]);
    for (const order of [allowed, [...allowed].reverse()]) {
      const text = new NoteText();
      order.forEach((e) => text.apply(e));
      expect(text.text()).toBe('Alice starts\nBob adds');
      expect(text.waiting).toBe(false);
    }
  });

  it('a malformed update from an allowed editor is skipped without breaking the note', () => {
    const text = new NoteText();
    expect(text.apply({ id: 'x', body: { note: 'n', update: 'AAECAwQF' } })).toBe(false);
    expect(text.unreadable.has('x')).toBe(true);
    const a = typist();
    a.paragraph('still fine');
    expect(text.apply({ id: 'y', body: { note: 'n', update: encodeEdits(a.take())[0] } })).toBe(true);
    expect(text.text()).toBe('still fine');
  });
});

describe('splitting big updates', () => {
  it('a 200 KB paste becomes records under the limit that rebuild the same note in any order', () => {
    const a = typist();
    a.paragraph('intro');
    const base = Y.encodeStateAsUpdate(a.doc);
    a.take();
    const big = Array.from({ length: 2000 }, (_, i) => `第${i}行 line ${i} 🚲 `).join('');
    a.paragraph(big + big);
    const frag = a.doc.getXmlFragment(NOTE_FRAGMENT);
    frag.delete(0, 1); // a deletion in the same batch: the intro paragraph goes
    const pieces = encodeEdits(a.take());
    expect(pieces.length).toBeGreaterThan(4);
    for (const p of pieces) expect(p.length).toBeLessThanOrEqual(48_000);
    fc.assert(
      fc.property(fc.shuffledSubarray(pieces, { minLength: pieces.length, maxLength: pieces.length }), (order) => {
        const t = new NoteText();
        Y.applyUpdate(t.doc, base);
        order.forEach((update, i) => t.apply({ id: String(i), body: { note: 'n', update } }));
        expect(t.text() === big + big).toBe(true); // (a boolean: a failure must not print 100 KB)
        expect(t.waiting).toBe(false);
      }),
      { numRuns: 8 }
    );
  });

  it('leaves small updates whole', () => {
    const a = typist();
    a.paragraph('hi');
    const [u] = a.take();
    expect(splitUpdate(u, MAX_EDIT_BYTES)).toEqual([u]);
  });
});

describe('convergence', () => {
  /** One device: its own Y.Doc bound to a NoteText, sending every local change as one edit. */
  function replica(author: string) {
    const text = new NoteText();
    const outbox: { id: string; author: string; update: string }[] = [];
    let n = 0;
    text.doc.on('update', (u: Uint8Array, origin: unknown) => {
      if (origin !== FROM_RECORD) for (const update of encodeEdits([u])) outbox.push({ id: `${author}-${n++}`, author, update });
    });
    return { author, text, outbox };
  }

  it('replicas exchanging edits in random order and partitions converge, and a non-editor never changes the text', () => {
    const editors = new Set(['a', 'b', 'c']);
    const op = fc.record({
      who: fc.constantFrom('a', 'b', 'c', 'm'),
      kind: fc.constantFrom('add', 'type', 'delete', 'sync'),
      at: fc.nat(),
      word: fc.constantFrom('ride', '骑行', 'map', '🚲', 'x')
    });
    fc.assert(
      fc.property(fc.array(op, { minLength: 5, maxLength: 40 }), fc.integer(), (ops, seed) => {
        const devices = ['a', 'b', 'c', 'm'].map(replica);
        const all: { id: string; author: string; update: string }[] = [];
        const deliver = (d: ReturnType<typeof replica>, e: { id: string; author: string; update: string }) => {
          if (editors.has(e.author)) d.text.apply({ id: e.id, body: { note: 'n', update: e.update } });
          else d.text.refuse({ id: e.id });
        };
        for (const o of ops) {
          const d = devices.find((x) => x.author === o.who)!;
          const frag = d.text.fragment;
          if (o.kind === 'add') {
            const p = new Y.XmlElement('paragraph');
            p.insert(0, [new Y.XmlText(o.word)]);
            frag.insert(o.at % (frag.length + 1), [p]);
          } else if (o.kind === 'type' && frag.length) {
            const t = (frag.get(o.at % frag.length) as Y.XmlElement).get(0) as Y.XmlText;
            t.insert(o.at % (t.length + 1), o.word);
          } else if (o.kind === 'delete' && frag.length) {
            frag.delete(o.at % frag.length, 1);
          } else if (o.kind === 'sync') {
            // A partial sync: this device receives everything sent so far, in an order picked by the seed.
            const pending = [...all, ...devices.flatMap((x) => x.outbox)];
            pending.sort((x, y) => ((x.id.length * 31 + seed) % 7) - ((y.id.length * 31 + seed) % 7));
            pending.forEach((e) => deliver(d, e));
          }
          for (const x of devices) all.push(...x.outbox.splice(0));
        }
        // Everyone receives everything, in reverse order on one device and forward on the others.
        devices.forEach((d, i) => (i === 0 ? [...all].reverse() : all).forEach((e) => deliver(d, e)));
        const honest = devices.filter((d) => editors.has(d.author)).map((d) => d.text.text());
        expect(new Set(honest).size).toBe(1);
        // A fresh device that only sees the records agrees, and so does the non-editor's view of others' edits.
        const fresh = new NoteText();
        all.forEach((e) => deliver({ author: 'z', text: fresh, outbox: [] }, e));
        expect(fresh.text()).toBe(honest[0]);
        expect(fresh.waiting).toBe(false);
      }),
      { numRuns: 60 }
    );
  });
});
