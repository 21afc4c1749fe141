// Without SharedWorker (browsers before 2026): one tab of the device, the leader, runs the community
// worker as a dedicated worker, and the other tabs are served through it, so the device still holds
// each community's document once and off every page's main thread. The leader is whoever holds a Web
// Lock; a follower reaches the leader's worker over a BroadcastChannel of its own (a port cannot be
// handed from tab to tab without a SharedWorker or a service worker to carry it), on which comlink's
// calls and answers and the worker's events travel, copied rather than moved.
//
// A leader's worker ends with its tab. Its followers then open again (`location.reload`), and the
// first of them to run takes the lock and starts the next worker: a page's handles, syncs and views
// were made for the worker that is gone. Everything a tab confirmed was written by that worker first.
import type { Endpoint } from 'comlink';

/** Held by the leader tab for its life. */
export const LEADER_LOCK = 'hearth:community-leader';
/** Where followers ask the leader's worker to serve them, and hear that it does. */
export const BRIDGE = 'hearth:community-bridge';
/** Held by one leader for its life: a follower that gets it knows that leader is gone. */
export const leaderLock = (leader: string): string => `${LEADER_LOCK}:${leader}`;
/** Held by one tab for its life: the worker that gets it stops serving that tab. */
export const tabLock = (tab: string): string => `hearth:tab:${tab}`;
/** A follower's own channel to the leader's worker. */
export const tabChannel = (tab: string): string => `${BRIDGE}:${tab}`;
/** The worker's name carries its leader's id, which its answers on the bridge give followers. */
export const WORKER_NAME = 'hearth-community';
const ID = /^[a-z0-9]{1,32}$/;

/** A worker event to a follower, on its channel beside comlink's answers (which carry an `id`, these do not). */
export interface FollowerEvent<E> {
  hearthEvent: E;
}

type BridgeMessage = { connect: string } | { connected: string; leader: string };

/** Whether this browser can run the community worker in a leader tab. */
export function canLead(): boolean {
  return typeof Worker !== 'undefined' && typeof BroadcastChannel !== 'undefined' && typeof navigator !== 'undefined' && !!navigator.locks;
}

type Listener = (event: MessageEvent) => void;
interface Far {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: Listener): void;
  removeEventListener(type: 'message', listener: Listener): void;
}

/**
 * An endpoint whose far end is known later (the election is asynchronous; a page asks its worker at
 * once): messages wait in order, and listeners are attached when it is. A channel's far end takes no
 * transfer list (`copies`): what would have been moved is copied.
 */
export class PendingEndpoint implements Endpoint {
  #far: Far | null = null;
  #copies = false;
  #waiting: [unknown, Transferable[] | undefined][] = [];
  #listeners = new Set<Listener>();

  connect(far: Far, copies: boolean): void {
    this.#far = far;
    this.#copies = copies;
    for (const listener of this.#listeners) far.addEventListener('message', listener);
    for (const [message, transfer] of this.#waiting.splice(0)) this.postMessage(message, transfer);
  }

  postMessage(message: unknown, transfer?: Transferable[]): void {
    if (!this.#far) this.#waiting.push([message, transfer]);
    else if (this.#copies || !transfer?.length) this.#far.postMessage(message);
    else this.#far.postMessage(message, transfer);
  }

  addEventListener(_type: string, listener: EventListenerOrEventListenerObject): void {
    const l = listener as Listener;
    this.#listeners.add(l);
    this.#far?.addEventListener('message', l);
  }

  removeEventListener(_type: string, listener: EventListenerOrEventListenerObject): void {
    const l = listener as Listener;
    this.#listeners.delete(l);
    this.#far?.removeEventListener('message', l);
  }
}

const newId = (): string => Math.random().toString(36).slice(2, 12) || 'tab';
const forever = (): Promise<never> => new Promise<never>(() => {});

export interface Election {
  /** Comlink's endpoint to the device's community worker, usable at once. */
  endpoint: PendingEndpoint;
  /** 'leader': this tab runs the worker (a port of its own; it can hand it ports); 'follower': served over a channel. */
  role: Promise<'leader' | 'follower'>;
}

/**
 * Elects this tab leader if no tab is (`startWorker` then starts the dedicated worker under the given
 * name), or makes it a follower of the leader's worker. A follower opens again when its leader is
 * gone (`onLeaderGone`, by default a reload).
 */
export function electLeader(startWorker: (name: string) => Worker, onLeaderGone: () => void = () => location.reload()): Election {
  const tab = newId();
  const endpoint = new PendingEndpoint();
  const role = new Promise<'leader' | 'follower'>((resolve, reject) => {
    navigator.locks
      .request(LEADER_LOCK, { ifAvailable: true }, (lock) => {
        if (!lock) {
          resolve('follower');
          return;
        }
        // Requested before the worker starts, so before any follower can learn this id and queue behind it.
        void navigator.locks.request(leaderLock(tab), forever);
        try {
          endpoint.connect(startWorker(`${WORKER_NAME}:${tab}`), false);
        } catch (error) {
          reject(error);
          return;
        }
        resolve('leader');
        return forever();
      })
      .catch(reject);
  });
  role.then(
    (r) => {
      if (r === 'follower') void follow(tab, endpoint, onLeaderGone);
    },
    (error) => console.error('community worker: no leader tab', error)
  );
  return { endpoint, role };
}

/** Asks the leader's worker on the bridge until it answers, then talks to it on this tab's channel. */
async function follow(tab: string, endpoint: PendingEndpoint, onLeaderGone: () => void): Promise<void> {
  // Held first: the worker waits on it to learn that this tab is gone.
  await new Promise<void>((held) => void navigator.locks.request(tabLock(tab), () => (held(), forever())));
  const own = new BroadcastChannel(tabChannel(tab));
  const bridge = new BroadcastChannel(BRIDGE);
  const ask = () => bridge.postMessage({ connect: tab } satisfies BridgeMessage);
  // The leader's worker may still be starting (or its tab reloading): asked again until it answers.
  const again = setInterval(ask, 250);
  const slow = setTimeout(() => console.warn('community worker: the leader tab has not answered for 10 s'), 10_000);
  bridge.onmessage = (e: MessageEvent<BridgeMessage>) => {
    const data = e.data;
    if (!data || !('connected' in data) || data.connected !== tab || typeof data.leader !== 'string') return;
    clearInterval(again);
    clearTimeout(slow);
    bridge.close();
    endpoint.connect(own, true);
    void navigator.locks.request(leaderLock(data.leader), () => onLeaderGone());
  };
  ask();
}

/**
 * In the leader's dedicated worker: serves each follower that asks on the bridge (`serve` with its
 * channel), once, and stops when that tab is gone (`serve`'s returned cleanup, then the channel closes).
 */
export function serveFollowers(leaderName: string, serve: (channel: BroadcastChannel) => () => void): void {
  const leader = leaderName.startsWith(`${WORKER_NAME}:`) ? leaderName.slice(WORKER_NAME.length + 1) : '';
  if (!ID.test(leader) || typeof BroadcastChannel === 'undefined' || !navigator.locks) return;
  const bridge = new BroadcastChannel(BRIDGE);
  const served = new Set<string>();
  bridge.onmessage = (e: MessageEvent<BridgeMessage>) => {
    const tab = e.data && 'connect' in e.data ? e.data.connect : null;
    if (typeof tab !== 'string' || !ID.test(tab)) return;
    if (!served.has(tab)) {
      served.add(tab);
      const channel = new BroadcastChannel(tabChannel(tab));
      const stop = serve(channel);
      void navigator.locks.request(tabLock(tab), () => {
        stop();
        channel.close();
        served.delete(tab);
      });
    }
    bridge.postMessage({ connected: tab, leader } satisfies BridgeMessage);
  };
}
