// Read-access crypto figures, in Node (npx tsx tests/bench/crypto-figures.ts), one JSON line each:
//   crypto.x25519_webcrypto_us / crypto.x25519_noble_us  one X25519 shared secret (import + derive
//       for WebCrypto; @noble/curves' ladder in JS), mean over 1,000
//   crypto.montgomery_us  Ed25519 member key → X25519 key, one at a time (@noble/curves, decompressing
//       the point); crypto.montgomery_batch_us  the same in one batch (member-box montgomeryBatch,
//       what newEpoch uses); both cached afterwards, so only a device's first rotation pays them
//   crypto.rotate_10k_ms  one scope's new epoch for 10,000 entitled members, flat wrapping (newEpoch:
//       X25519 by WebCrypto, HKDF-SHA-256, AES-KW per member; parts of 900 wraps) and every part
//       signed as a record; cold Montgomery cache. `.warm` with the cache filled (a later rotation)
//   crypto.rotate_10k_noble_ms_est  the same with noble X25519, from 1,000 members × 10
//   crypto.rotate_10k_kb / crypto.rotate_10k_parts  bytes (canonical JSON of the signed records) and
//       records the epoch adds to the community
//   crypto.validate_10k_ms  validKeyRecords on that epoch in a 10,000-member community (authority
//       computed beforehand): every wrap's tag resolved and its member's entitlement checked
//   crypto.keyring_open_ms  one member unwrapping their key from that epoch (buildKeyring)
//   crypto.seal_1kb_us / crypto.open_1kb_us  sealing / opening a typical 1 KB reply (AES-256-GCM
//       with the canonical header as AAD, schema check on open), mean over 2,000
//   crypto.open_100k_s_est  opening 100,000 such records one after another, from open_1kb_us;
//       crypto.open_1kb_batch_us / open_100k_batch_s_est  the same in slices of 500 opened at once
// Figures never fail a build.
import { ed25519 } from '@noble/curves/ed25519.js';
import { computeAuthority } from '../../src/lib/domain/authority';
import { validKeyRecords } from '../../src/lib/domain/epochs';
import type { AnyRecord, SignedRecord } from '../../src/lib/domain/record';
import { scopeContext } from '../../src/lib/domain/scopes';
import { openContent, sealContent } from '../../src/lib/crypto/content-seal';
import { canonicalBytes, toBase64Url } from '../../src/lib/crypto/encoding';
import { buildKeyring, newEpoch, type EpochKey } from '../../src/lib/crypto/epoch-keys';
import { generateIdentity } from '../../src/lib/crypto/identity';
import { ephemeralKeyPair, memberBoxKeyOf, montgomeryBatch, montgomeryOf, sharedSecrets } from '../../src/lib/crypto/member-box';
import { sealRecord } from '../../src/lib/crypto/record-seal';

const print = (bench: string, value: number, unit: string, extra: Record<string, unknown> = {}) =>
  console.log(JSON.stringify({ bench, value: Math.round(value * 100) / 100, unit, ...extra }));
const log = (text: string) => process.stderr.write(`${text}\n`);
const T0 = 1_700_000_000_000;

async function main() {
  const N = 10_000;
  log('making 10,000 member keys…');
  const creator = await generateIdentity();
  const memberKeys: string[] = [];
  for (let i = 0; i < N - 1; i++) memberKeys.push(toBase64Url(ed25519.getPublicKey(ed25519.utils.randomSecretKey())));
  const reader = await generateIdentity();
  memberKeys.push(reader.identity.publicKey);

  // X25519 alone.
  const eph = ephemeralKeyPair();
  const sample = memberKeys.slice(0, 1000).map((k) => montgomeryOf(k)!);
  for (const path of ['webcrypto', 'noble'] as const) {
    await sharedSecrets(eph.secretKey, sample.slice(0, 20), path);
    const t = performance.now();
    await sharedSecrets(eph.secretKey, sample, path);
    print(`crypto.x25519_${path}_us`, ((performance.now() - t) * 1000) / sample.length, 'us');
  }

  let t = performance.now();
  for (const k of memberKeys.slice(1000, 2000)) montgomeryOf(k);
  print('crypto.montgomery_us', performance.now() - t, 'us'); // ms for 1,000 = µs each

  const genesis = await sealRecord(creator.identity, {
    kind: 'genesis',
    cid: '',
    ts: T0,
    body: { name: 'Bench', description: '', color: '#336699', createdAt: T0, nonce: 'bench' }
  });
  const cid = genesis.id;
  const rotateOnce = async (path: 'webcrypto' | 'noble', recipients: string[]) => {
    const started = performance.now();
    const made = await newEpoch({ cid, scope: 'all', parents: [], reason: 'start', recipients, path });
    const records = await Promise.all(made.bodies.map((body) => sealRecord(creator.identity, { kind: 'key', cid, ts: T0 + 100_000, body })));
    return { ms: performance.now() - started, records, made };
  };
  const all = [creator.identity.publicKey, ...memberKeys];
  await rotateOnce('webcrypto', all.slice(0, 50)); // warm up
  // Cold: 8,000 of the 10,001 keys were never converted on this "device".
  const cold = await rotateOnce('webcrypto', all);
  print('crypto.rotate_10k_ms', cold.ms, 'ms', { members: all.length });
  const warm = await rotateOnce('webcrypto', all);
  print('crypto.rotate_10k_ms.warm', warm.ms, 'ms');
  const fresh = Array.from({ length: 5000 }, () => toBase64Url(ed25519.getPublicKey(ed25519.utils.randomSecretKey())));
  t = performance.now();
  montgomeryBatch(fresh);
  print('crypto.montgomery_batch_us', ((performance.now() - t) * 1000) / fresh.length, 'us');
  const bytes = warm.records.reduce((sum, r) => sum + canonicalBytes(r).length, 0);
  print('crypto.rotate_10k_kb', bytes / 1024, 'kB');
  print('crypto.rotate_10k_parts', warm.records.length, 'records');
  print('crypto.rotate_10k_max_record_kb', Math.max(...warm.records.map((r) => canonicalBytes(r).length)) / 1024, 'kB');
  const noble = await rotateOnce('noble', all.slice(0, 1000));
  print('crypto.rotate_10k_noble_ms_est', noble.ms * (all.length / 1000), 'ms');

  // Validation in a 10,000-member community: authority from unsigned stand-in invite/join records
  // (computeAuthority reads them; the gate's signature checks are not part of this figure).
  const invite = {
    id: 'I'.repeat(43),
    kind: 'invite',
    cid,
    author: creator.identity.publicKey,
    ts: T0 + 1,
    body: { role: 'member', expiresAt: null, maxUses: null, label: 'b', nonce: 'n', key: 'K'.repeat(43) },
    sig: 'S'.repeat(86)
  };
  const joins = memberKeys.map((k, i) => ({
    id: `J${i.toString(36)}`.padEnd(43, 'A'),
    kind: 'join',
    cid,
    author: k,
    ts: T0 + 2 + i,
    body: { invite: invite.id, key: invite.body.key, proof: 'P'.repeat(86) },
    sig: 'S'.repeat(86)
  }));
  const records = [genesis, invite, ...joins, ...warm.records] as AnyRecord[];
  const auth = computeAuthority(genesis as SignedRecord<'genesis'>, records);
  const ctx = scopeContext(records, auth);
  validKeyRecords(records, ctx);
  t = performance.now();
  const view = validKeyRecords(records, ctx);
  print('crypto.validate_10k_ms', performance.now() - t, 'ms', { accepted: view.epochs.size, rejected: view.rejected.length, members: auth.members.size });

  const box = (await memberBoxKeyOf(reader.identity))!;
  t = performance.now();
  const ring = await buildKeyring(view, cid, box);
  print('crypto.keyring_open_ms', performance.now() - t, 'ms', { keys: ring.size });

  // Seal and open a 1 KB reply.
  const key: EpochKey = ring.get(warm.made.epoch) ?? { epoch: warm.made.epoch, scope: 'all', ts: T0, raw: warm.made.key };
  const ring1 = new Map([[key.epoch, key]]);
  const reply = { thread: 'T'.repeat(43), parent: 'T'.repeat(43), body: 'A ride report. '.repeat(64).slice(0, 1000) };
  const header = { cid, author: reader.identity.publicKey, ts: T0 + 200_000, prev: 'P'.repeat(43) };
  const R = 2000;
  const sealed = [];
  for (let i = 0; i < 50; i++) await sealContent(header, 'reply', reply, key);
  t = performance.now();
  for (let i = 0; i < R; i++) sealed.push(await sealContent(header, 'reply', reply, key));
  print('crypto.seal_1kb_us', ((performance.now() - t) * 1000) / R, 'us');
  const recordsToOpen = sealed.map((s) => ({ ...header, body: (s as { ok: true; value: SignedRecord<'sealed'>['body'] }).value }));
  t = performance.now();
  let opened = 0;
  for (const r of recordsToOpen) if ((await openContent(r, ring1)).ok) opened++;
  const openUs = ((performance.now() - t) * 1000) / R;
  print('crypto.open_1kb_us', openUs, 'us', { opened });
  print('crypto.open_100k_s_est', (openUs * 100_000) / 1e6, 's');
  // As a projection would: slices of 500 opened at once (WebCrypto's calls overlap).
  t = performance.now();
  for (let i = 0; i < recordsToOpen.length; i += 500) await Promise.all(recordsToOpen.slice(i, i + 500).map((r) => openContent(r, ring1)));
  const batchUs = ((performance.now() - t) * 1000) / R;
  print('crypto.open_1kb_batch_us', batchUs, 'us');
  print('crypto.open_100k_batch_s_est', (batchUs * 100_000) / 1e6, 's');
}

await main();
