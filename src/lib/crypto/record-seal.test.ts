import { describe, expect, it } from 'vitest';
import { newCommunity, newMember, writer } from '../../../tests/unit/community-fixture';
import { checkRecord, sealRecord } from './record-seal';
import { generateIdentity, identityFileText, parseIdentityFile } from './identity';
import { MAX_POST_BODY } from '../domain/record';

describe('record sealing', () => {
  it('a sealed record passes the gate under its own id', async () => {
    const alice = await newMember();
    const genesis = await newCommunity(alice);
    const thread = await writer(alice, genesis.id)('thread', { title: 'Hello', body: 'First post' });
    expect(await checkRecord(genesis, { cid: genesis.id, key: genesis.id })).toMatchObject({ ok: true });
    expect(await checkRecord(thread, { cid: genesis.id, key: thread.id })).toMatchObject({ ok: true });
  });

  it('survives a JSON round trip, as records do through Yjs and files', async () => {
    const alice = await newMember();
    const genesis = await newCommunity(alice);
    const reply = await writer(alice, genesis.id)('reply', { thread: genesis.id, parent: genesis.id, body: '你好 🚲 "quoted"' });
    const copy = JSON.parse(JSON.stringify(reply));
    expect(await checkRecord(copy, { cid: genesis.id })).toEqual({ ok: true, value: reply });
  });

  it('detects a changed body', async () => {
    const alice = await newMember();
    const g = await newCommunity(alice);
    const t = await writer(alice, g.id)('thread', { title: 'Hello', body: 'original' });
    const forged = { ...t, body: { ...t.body, body: 'changed' } };
    expect(await checkRecord(forged, { cid: g.id })).toEqual({ ok: false, reason: 'record.bad_id' });
  });

  it('detects a changed author even when the id is recomputed', async () => {
    const alice = await newMember();
    const mallory = await newMember();
    const g = await newCommunity(alice);
    const t = await writer(alice, g.id)('thread', { title: 'Hello', body: 'x' });
    // Mallory re-seals Alice's content under Alice's name with her own key: id matches, signature does not.
    const resealed = await sealRecord(mallory, { kind: 'thread', cid: g.id, ts: t.ts, body: t.body });
    const forged = { ...resealed, author: alice.publicKey };
    const { canonicalBytes, sha256, toBase64Url } = await import('./encoding');
    const { signedContent } = await import('../domain/record');
    forged.id = toBase64Url(await sha256(canonicalBytes(signedContent(forged))));
    expect(await checkRecord(forged, { cid: g.id })).toEqual({ ok: false, reason: 'record.bad_signature' });
    expect(await checkRecord({ ...t, author: mallory.publicKey }, { cid: g.id })).toEqual({ ok: false, reason: 'record.bad_id' });
  });

  it('detects a changed id and a record stored under another key', async () => {
    const alice = await newMember();
    const g = await newCommunity(alice);
    const w = writer(alice, g.id);
    const a = await w('thread', { title: 'A', body: 'a' });
    const b = await w('thread', { title: 'B', body: 'b' });
    expect(await checkRecord({ ...a, id: b.id }, { cid: g.id })).toEqual({ ok: false, reason: 'record.bad_id' });
    expect(await checkRecord(b, { cid: g.id, key: a.id })).toEqual({ ok: false, reason: 'record.key_mismatch' });
  });

  it('rejects a signature made with the wrong key', async () => {
    const alice = await newMember();
    const mallory = await newMember();
    const g = await newCommunity(alice);
    const t = await writer(alice, g.id)('thread', { title: 'Hello', body: 'x' });
    const other = await writer(mallory, g.id)('thread', { title: 'Hello', body: 'x' }, t.ts);
    expect(await checkRecord({ ...t, sig: other.sig }, { cid: g.id })).toEqual({ ok: false, reason: 'record.bad_signature' });
  });

  it('rejects a record of another community', async () => {
    const alice = await newMember();
    const g1 = await newCommunity(alice, 'one');
    const g2 = await newCommunity(alice, 'two');
    const t = await writer(alice, g1.id)('thread', { title: 'Hello', body: 'x' });
    expect(await checkRecord(t, { cid: g2.id })).toEqual({ ok: false, reason: 'record.wrong_community' });
    expect(await checkRecord(g1, { cid: g2.id })).toEqual({ ok: false, reason: 'record.wrong_community' });
  });

  it('rejects oversized, malformed and non-record values', async () => {
    const alice = await newMember();
    const g = await newCommunity(alice);
    const big = await sealRecord(alice, { kind: 'thread', cid: g.id, ts: 1, body: { title: 't', body: 'x'.repeat(MAX_POST_BODY + 1) } });
    expect(await checkRecord(big, { cid: g.id })).toEqual({ ok: false, reason: 'record.malformed' });
    for (const junk of [null, 42, 'text', [], { id: 'x' }, new Uint8Array([1, 2, 3])]) {
      expect(await checkRecord(junk, { cid: g.id })).toEqual({ ok: false, reason: 'record.malformed' });
    }
  });
});

describe('identity export file', () => {
  it('restores the same member from the exported file', async () => {
    const { identity, stored } = await generateIdentity();
    const text = identityFileText(stored, { name: 'Alice', lang: 'en', createdAt: 5 });
    const parsed = await parseIdentityFile(text);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.identity.publicKey).toBe(identity.publicKey);
    expect(parsed.value.name).toBe('Alice');
    // A record signed with the restored key verifies as the original member.
    const g = await newCommunity(parsed.value.identity);
    expect(g.author).toBe(identity.publicKey);
    expect((await checkRecord(g, { cid: g.id })).ok).toBe(true);
  });

  it('refuses unreadable, invalid and mismatched files with a reason', async () => {
    expect(await parseIdentityFile('not json')).toEqual({ ok: false, reason: 'identity.file_unreadable' });
    expect(await parseIdentityFile('{"format":"other"}')).toEqual({ ok: false, reason: 'identity.file_invalid' });
    const a = await generateIdentity();
    const b = await generateIdentity();
    const swapped = identityFileText({ publicKey: a.stored.publicKey, privateKeyPkcs8: b.stored.privateKeyPkcs8 }, { name: 'x', createdAt: 1 });
    expect(await parseIdentityFile(swapped)).toEqual({ ok: false, reason: 'identity.key_mismatch' });
  });
});
