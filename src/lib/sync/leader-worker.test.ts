import { describe, expect, it } from 'vitest';
import { MessageChannel } from 'node:worker_threads';
import * as Comlink from 'comlink';
import { electLeader, endsWithLeadership, LEADER_LOCK, PendingEndpoint, serveFollowers, WORKER_LOCK, type Locks } from './leader-worker';

type Far = Parameters<PendingEndpoint['connect']>[0];

/** A Node MessagePort as the browser's: `addEventListener('message')` with the event's `data`. */
function far(port: import('node:worker_threads').MessagePort): Far {
  return port as unknown as Far;
}

describe('an endpoint whose worker is known later', () => {
  it('delivers what was posted before, in order, and hears with the listeners added before', async () => {
    const endpoint = new PendingEndpoint();
    const heard: unknown[] = [];
    endpoint.addEventListener('message', ((e: MessageEvent) => void heard.push(e.data)) as EventListener);
    endpoint.postMessage('one');
    endpoint.postMessage('two');
    const { port1, port2 } = new MessageChannel();
    const got: unknown[] = [];
    port2.on('message', (m) => {
      got.push(m);
      if (m === 'two') port2.postMessage('answer');
    });
    endpoint.connect(far(port1), false);
    endpoint.postMessage('three');
    await expect.poll(() => got).toEqual(['one', 'two', 'three']);
    await expect.poll(() => heard).toEqual(['answer']);
    port1.close();
  });

  it('moves buffers to a port and copies them to a channel, which takes no transfer list', async () => {
    const moved = new Uint8Array([1, 2, 3]);
    const copied = new Uint8Array([4, 5, 6]);
    const { port1, port2 } = new MessageChannel();
    const got: Uint8Array[] = [];
    port2.on('message', (m) => got.push(m));

    const toPort = new PendingEndpoint();
    toPort.postMessage(moved, [moved.buffer]);
    toPort.connect(far(port1), false);
    const toChannel = new PendingEndpoint();
    toChannel.postMessage(copied, [copied.buffer]);
    toChannel.connect(far(port1), true);

    await expect.poll(() => got.length).toBe(2);
    expect(moved.byteLength).toBe(0);
    expect([...copied]).toEqual([4, 5, 6]);
    expect(got.map((m) => [...m])).toEqual([
      [1, 2, 3],
      [4, 5, 6]
    ]);
    port1.close();
  });

  it('carries comlink calls made before the worker is known', async () => {
    const endpoint = new PendingEndpoint();
    const api = Comlink.wrap<{ add(a: number, b: number): number }>(endpoint);
    const answer = api.add(2, 3);
    const { port1, port2 } = new MessageChannel();
    Comlink.expose({ add: (a: number, b: number) => a + b }, far(port2) as unknown as Comlink.Endpoint);
    endpoint.connect(far(port1), true);
    expect(await answer).toBe(5);
    port1.close();
    port2.close();
  });
});

/**
 * Web Locks as the browser keeps them for one origin: exclusive, granted in the order asked, released
 * when the callback's promise settles or when the context that holds or asks is gone (`end`, a tab
 * closed or a worker terminated). A frozen context keeps what it holds (Chromium: checked with
 * `Page.setWebLifecycleState`), so nothing here releases a lock on freezing.
 */
class LockBroker {
  #held = new Map<string, ContextLocks>();
  #queues = new Map<string, { by: ContextLocks; grant: () => void }[]>();

  context(): ContextLocks {
    return new ContextLocks(this);
  }

  held(name: string): boolean {
    return this.#held.has(name);
  }

  /** Requests waiting for a lock whose name starts so. */
  waiting(prefix: string): number {
    return [...this.#queues].filter(([name]) => name.startsWith(prefix)).reduce((n, [, queue]) => n + queue.length, 0);
  }

  ask(name: string, by: ContextLocks, grant: () => void, ifAvailable: boolean): boolean {
    if (this.#held.has(name) || this.#queues.get(name)?.length) {
      if (ifAvailable) return false;
      let queue = this.#queues.get(name);
      if (!queue) this.#queues.set(name, (queue = []));
      queue.push({ by, grant });
      return true;
    }
    this.#held.set(name, by);
    grant();
    return true;
  }

  release(name: string, by: ContextLocks): void {
    if (this.#held.get(name) !== by) return;
    this.#held.delete(name);
    const next = this.#queues.get(name)?.shift();
    if (next) {
      this.#held.set(name, next.by);
      next.grant();
    }
  }

  end(by: ContextLocks): void {
    for (const queue of this.#queues.values()) queue.splice(0, queue.length, ...queue.filter((q) => q.by !== by));
    for (const [name, holder] of [...this.#held]) if (holder === by) this.release(name, by);
  }
}

class ContextLocks {
  constructor(private readonly broker: LockBroker) {}

  request(name: string, a: LockOptions | LockGrantedCallback<unknown>, b?: LockGrantedCallback<unknown>): Promise<unknown> {
    const options = typeof a === 'function' ? {} : a;
    const callback = (typeof a === 'function' ? a : b)!;
    return new Promise((resolve, reject) => {
      const grant = () =>
        void Promise.resolve()
          .then(() => callback({ name, mode: 'exclusive' }))
          .then(
            (value) => (this.broker.release(name, this), resolve(value)),
            (error) => (this.broker.release(name, this), reject(error))
          );
      if (!this.broker.ask(name, this, grant, !!options.ifAvailable)) Promise.resolve(callback(null)).then(resolve, reject);
    });
  }

  end(): void {
    this.broker.end(this);
  }
}

/** A page's lifecycle driven by the test: hidden and shown as the member switches tabs, stopped (frozen) and resumed by the browser. */
function lifecycle() {
  const on = { hidden: [] as (() => void)[], shown: [] as (() => void)[], stopped: [] as (() => void)[], resumed: [] as (() => void)[] };
  return {
    onHidden: (l: () => void) => void on.hidden.push(l),
    onShown: (l: () => void) => void on.shown.push(l),
    onStopped: (l: () => void) => void on.stopped.push(l),
    onResumed: (l: () => void) => void on.resumed.push(l),
    hide: () => on.hidden.forEach((l) => l()),
    show: () => on.shown.forEach((l) => l()),
    stop: () => on.stopped.forEach((l) => l()),
    resume: () => on.resumed.forEach((l) => l())
  };
}

/** The leader's dedicated worker, with its own locks and the bridge it serves followers on (`serveFollowers`). */
class FakeWorker {
  readonly locks: ContextLocks;
  terminated = false;
  #stop: () => void;

  constructor(
    broker: LockBroker,
    name: string,
    /** False: `terminate` leaves it running a while (the browser ends a worker asynchronously); `end` ends it. */
    private readonly endsAtOnce = true
  ) {
    this.locks = broker.context();
    this.#stop = serveFollowers(name, () => () => {}, this.locks as unknown as Locks);
  }

  terminate(): void {
    this.terminated = true;
    if (this.endsAtOnce) this.end();
  }

  end(): void {
    this.#stop();
    this.locks.end();
  }

  postMessage(): void {}
  addEventListener(): void {}
  removeEventListener(): void {}
}

/** A tab of the device: its election, its locks, its lifecycle, the workers it started and how often it opened again. */
function openTab(broker: LockBroker, options: { endsAtOnce?: boolean } = {}) {
  const locks = broker.context();
  const life = lifecycle();
  const workers: FakeWorker[] = [];
  let reopened = 0;
  const election = electLeader(
    (name) => {
      const worker = new FakeWorker(broker, name, options.endsAtOnce ?? true);
      workers.push(worker);
      return worker as unknown as Worker;
    },
    { locks: locks as unknown as Locks, lifecycle: life, reopen: () => void reopened++ }
  );
  return {
    ...election,
    workers,
    hide: life.hide,
    show: life.show,
    /** Frozen in the background (the browser hides it first). */
    freeze: () => (life.hide(), life.stop()),
    resume: life.resume,
    get reopened() {
      return reopened;
    },
    close: () => {
      for (const worker of workers) worker.end();
      locks.end();
    }
  };
}

const settle = () => new Promise((r) => setTimeout(r, 20));

describe('a leader tab that the browser freezes', () => {
  it('ends its worker and gives up leading: its follower opens again, and the next tab leads', async () => {
    const broker = new LockBroker();
    const first = openTab(broker);
    expect(await first.role).toBe('leader');
    const second = openTab(broker);
    expect(await second.role).toBe('follower');
    // Connected through the bridge: it now waits on the leader's own lock.
    await expect.poll(() => broker.waiting(`${LEADER_LOCK}:`)).toBe(1);

    first.freeze();
    await expect.poll(() => second.reopened).toBe(1);
    expect(first.workers[0].terminated).toBe(true);
    expect(broker.held(LEADER_LOCK)).toBe(false);
    const third = openTab(broker);
    expect(await third.role).toBe('leader');
    expect(third.workers).toHaveLength(1);
    for (const tab of [first, second, third]) tab.close();
  });

  it('opens again when it runs again, while a follower that was frozen keeps its leader', async () => {
    const broker = new LockBroker();
    const leader = openTab(broker);
    expect(await leader.role).toBe('leader');
    const follower = openTab(broker);
    expect(await follower.role).toBe('follower');
    await settle();

    follower.freeze();
    follower.resume();
    await settle();
    expect(follower.reopened).toBe(0);
    expect(leader.workers[0].terminated).toBe(false);

    leader.freeze();
    expect(leader.reopened).toBe(0);
    leader.resume();
    expect(leader.reopened).toBe(0);
    leader.show();
    expect(leader.reopened).toBe(1);
    leader.close();
    follower.close();
  });

  it('ends the other workers this page started with its leadership', async () => {
    const broker = new LockBroker();
    const leader = openTab(broker);
    expect(await leader.role).toBe('leader');
    const search = {
      terminated: false,
      terminate() {
        this.terminated = true;
      }
    };
    endsWithLeadership(search);
    leader.freeze();
    expect(search.terminated).toBe(true);
    leader.close();
  });
});

describe('a leader tab the member leaves for another', () => {
  it('hands leadership to its follower while it still runs, and opens again when shown', async () => {
    const broker = new LockBroker();
    const first = openTab(broker);
    expect(await first.role).toBe('leader');
    // Alone, it keeps leading when hidden: no tab would take over, and it would open again on return.
    first.hide();
    await settle();
    expect(first.workers[0].terminated).toBe(false);
    first.show();

    const second = openTab(broker);
    expect(await second.role).toBe('follower');
    await expect.poll(() => broker.waiting(`${LEADER_LOCK}:`)).toBe(1);
    first.hide();
    expect(first.workers[0].terminated).toBe(true);
    await expect.poll(() => second.reopened).toBe(1);
    expect(broker.held(LEADER_LOCK)).toBe(false);
    expect(first.reopened).toBe(0);
    first.show();
    expect(first.reopened).toBe(1);
    first.close();
    second.close();
  });

  it('hands over when a follower comes while it is hidden', async () => {
    const broker = new LockBroker();
    const first = openTab(broker);
    expect(await first.role).toBe('leader');
    first.hide();
    const second = openTab(broker);
    expect(await second.role).toBe('follower');
    await expect.poll(() => second.reopened).toBe(1);
    expect(first.workers[0].terminated).toBe(true);
    first.close();
    second.close();
  });
});

describe('the next leader', () => {
  it('starts its worker only once the last leader’s worker is gone, so two never write at once', async () => {
    const broker = new LockBroker();
    // Its worker takes a while to end once terminated (it finishes the task it runs).
    const first = openTab(broker, { endsAtOnce: false });
    expect(await first.role).toBe('leader');
    first.freeze();
    await settle();
    expect(first.workers[0].terminated).toBe(true);
    expect(broker.held(WORKER_LOCK)).toBe(true);

    const second = openTab(broker);
    let role: string | null = null;
    void second.role.then((r) => (role = r));
    await settle();
    expect(role).toBeNull();
    expect(second.workers).toHaveLength(0);

    first.workers[0].end();
    await expect.poll(() => role).toBe('leader');
    expect(second.workers).toHaveLength(1);
    first.close();
    second.close();
  });

  it('starts none if it is frozen while it waits for the last worker to end, and leads no more', async () => {
    const broker = new LockBroker();
    const first = openTab(broker, { endsAtOnce: false });
    expect(await first.role).toBe('leader');
    first.freeze();
    const second = openTab(broker);
    await settle();
    second.freeze();
    first.workers[0].end();
    await settle();
    expect(second.workers).toHaveLength(0);
    expect(broker.held(LEADER_LOCK)).toBe(false);
    second.resume();
    second.show();
    expect(second.reopened).toBe(1);
    first.close();
    second.close();
  });
});
