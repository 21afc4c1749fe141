import { describe, expect, it } from 'vitest';
import { newCommunity, newMember } from '../../../tests/unit/community-fixture';
import { parseRecord, type BodyOf } from '../domain/record';
import { fromBase64Url, toBase64Url } from './encoding';
import { openContent, sealContent } from './content-seal';
import type { EpochKey } from './epoch-keys';
import { checkRecord, sealRecord } from './record-seal';

const THREAD = 'T'.repeat(43);
const OTHER_THREAD = 'U'.repeat(43);
const TS = 1_700_000_050_000;

function epochKey(scope: EpochKey['scope'] = 'tier:Gold'): EpochKey {
  return { epoch: toBase64Url(crypto.getRandomValues(new Uint8Array(32))), scope, ts: TS - 1000, raw: crypto.getRandomValues(new Uint8Array(32)) };
}

async function setup() {
  const creator = await newMember();
  const alice = await newMember();
  const genesis = await newCommunity(creator);
  const key = epochKey();
  const reply: BodyOf<'reply'> = { thread: THREAD, parent: THREAD, body: '金卡会员的骑行路线 — the Gold route', mentions: [creator.publicKey] };
  const header = { cid: genesis.id, author: alice.publicKey, ts: TS, prev: 'P'.repeat(43) };
  const sealed = await sealContent(header, 'reply', reply, key);
  if (!sealed.ok) throw new Error(sealed.reason);
  const record = await sealRecord(alice, { kind: 'sealed', cid: genesis.id, ts: TS, prev: header.prev, body: sealed.value });
  return { creator, alice, genesis, key, reply, header, record, ring: new Map([[key.epoch, key]]) };
}

describe('sealed content', () => {
  it('a sealed reply passes the gate without keys and opens to the original body with its pointers', async () => {
    const { genesis, record, ring, reply, key } = await setup();
    expect((await checkRecord(JSON.parse(JSON.stringify(record)), { cid: genesis.id, key: record.id })).ok).toBe(true);
    expect(record.body.refs).toEqual({ thread: THREAD, parent: THREAD });
    expect(record.body.sealed.scope).toBe('tier:Gold');
    expect(record.body.sealed.epoch).toBe(key.epoch);
    expect(JSON.stringify(record)).not.toContain('Gold route');
    expect(await openContent(record, ring)).toEqual({ ok: true, value: { kind: 'reply', body: reply } });
  });

  it('a ciphertext moved under another author, time, chain position, thread or scope does not open', async () => {
    const { record, ring, key } = await setup();
    const moved = [
      { ...record, author: (await newMember()).publicKey },
      { ...record, ts: TS + 1 },
      { ...record, prev: undefined },
      { ...record, body: { ...record.body, refs: { thread: OTHER_THREAD, parent: OTHER_THREAD } } },
      { ...record, body: { ...record.body, of: 'edit' as const, refs: { target: THREAD } } }
    ];
    for (const r of moved) expect(await openContent(r, ring)).toEqual({ ok: false, reason: 'bad_ciphertext' });
    // The same key listed under another scope's epoch entry: refused before decrypting.
    const relabelled = new Map([[key.epoch, { ...key, scope: 'all' as const }]]);
    expect(await openContent(record, relabelled)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('a tampered ciphertext or iv fails authentication; a reader without the epoch has no key', async () => {
    const { record, ring } = await setup();
    const ct = fromBase64Url(record.body.sealed.ct)!;
    ct[5] ^= 1;
    const tampered = { ...record, body: { ...record.body, sealed: { ...record.body.sealed, ct: toBase64Url(ct) } } };
    expect(await openContent(tampered, ring)).toEqual({ ok: false, reason: 'bad_ciphertext' });
    const iv = fromBase64Url(record.body.sealed.iv)!;
    iv[0] ^= 1;
    expect(await openContent({ ...record, body: { ...record.body, sealed: { ...record.body.sealed, iv: toBase64Url(iv) } } }, ring)).toEqual({
      ok: false,
      reason: 'bad_ciphertext'
    });
    expect(await openContent(record, new Map([[epochKey().epoch, epochKey()]]))).toEqual({ ok: false, reason: 'no_key' });
  });

  it('a body that opens but is not valid for its kind is malformed', async () => {
    const { header, ring, key } = await setup();
    const bad = await sealContent(header, 'thread', { title: '   ', body: 'x' } as BodyOf<'thread'>, key);
    if (!bad.ok) throw new Error(bad.reason);
    expect(await openContent({ ...header, body: bad.value }, ring)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('the gate refuses a sealed body whose pointers do not match its kind', async () => {
    const { record } = await setup();
    const wrongRefs = { ...record, body: { ...record.body, refs: { target: THREAD } } };
    expect(parseRecord(wrongRefs)).toEqual({ ok: false, reason: 'record.malformed' });
    const extra = { ...record, body: { ...record.body, refs: { ...record.body.refs, target: THREAD } } };
    expect(parseRecord(extra)).toEqual({ ok: false, reason: 'record.malformed' });
  });

  it('refuses to seal what would not fit in a record', async () => {
    const { header, key } = await setup();
    const big = await sealContent(header, 'thread', { title: 'Long', body: '长'.repeat(20_000) }, key);
    expect(big).toEqual({ ok: false, reason: 'content.too_large' });
  });
});
