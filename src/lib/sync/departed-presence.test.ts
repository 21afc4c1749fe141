// Devices linked as y-webrtc links them: each passes every awareness change it applies to all its
// links (also those it heard it from), and reads a message with its link named as the sender. A
// link closing is the WebRTC connection closing (a tab closed, a network dropped): no goodbye.
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness';
import { forgetDeparted } from './departed-presence';

/** One end of a link: the path a device's messages from its peer come by. */
class End {
  readonly #listeners: (() => void)[] = [];
  destroyed = false;
  /** Messages to this end wait while held (a slow path). */
  held = false;
  readonly queue: Uint8Array[] = [];
  constructor(
    readonly owner: Device,
    readonly peer: Device
  ) {}
  on(_event: 'close', listener: () => void) {
    this.#listeners.push(listener);
  }
  close() {
    this.destroyed = true;
    this.#listeners.forEach((l) => l());
  }
}

/** The message being read, and by which end: what webrtc-chunking's messageSender answers. */
let reading: End | null = null;
const inbox: { to: End; bytes: Uint8Array }[] = [];
const devices: Device[] = [];

afterEach(() => {
  for (const device of devices.splice(0)) device.awareness.destroy();
  inbox.length = 0;
});

class Device {
  readonly awareness: Awareness;
  readonly ends: End[] = [];
  readonly stop: () => void;
  constructor(
    readonly name: string,
    clientID: number
  ) {
    const doc = new Y.Doc();
    doc.clientID = clientID;
    this.awareness = new Awareness(doc);
    this.awareness.setLocalState({ member: name });
    devices.push(this);
    this.stop = forgetDeparted(this.awareness, () => reading);
    this.awareness.on('update', ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }) => {
      const bytes = encodeAwarenessUpdate(this.awareness, [...added, ...updated, ...removed]);
      for (const end of this.ends) if (!end.destroyed) post(end, bytes);
    });
  }
  sees(): string[] {
    return [...this.awareness.getStates().entries()]
      .filter(([client]) => client !== this.awareness.clientID)
      .map(([, state]) => (state as { member: string }).member)
      .sort();
  }
  /** Says it is still here (y-protocols does so every 15 s). */
  renew() {
    this.awareness.setLocalState(this.awareness.getLocalState());
  }
}

/** `bytes` sent to the device at the other end of `from` (its own end for this link). */
function post(from: End, bytes: Uint8Array) {
  const to = from.peer.ends.find((e) => e.peer === from.owner && !e.destroyed);
  if (to) inbox.push({ to, bytes });
}

function link(a: Device, b: Device): [End, End] {
  const ab = new End(a, b);
  const ba = new End(b, a);
  a.ends.push(ab);
  b.ends.push(ba);
  // Connected: each sends the other every state it has, as y-webrtc does on connect.
  post(ab, encodeAwarenessUpdate(a.awareness, [...a.awareness.getStates().keys()]));
  post(ba, encodeAwarenessUpdate(b.awareness, [...b.awareness.getStates().keys()]));
  return [ab, ba];
}

function cut([ab, ba]: [End, End]) {
  ab.close();
  ba.close();
}

/** Reads every message in order, except those to a held end. */
function settle() {
  for (let i = 0; i < 10_000; i++) {
    const next = inbox.findIndex((m) => !m.to.held && !m.to.destroyed);
    if (next < 0) break;
    const [{ to, bytes }] = inbox.splice(next, 1);
    reading = to;
    try {
      applyAwarenessUpdate(to.owner.awareness, bytes, 'room');
    } finally {
      reading = null;
    }
  }
  for (let i = inbox.length - 1; i >= 0; i--) if (inbox[i].to.destroyed) inbox.splice(i, 1);
}

function release(end: End) {
  end.held = false;
  settle();
}

describe('forgetDeparted', () => {
  it('a peer whose connection closes without a goodbye is gone at once, not after the 30 s timeout', () => {
    const alice = new Device('alice', 1);
    const bob = new Device('bob', 2);
    const ab = link(alice, bob);
    settle();
    expect(alice.sees()).toEqual(['bob']);
    cut(ab);
    settle();
    expect(alice.sees()).toEqual([]);
    expect(bob.sees()).toEqual([]);
  });

  it('a departure reaches a device that heard the peer only through a third one', () => {
    const alice = new Device('alice', 1);
    const bob = new Device('bob', 2);
    const carol = new Device('carol', 3);
    link(alice, bob);
    const bc = link(bob, carol);
    settle();
    expect(alice.sees()).toEqual(['bob', 'carol']);
    cut(bc);
    settle();
    expect(bob.sees()).toEqual(['alice']);
    expect(alice.sees()).toEqual(['bob']);
  });

  it('a peer whose newest state came through a third device first is removed when it leaves, on every device', () => {
    const alice = new Device('alice', 1);
    const bob = new Device('bob', 2);
    const carol = new Device('carol', 3);
    link(alice, bob);
    const ca = link(carol, alice);
    const bc = link(bob, carol);
    settle();
    // Carol's renewal reaches Alice through Bob before it comes straight from Carol.
    const aliceFromCarol = ca[1];
    aliceFromCarol.held = true;
    carol.renew();
    settle();
    release(aliceFromCarol);
    // Carol's tab closes: Alice's link to her closes first, then Bob's.
    cut(ca);
    settle();
    expect(alice.sees(), 'Alice still hears Carol through Bob until Bob hears she left').toEqual(['bob', 'carol']);
    cut(bc);
    settle();
    expect(bob.sees()).toEqual(['alice']);
    expect(alice.sees()).toEqual(['bob']);
  });

  it('a peer still reachable through another device stays present when only its link to this device fails', () => {
    const alice = new Device('alice', 1);
    const bob = new Device('bob', 2);
    const carol = new Device('carol', 3);
    link(alice, bob);
    const ac = link(alice, carol);
    const bc = link(bob, carol);
    settle();
    cut(ac);
    settle();
    expect(alice.sees()).toEqual(['bob', 'carol']);
    expect(bob.sees()).toEqual(['alice', 'carol']);
    expect(carol.sees()).toEqual(['alice', 'bob']);
    // And when Carol leaves after all, Alice (who now hears her through Bob) sees it.
    cut(bc);
    settle();
    expect(alice.sees()).toEqual(['bob']);
  });

  it('a state whose newest clock came another way (the relay, another tab) stays when a WebRTC connection closes', () => {
    const alice = new Device('alice', 1);
    const bob = new Device('bob', 2);
    const ab = link(alice, bob);
    settle();
    // Bob's newer state reaches Alice through the relay (no WebRTC sender), which removes it itself.
    bob.renew();
    inbox.length = 0;
    applyAwarenessUpdate(alice.awareness, encodeAwarenessUpdate(bob.awareness, [2]), 'relay');
    cut(ab);
    settle();
    expect(alice.sees()).toEqual(['bob']);
  });

  it('after stop, a closing connection removes nothing', () => {
    const alice = new Device('alice', 1);
    const bob = new Device('bob', 2);
    const ab = link(alice, bob);
    settle();
    alice.stop();
    cut(ab);
    settle();
    expect(alice.sees()).toEqual(['bob']);
  });
});
