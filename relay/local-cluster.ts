// A relay cluster on loopback for tests and the benchmark: Debian's redis-server and relay
// processes (relay/main.ts, what `npm run relay` starts), each with its own data directory, and
// member clients (the app's RelayLink over `ws`).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as Y from 'yjs';
import type { Identity } from '../src/lib/crypto/identity';
import { RelayLink } from '../src/lib/sync/relay-client';
import { startRelay, type RelayOptions } from './relay-server';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Node 20 has no WebSocket: the `ws` package's. */
export const NodeWebSocket = createRequire(import.meta.url)('ws') as unknown;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A relay in this process on a free loopback port, its data in a fresh directory (`prefix`), silent; and its address. */
export async function inProcessRelay(
  prefix: string,
  options: Partial<RelayOptions> = {}
): Promise<{ relay: Awaited<ReturnType<typeof startRelay>>; address: string }> {
  const relay = await startRelay({ port: await freePort(), host: '127.0.0.1', dataDir: mkdtempSync(join(tmpdir(), prefix)), log: () => {}, ...options });
  return { relay, address: `ws://127.0.0.1:${relay.port}` };
}

export async function waitFor<T>(what: string, probe: () => T | Promise<T>, ok: (value: T) => boolean, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (ok(value)) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface Proc {
  child: ChildProcess;
  port: number;
  output: () => string;
  stop: (signal?: NodeJS.Signals) => Promise<void>;
}

function track(child: ChildProcess, port: number): Proc {
  let output = '';
  child.stdout?.on('data', (b) => (output += String(b)));
  child.stderr?.on('data', (b) => (output += String(b)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    child,
    port,
    output: () => output,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    }
  };
}

/** Debian's redis-server, in memory only, on `port`. */
export async function startRedis(port?: number): Promise<Proc> {
  const p = port ?? (await freePort());
  const child = spawn('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = track(child, p);
  await waitFor(
    'redis-server to accept connections',
    () => proc.output(),
    (o) => o.includes('Ready to accept connections') || child.exitCode !== null,
    10_000
  );
  if (child.exitCode !== null) throw new Error(`redis-server did not start: ${proc.output()}`);
  return proc;
}

export interface RelayProcOptions {
  port?: number;
  dataDir?: string;
  redis?: string;
  maxDataMb?: number;
  name?: string;
  /** Log a `relay-stats` JSON line this often (ms). */
  statsEveryMs?: number;
  /** Extra Node options (e.g. --cpu-prof). */
  nodeArgs?: string[];
}

/**
 * `npm run relay`'s entry (relay/main.ts, under tsx) on loopback; resolves once it answers HTTP.
 * Started by module path rather than as `scripts/relay.js` so that a `pkill -f scripts/relay.js`
 * meant for the e2e relays on a shared machine does not take a test's relays with it.
 */
export async function startRelayProcess(o: RelayProcOptions = {}): Promise<Proc & { dataDir: string; url: string }> {
  const port = o.port ?? (await freePort());
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'hearth-relay-'));
  const args = [...(o.nodeArgs ?? []), '--import', 'tsx', 'relay/main.ts', '--port', String(port), '--host', '127.0.0.1', '--data', dataDir];
  if (o.redis) args.push('--redis', o.redis);
  if (o.maxDataMb) args.push('--max-data-mb', String(o.maxDataMb));
  if (o.name) args.push('--name', o.name);
  if (o.statsEveryMs) args.push('--stats-every-ms', String(o.statsEveryMs));
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = track(child, port);
  await waitFor(
    `relay on ${port}`,
    async () =>
      child.exitCode !== null ||
      (await fetch(`http://127.0.0.1:${port}/`).then(
        (r) => r.ok,
        () => false
      )),
    Boolean,
    20_000,
    100
  );
  if (child.exitCode !== null) throw new Error(`relay did not start: ${proc.output()}`);
  return { ...proc, dataDir, url: `ws://127.0.0.1:${port}` };
}

/** A member's device as far as the relay can tell: a Yjs document and the app's relay link. */
export interface MemberClient {
  doc: Y.Doc;
  records: Y.Map<unknown>;
  link: RelayLink;
  /** Resolves once the relay confirmed the member's proof on the current connection. */
  proven: () => Promise<void>;
  destroy: () => void;
}

export function memberClient(addresses: string[], room: string, identity: Identity | null, opts: { delay?: number; maxDelay?: number } = {}): MemberClient {
  const doc = new Y.Doc();
  const link = new RelayLink({
    addresses,
    room,
    doc,
    identity: () => identity,
    WebSocketPolyfill: NodeWebSocket,
    delay: opts.delay ?? 100,
    maxDelay: opts.maxDelay ?? 1000
  });
  return {
    doc,
    records: doc.getMap('records'),
    link,
    proven: () =>
      waitFor(
        'the relay to accept the proof',
        () => link.member,
        (m) => m === identity?.publicKey,
        30_000
      ).then(() => undefined),
    destroy: () => {
      link.destroy();
      doc.destroy();
    }
  };
}
