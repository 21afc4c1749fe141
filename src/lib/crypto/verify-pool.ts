// Signature checks spread over helper threads. A large batch (an import, a history arriving) spends
// most of the community worker's time in Ed25519 verifies, which WebCrypto runs on the calling
// thread (10k import: 6.6 s of `verify` in 12.5 s of checking, one core of two). Helpers are
// dedicated workers (workers/verify.worker.ts) that a page starts and hands the community worker a
// port to: a SharedWorker cannot start workers of its own in Chromium. A batch is split between the
// worker itself and its helpers; a helper that does not answer in time (its tab closed) is dropped
// and its share checked here, so a check never waits on a helper that is gone.
import { verifyBytes } from './identity';

/** One signature to check: the signer's member id, the signed bytes, the signature (base64url). */
export type VerifyItem = [memberId: string, bytes: Uint8Array, signature: string];

interface Request {
  id: number;
  items: VerifyItem[];
}

interface Answer {
  id: number;
  ok: boolean[];
}

interface Pending {
  items: VerifyItem[];
  resolve: (ok: boolean[]) => void;
  timer: ReturnType<typeof setTimeout>;
}

interface Helper {
  port: MessagePort;
  pending: Map<number, Pending>;
}

interface Queued {
  item: VerifyItem;
  resolve: (ok: boolean) => void;
}

/** A helper that has not answered a share by then is taken for gone: the base, plus this much per signature. */
export const HELPER_TIMEOUT_MS = 5_000;
const HELPER_TIMEOUT_PER_ITEM_MS = 2;

/** Fewer signatures than this are checked here: a round trip to a helper costs more than it saves. */
export const POOL_MIN_ITEMS = 32;

/** Answers a pool's requests on `port` (in a helper worker; a test serves one in its own thread). */
export function serveVerifier(port: MessagePort, verify: (...item: VerifyItem) => Promise<boolean> = verifyBytes): void {
  port.onmessage = async (e: MessageEvent<Request>) => {
    const { id, items } = e.data;
    const ok = await Promise.all(items.map(([member, bytes, sig]) => verify(member, bytes, sig).catch(() => false)));
    port.postMessage({ id, ok } satisfies Answer);
  };
}

export class VerifyPool {
  #helpers: Helper[] = [];
  #queue: Queued[] = [];
  #flushing: ReturnType<typeof setTimeout> | null = null;
  #next = 0;
  readonly #verify: (...item: VerifyItem) => Promise<boolean>;
  /** Signatures checked by helpers and here (for tests and the dev tools). */
  readonly counts = { helpers: 0, here: 0, helpersDropped: 0 };

  constructor(verify: (...item: VerifyItem) => Promise<boolean> = verifyBytes) {
    this.#verify = verify;
  }

  get helpers(): number {
    return this.#helpers.length;
  }

  /** A helper's port (from a page: workers/verify.worker.ts serves its other end). */
  addHelper(port: MessagePort): void {
    const helper: Helper = { port, pending: new Map() };
    port.onmessage = (e: MessageEvent<Answer>) => {
      const pending = helper.pending.get(e.data?.id);
      if (!pending) return;
      helper.pending.delete(e.data.id);
      clearTimeout(pending.timer);
      const ok = Array.isArray(e.data.ok) && e.data.ok.length === pending.items.length ? e.data.ok.map((x) => x === true) : null;
      if (ok) {
        this.counts.helpers += ok.length;
        pending.resolve(ok);
      } else void this.#here(pending.items).then(pending.resolve);
    };
    port.start?.();
    this.#helpers.push(helper);
  }

  /**
   * Checks one signature, batched with the others asked for in the same turn of the event loop when
   * the pool has helpers (the gate asks for a slice's signatures together).
   */
  verify(memberId: string, bytes: Uint8Array, signature: string): Promise<boolean> {
    if (!this.#helpers.length) return this.#verify(memberId, bytes, signature);
    return new Promise((resolve) => {
      this.#queue.push({ item: [memberId, bytes, signature], resolve });
      this.#flushing ??= setTimeout(() => this.#flush(), 0);
    });
  }

  #flush(): void {
    this.#flushing = null;
    const queued = this.#queue.splice(0);
    const settle = (part: Queued[]) => (ok: boolean[]) => part.forEach((q, i) => q.resolve(ok[i]));
    if (queued.length < POOL_MIN_ITEMS || !this.#helpers.length) {
      void this.#here(queued.map((q) => q.item)).then(settle(queued));
      return;
    }
    // An equal share for each helper and for this thread: it has the gate's other work to do too, but
    // its helpers share the device's cores with the page and the storage process.
    const shares = this.#helpers.length + 1;
    const size = Math.ceil(queued.length / shares);
    const parts: Queued[][] = [];
    for (let i = 0; i < queued.length; i += size) parts.push(queued.slice(i, i + size));
    const [mine, ...theirs] = parts;
    theirs.forEach((part, i) => {
      const helper = this.#helpers[i % this.#helpers.length];
      void this.#send(
        helper,
        part.map((q) => q.item)
      ).then(settle(part));
    });
    void this.#here(mine.map((q) => q.item)).then(settle(mine));
  }

  #send(helper: Helper, items: VerifyItem[]): Promise<boolean[]> {
    return new Promise((resolve) => {
      const id = this.#next++;
      const timer = setTimeout(() => this.#drop(helper), HELPER_TIMEOUT_MS + items.length * HELPER_TIMEOUT_PER_ITEM_MS);
      helper.pending.set(id, { items, resolve, timer });
      try {
        helper.port.postMessage({ id, items } satisfies Request);
      } catch {
        this.#drop(helper);
      }
    });
  }

  /** A helper gone quiet: out of the pool, and what it held is checked here. */
  #drop(helper: Helper): void {
    const at = this.#helpers.indexOf(helper);
    if (at < 0) return;
    this.#helpers.splice(at, 1);
    this.counts.helpersDropped++;
    helper.port.onmessage = null;
    helper.port.close();
    for (const pending of helper.pending.values()) {
      clearTimeout(pending.timer);
      void this.#here(pending.items).then(pending.resolve);
    }
    helper.pending.clear();
  }

  async #here(items: VerifyItem[]): Promise<boolean[]> {
    this.counts.here += items.length;
    return Promise.all(items.map(([member, bytes, sig]) => this.#verify(member, bytes, sig).catch(() => false)));
  }
}

/** The pool of this thread (the community worker's; empty, so plain verifies, anywhere else). */
export const verifyPool = new VerifyPool();
