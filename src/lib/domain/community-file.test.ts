import { describe, expect, it } from 'vitest';
import { admit, newCommunity, newMember, writer } from '../../../tests/unit/community-fixture';
import { checkRecord } from '../crypto/record-seal';
import { en } from '../i18n/en';
import { zhCN } from '../i18n/zh-CN';
import { CommunityFileRecords, communityFileText, parseCommunityFile, readCommunityFile, type CommunityFileReason } from './community-file';

async function smallCommunity() {
  const alice = await newMember();
  const bob = await newMember();
  const genesis = await newCommunity(alice);
  const [invite, join] = await admit(alice, bob, genesis.id);
  const thread = await writer(bob, genesis.id)('thread', { title: 'Saddle height', body: 'How high?' });
  const reply = await writer(alice, genesis.id)('reply', { thread: thread.id, parent: thread.id, body: '你好 🚲' });
  return { genesis, records: [genesis, invite, join, thread, reply] };
}

describe('community file', () => {
  it('round-trips every record of a community, byte-identical and still verifiable', async () => {
    const { genesis, records } = await smallCommunity();
    const parsed = parseCommunityFile(communityFileText(genesis.id, records));
    expect(parsed).toEqual({ ok: true, value: { cid: genesis.id, records, skipped: 0 } });
    if (!parsed.ok) return;
    for (const r of parsed.value.records) expect((await checkRecord(r, { cid: genesis.id, key: r.id })).ok).toBe(true);
  });

  it('puts the genesis first, whatever order the file has', async () => {
    const { genesis, records } = await smallCommunity();
    const parsed = parseCommunityFile(communityFileText(genesis.id, [...records].reverse()));
    expect(parsed.ok && parsed.value.records[0].id).toBe(genesis.id);
  });

  it('skips and counts malformed entries, duplicates and records of another community', async () => {
    const { genesis, records } = await smallCommunity();
    const other = await newCommunity(await newMember(), 'other');
    const foreign = await writer(await newMember(), other.id)('thread', { title: 'x', body: 'y' });
    const text = communityFileText(genesis.id, [...records, records[3], foreign, other, { id: 'nope' }, null] as never);
    const parsed = parseCommunityFile(text);
    expect(parsed.ok && parsed.value.records.map((r) => r.id)).toEqual(records.map((r) => r.id));
    expect(parsed.ok && parsed.value.skipped).toBe(5);
  });

  it('refuses text that is not JSON, not a community file, or has no genesis, with a reason', async () => {
    const { genesis, records } = await smallCommunity();
    expect(parseCommunityFile('{"format": "hearth-commun')).toEqual({ ok: false, reason: 'community_file.unreadable' });
    expect(parseCommunityFile('{"format":"hearth-identity","version":1}')).toEqual({ ok: false, reason: 'community_file.invalid' });
    expect(parseCommunityFile(JSON.stringify({ format: 'hearth-community', version: 2, cid: genesis.id, records: [] }))).toEqual({
      ok: false,
      reason: 'community_file.invalid'
    });
    expect(parseCommunityFile(JSON.stringify({ format: 'hearth-community', version: 1, cid: 'short', records: [] }))).toEqual({
      ok: false,
      reason: 'community_file.invalid'
    });
    expect(parseCommunityFile(communityFileText(genesis.id, records.slice(1)))).toEqual({ ok: false, reason: 'community_file.no_genesis' });
  });

  it('gives the same result when the records are collected in chunks', async () => {
    const { genesis, records } = await smallCommunity();
    const envelope = readCommunityFile(communityFileText(genesis.id, records));
    expect(envelope.ok).toBe(true);
    if (!envelope.ok) return;
    const collector = new CommunityFileRecords(envelope.value.cid);
    for (let i = 0; i < envelope.value.entries.length; i += 2) collector.add(envelope.value.entries.slice(i, i + 2));
    expect(collector.finish()).toEqual(parseCommunityFile(communityFileText(genesis.id, records)));
  });

  it('has a translation for every reason it can give', () => {
    const reasons: CommunityFileReason[] = ['community_file.unreadable', 'community_file.invalid', 'community_file.too_large', 'community_file.no_genesis'];
    for (const reason of reasons) {
      expect(en[reason as keyof typeof en], reason).toBeTruthy();
      expect(zhCN[reason as keyof typeof zhCN], reason).toBeTruthy();
    }
  });
});
