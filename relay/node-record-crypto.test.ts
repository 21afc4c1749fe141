// The relay's synchronous record checks must refuse and accept exactly what the app's WebCrypto ones do.
import { describe, expect, it } from 'vitest';
import { checkRecord, sealRecord } from '../src/lib/crypto/record-seal';
import { signJoinProof } from '../src/lib/crypto/invite-key';
import { generateInviteKey } from '../src/lib/crypto/invite-key';
import { newCommunity, newMember, writer } from '../tests/unit/community-fixture';
import { NODE_RECORD_CRYPTO } from './node-record-crypto';

describe("the relay's Node record checks", () => {
  it('give the same verdict as WebCrypto for a sound record, a changed body, a signature by someone else, a bad key and a forged join proof', async () => {
    const alice = await newMember();
    const mallory = await newMember();
    const genesis = await newCommunity(alice);
    const cid = genesis.id;
    const thread = await writer(alice, cid)('thread', { title: 'Sunday ride', body: 'Meet at 9' });
    const byMallory = await writer(mallory, cid)('thread', { title: 'Sunday ride', body: 'Meet at 9' });
    const invite = generateInviteKey();
    const other = generateInviteKey();
    const join = (proofSeed: string) =>
      sealRecord(mallory, {
        kind: 'join',
        cid,
        ts: 1_700_000_002_000,
        body: { invite: genesis.id, key: invite.publicKey, proof: signJoinProof(proofSeed, { cid, invite: genesis.id, member: mallory.publicKey }) }
      });
    const cases: Record<string, unknown> = {
      sound: thread,
      changedBody: { ...thread, body: { ...thread.body, body: 'Meet at 10' } },
      someoneElsesSignature: { ...thread, sig: byMallory.sig },
      badAuthorKey: { ...thread, author: 'AAAA' },
      soundJoin: await join(invite.seed),
      forgedJoinProof: await join(other.seed)
    };
    const verdicts: Record<string, [string, string]> = {};
    for (const [name, record] of Object.entries(cases)) {
      const key = (record as { id: string }).id;
      const web = await checkRecord(record, { cid, key });
      const node = await checkRecord(record, { cid, key }, NODE_RECORD_CRYPTO);
      verdicts[name] = [web.ok ? 'ok' : web.reason, node.ok ? 'ok' : node.reason];
    }
    for (const [web, node] of Object.values(verdicts)) expect(node).toBe(web);
    expect(verdicts.sound[1]).toBe('ok');
    expect(verdicts.soundJoin[1]).toBe('ok');
    expect(verdicts.changedBody[1]).toBe('record.bad_id');
    expect(verdicts.someoneElsesSignature[1]).toBe('record.bad_signature');
    expect(verdicts.forgedJoinProof[1]).toBe('record.bad_invite_proof');
    expect(verdicts.badAuthorKey[1]).not.toBe('ok');
  });
});
