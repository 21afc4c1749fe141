// A peer's presence leaves with its connection. y-webrtc removes only this device's own awareness
// state (on unload and on disconnect): a peer whose tab was closed or whose network dropped stayed in
// every other device's awareness until y-protocols' 30 s timeout, shown online all that time.
//
// Each remote state is tied to the WebRTC connection that brought its newest clock. When that
// connection closes, the states it brought are removed, and y-webrtc passes the removal on to the
// other peers (and, on a page without the community worker, the relay), as it passes on every
// awareness change. That is why it is the newest clock's path that counts: y-webrtc forwards each
// state it hears to all its peers, so a state also arrives through third peers, but only the device
// that heard a clock first from its owner is told by a closing connection that the owner is gone;
// the others hear it from that device. A device that heard the newest clock through a peer that is
// still connected keeps the state. A state whose connection closed while its owner is still
// reachable another way (a link between two devices failed, a forwarder left first) is removed too,
// and comes back at once: the removal reaches the owner, and y-protocols answers a removal of a
// device's own state with that state again under a newer clock.
// States that came another way (other tabs, the relay) are left to their own channel: the relay
// removes a connection's states when its socket closes, a tab its own on unload.
import { removeAwarenessStates, type Awareness } from 'y-protocols/awareness';
import { messageSender } from './webrtc-chunking';

/** The origin of a removal made here (awareness `change` and `update` events). */
export const DEPARTED = 'departed';

/** A simple-peer connection, as far as this module uses one. */
interface Path {
  on(event: 'close', listener: () => void): unknown;
  destroyed?: boolean;
}

interface AwarenessChanges {
  added: number[];
  updated: number[];
  removed: number[];
}

/**
 * Removes the awareness states a WebRTC connection brought when it closes (see above). `sender`
 * names the connection whose message is being read (webrtc-chunking's `messageSender`), null when
 * a change did not come from a WebRTC peer. Returns stop.
 */
export function forgetDeparted(awareness: Awareness, sender: () => object | null = messageSender): () => void {
  /** Each remote client's path: the connection that brought its newest clock. */
  const paths = new Map<number, Path>();
  const watched = new WeakSet<Path>();
  let stopped = false;
  const closed = (path: Path) => {
    if (stopped) return;
    const gone: number[] = [];
    for (const [client, via] of paths) if (via === path) gone.push(client);
    for (const client of gone) paths.delete(client);
    if (gone.length) removeAwarenessStates(awareness, gone, DEPARTED);
  };
  const onUpdate = ({ added, updated, removed }: AwarenessChanges) => {
    for (const client of removed) paths.delete(client);
    const path = sender() as Path | null;
    let brought = false;
    for (const client of [...added, ...updated]) {
      if (client === awareness.clientID) continue;
      if (path) {
        paths.set(client, path);
        brought = true;
      } else paths.delete(client);
    }
    if (!path || !brought || watched.has(path)) return;
    watched.add(path);
    path.on('close', () => closed(path));
    // A message read after its connection closed (it was queued behind an inflating one).
    if (path.destroyed) queueMicrotask(() => closed(path));
  };
  awareness.on('update', onUpdate);
  return () => {
    stopped = true;
    awareness.off('update', onUpdate);
    paths.clear();
  };
}
