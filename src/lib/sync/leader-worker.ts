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
//
// A tab the browser freezes in the background (Page Lifecycle `freeze`; mobile browsers freeze hidden
// tabs) keeps its locks, and its dedicated workers stop with it: its followers, and any tab opened
// since, would wait on it with no answer. So a leader gives up leadership while it still runs: when
// it is hidden and a follower is there to take over, or else when it is frozen (or kept in the
// back/forward cache). It ends its worker and its other workers (`endsWithLeadership`) first, its
// followers see a leader gone, and it opens again when shown (or run) again. Hidden is the better
// moment: a worker frozen mid-transaction keeps that IndexedDB transaction open (terminated or not,
// until its tab runs again or Chromium aborts it, 60 s on), and every write of the next leader's
// worker waits behind it. The community worker holds a lock of its own for its life, which the next
// leader waits for before starting one: `terminate` is asynchronous, and two workers never write the
// device's documents at once.
import type { Endpoint } from 'comlink';
import { onPageStopped } from '../store/frozen-page';

/** Held by the leader tab while it leads. */
export const LEADER_LOCK = 'hearth:community-leader';
/** Held by the leader's dedicated worker, from inside it, for its life: free once no worker runs. */
export const WORKER_LOCK = 'hearth:community-worker';
/** Where followers ask the leader's worker to serve them, and hear that it does. */
export const BRIDGE = 'hearth:community-bridge';
/** Held by one leader while it leads: a follower that gets it knows that leader is gone. */
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

/** The part of a Web Lock manager the election uses (`navigator.locks`; a fake one in unit tests). */
export type Locks = Pick<LockManager, 'request'>;

/** When the member stops seeing this page, when the browser stops running it, and when either ends. */
export interface PageLifecycle {
  /** No longer shown (`visibilitychange`): another tab or app is in front. */
  onHidden(listener: () => void): void;
  /** Shown again. */
  onShown(listener: () => void): void;
  /** Frozen (a hidden tab, Page Lifecycle `freeze`) or kept in the back/forward cache (`pagehide`, persisted). */
  onStopped(listener: () => void): void;
  /** Running again after that (`resume`, or `pageshow` from the back/forward cache). */
  onResumed(listener: () => void): void;
}

/** This page's: its visibility, `freeze` and `resume`, and the back/forward cache's `pagehide` and `pageshow` (persisted). */
export function pageLifecycle(): PageLifecycle {
  const visibility = (hidden: boolean, listener: () => void) => document.addEventListener('visibilitychange', () => document.hidden === hidden && listener());
  return {
    onHidden: (listener) => visibility(true, listener),
    onShown: (listener) => visibility(false, listener),
    onStopped: onPageStopped,
    onResumed(listener) {
      document.addEventListener('resume', listener);
      window.addEventListener('pageshow', (e) => e.persisted && listener());
    }
  };
}

const endedWithLeadership = new Set<Pick<Worker, 'terminate'>>();

/**
 * A dedicated worker of this page (its search or analysis worker) that ends when the page gives up
 * leading: frozen, it would hold up the next leader's writes with a transaction it cannot finish.
 * The page opens again when it runs again, and starts its workers anew.
 */
export function endsWithLeadership<W extends Pick<Worker, 'terminate'>>(worker: W): W {
  endedWithLeadership.add(worker);
  return worker;
}

export interface ElectionOptions {
  /** Opens this page again, its worker gone: a follower's leader gone, or a leader back from being frozen (a reload). */
  reopen?: () => void;
  /**
   * What else the page lets go of when it gives up leading, its workers ended: its database, so that a
   * read in flight when it is frozen later holds up no write of the next leader's worker.
   */
  onStepDown?: () => void;
  lifecycle?: PageLifecycle;
  locks?: Locks;
}

export interface Election {
  /** Comlink's endpoint to the device's community worker, usable at once. */
  endpoint: PendingEndpoint;
  /** 'leader': this tab runs the worker (a port of its own; it can hand it ports); 'follower': served over a channel. */
  role: Promise<'leader' | 'follower'>;
}

/**
 * Elects this tab leader if no tab is (`startWorker` then starts the dedicated worker under the given
 * name, once the last leader's worker is gone), or makes it a follower of the leader's worker. A
 * follower opens again when its leader is gone; a leader hidden with a follower, or frozen, ends its
 * worker and leads no more, and opens again when shown and running again.
 */
export function electLeader(startWorker: (name: string) => Worker, options: ElectionOptions = {}): Election {
  const reopen = options.reopen ?? (() => location.reload());
  const locks = options.locks ?? navigator.locks;
  const lifecycle = options.lifecycle ?? pageLifecycle();
  const tab = newId();
  const endpoint = new PendingEndpoint();
  let stopped = false;
  let hidden = false;
  /** A follower connected while this tab led: a tab that can take over. */
  let followed = false;
  let stepDown: (() => void) | null = null;
  let steppedDown = false;
  // Hidden with a follower: the follower (shown, or shown next) leads instead, while this tab still runs
  // and its worker ends whole. A frozen worker's unfinished IndexedDB transaction would hold up the next
  // leader's writes until this tab runs again (or Chromium aborts it, 60 s on).
  lifecycle.onHidden(() => {
    hidden = true;
    if (followed) stepDown?.();
  });
  // Frozen still leading (no follower when it was hidden, or hidden and frozen at once): a tab opened
  // meanwhile, or a follower, must not wait on it.
  lifecycle.onStopped(() => {
    stopped = true;
    stepDown?.();
  });
  // A follower keeps its worker (the leader's): only a tab that gave up leading opens again.
  lifecycle.onShown(() => {
    hidden = false;
    if (steppedDown) reopen();
  });
  lifecycle.onResumed(() => {
    stopped = false;
    if (steppedDown && !hidden) reopen();
  });
  const role = new Promise<'leader' | 'follower'>((resolve, reject) => {
    locks
      .request(LEADER_LOCK, { ifAvailable: true }, async (lock) => {
        if (!lock) {
          resolve('follower');
          return;
        }
        let worker: Worker | null = null;
        let bridge: BroadcastChannel | null = null;
        const leading = new Promise<void>((done) => {
          stepDown = () => {
            if (steppedDown) return;
            steppedDown = true;
            // Ended before the locks go: no follower reopens, and no next leader starts, while this worker still writes.
            worker?.terminate();
            worker = null;
            for (const other of endedWithLeadership) other.terminate();
            endedWithLeadership.clear();
            bridge?.close();
            try {
              options.onStepDown?.();
            } catch (error) {
              console.error('community worker: letting go on stepping down failed', error);
            }
            done();
          };
        });
        // Requested before the worker starts, so before any follower can learn this id and queue behind it.
        void locks.request(leaderLock(tab), () => leading);
        // The last leader's worker may outlive its tab a moment (a tab closed or frozen mid-write).
        const slow = setTimeout(() => console.warn('community worker: the last leader tab’s worker has not ended for 10 s'), 10_000);
        await locks.request(WORKER_LOCK, () => {});
        clearTimeout(slow);
        if (stopped) {
          // Frozen while it waited: it starts no worker, and leads no more.
          stepDown!();
          return leading;
        }
        try {
          worker = startWorker(`${WORKER_NAME}:${tab}`);
          endpoint.connect(worker, false);
        } catch (error) {
          reject(error);
          stepDown!();
          return leading;
        }
        // The worker's answers to followers on the bridge say that one is there.
        if (typeof BroadcastChannel !== 'undefined') {
          bridge = new BroadcastChannel(BRIDGE);
          bridge.onmessage = (e: MessageEvent<BridgeMessage>) => {
            if (!e.data || !('connected' in e.data) || e.data.leader !== tab) return;
            followed = true;
            if (hidden) stepDown?.();
          };
        }
        resolve('leader');
        return leading;
      })
      .catch(reject);
  });
  role.then(
    (r) => {
      if (r === 'follower') void follow(tab, endpoint, reopen, locks);
    },
    (error) => console.error('community worker: no leader tab', error)
  );
  return { endpoint, role };
}

/** Asks the leader's worker on the bridge until it answers, then talks to it on this tab's channel. */
async function follow(tab: string, endpoint: PendingEndpoint, onLeaderGone: () => void, locks: Locks): Promise<void> {
  // Held first: the worker waits on it to learn that this tab is gone.
  await new Promise<void>((held) => void locks.request(tabLock(tab), () => (held(), forever())));
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
    void locks.request(leaderLock(data.leader), () => onLeaderGone());
  };
  ask();
}

/**
 * In the leader's dedicated worker: holds WORKER_LOCK for the worker's life, and serves each follower
 * that asks on the bridge (`serve` with its channel), once, and stops when that tab is gone (`serve`'s
 * returned cleanup, then the channel closes). Returns what stops serving (a worker ends with its tab;
 * unit tests end theirs).
 */
export function serveFollowers(
  leaderName: string,
  serve: (channel: BroadcastChannel) => () => void,
  locks: Locks | undefined = typeof navigator === 'undefined' ? undefined : navigator.locks
): () => void {
  const leader = leaderName.startsWith(`${WORKER_NAME}:`) ? leaderName.slice(WORKER_NAME.length + 1) : '';
  if (!locks) return () => {};
  // Held until this worker is gone (its tab closed or frozen): the next leader's worker starts after.
  void locks.request(WORKER_LOCK, forever);
  if (!ID.test(leader) || typeof BroadcastChannel === 'undefined') return () => {};
  const bridge = new BroadcastChannel(BRIDGE);
  const served = new Map<string, BroadcastChannel>();
  bridge.onmessage = (e: MessageEvent<BridgeMessage>) => {
    const tab = e.data && 'connect' in e.data ? e.data.connect : null;
    if (typeof tab !== 'string' || !ID.test(tab)) return;
    if (!served.has(tab)) {
      const channel = new BroadcastChannel(tabChannel(tab));
      served.set(tab, channel);
      const stop = serve(channel);
      void locks.request(tabLock(tab), () => {
        stop();
        channel.close();
        served.delete(tab);
      });
    }
    bridge.postMessage({ connected: tab, leader } satisfies BridgeMessage);
  };
  return () => {
    bridge.close();
    for (const channel of served.values()) channel.close();
  };
}
