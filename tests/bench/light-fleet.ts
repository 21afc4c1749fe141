// A child process of the relay benchmark holding light members (light-member.ts): they connect,
// prove their keys, write one thread each every `writeEveryMs` between `start` and `end`, and
// receive the fan-out. Running them outside the measuring process keeps its event loop free, so
// the arrival times it takes are the relays' and not this load's.
// Protocol (IPC): parent → {members, urls, room, cid}; child → {ready}; parent → {start, end, writeEveryMs};
// child → {done, written, acked, received}.
import { loadIdentity, type Identity, type StoredKeys } from '../../src/lib/crypto/identity';
import { sealRecord } from '../../src/lib/crypto/record-seal';
import { waitFor } from '../../relay/local-cluster';
import { LightMember } from './light-member';

interface Setup {
  members: StoredKeys[];
  urls: [string, string];
  room: string;
  cid: string;
}
interface Go {
  start: number;
  end: number;
  writeEveryMs: number;
}

const send = (m: unknown) => process.send?.(m);
const now = () => performance.timeOrigin + performance.now();

const setup = await new Promise<Setup>((r) => process.once('message', (m) => r(m as Setup)));
const identities: Identity[] = [];
for (const stored of setup.members) {
  const loaded = await loadIdentity(stored);
  if (!loaded.ok) throw new Error(loaded.reason);
  identities.push(loaded.value);
}
const lights: LightMember[] = [];
for (let i = 0; i < identities.length; i += 50) {
  const batch = identities.slice(i, i + 50).map((id, j) => new LightMember(setup.urls[(i + j) % 2], setup.room, id));
  lights.push(...batch);
  await waitFor('light members to prove themselves', () => batch.every((l) => l.member), Boolean, 120_000, 100);
}
send({ ready: true });
const go = await new Promise<Go>((r) => process.once('message', (m) => r(m as Go)));
const written: string[] = [];
await Promise.all(
  lights.map(async (l, i) => {
    let next = go.start + Math.random() * go.writeEveryMs;
    let n = 0;
    while (next < go.end) {
      await new Promise((r) => setTimeout(r, Math.max(0, next - now())));
      const record = await sealRecord(l.identity, {
        kind: 'thread',
        cid: setup.cid,
        ts: Date.now(),
        body: { title: `light ${i} #${n++}`, body: 'Riding on Sunday?' }
      });
      l.write(record.id, record);
      written.push(record.id);
      next += go.writeEveryMs;
    }
  })
);
await new Promise((r) => setTimeout(r, 2000));
send({ done: true, written, acked: lights.reduce((n, l) => n + l.acked, 0), received: lights.reduce((n, l) => n + l.received, 0) });
lights.forEach((l) => l.close());
setTimeout(() => process.exit(0), 200);
