import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { newCommunity, newMember } from '../../../tests/unit/community-fixture';
import { generateIdentity, identityFileText, parseIdentityFile } from '../crypto/identity';
import { randomId } from '../crypto/encoding';
import { HearthDb } from '../store/db';
import { applyRecords } from '../store/projection';
import { carryCommunities, restoreCommunities } from './carried-communities';

async function deviceWithCommunity(name: string) {
  const db = new HearthDb(`carried-${name}-${randomId(4)}`);
  const alice = await newMember();
  const genesis = await newCommunity(alice);
  const secret = randomId(32);
  await db.communities.put({
    cid: genesis.id,
    name: genesis.body.name,
    description: genesis.body.description,
    emoji: '',
    color: genesis.body.color,
    creator: genesis.author,
    createdAt: genesis.body.createdAt,
    addedAt: 1,
    lastOpened: 1,
    secret,
    signaling: ['ws://127.0.0.1:4444'],
    relay: 'ws://127.0.0.1:4455'
  });
  await applyRecords(db, genesis.id, [genesis]);
  return { db, genesis, secret };
}

describe('communities an identity file carries', () => {
  it('come back on the importing device with their room secret, addresses and genesis', async () => {
    const old = await deviceWithCommunity('old');
    const { stored } = await generateIdentity();
    const text = identityFileText(stored, { name: 'Alice', createdAt: 1 }, await carryCommunities(old.db));
    const parsed = await parseIdentityFile(text);
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.value.communities).toHaveLength(1);

    const fresh = new HearthDb(`carried-fresh-${randomId(4)}`);
    expect(await restoreCommunities(fresh, parsed.value.communities)).toBe(1);
    const row = await fresh.communities.get(old.genesis.id);
    expect(row).toMatchObject({ name: old.genesis.body.name, secret: old.secret, signaling: ['ws://127.0.0.1:4444'], relay: 'ws://127.0.0.1:4455' });
    expect((await fresh.records.get(old.genesis.id))?.sig).toBe(old.genesis.sig);
  });

  it('skips a community whose genesis was altered, and reads old files without communities', async () => {
    const old = await deviceWithCommunity('altered');
    const [carried] = await carryCommunities(old.db);
    const altered = { ...carried, genesis: { ...(carried.genesis as object), body: { ...old.genesis.body, name: 'Someone else’s' } } };
    const fresh = new HearthDb(`carried-altered-${randomId(4)}`);
    expect(await restoreCommunities(fresh, [altered])).toBe(0);
    expect(await fresh.communities.count()).toBe(0);

    const { stored } = await generateIdentity();
    const oldFile = JSON.parse(identityFileText(stored, { name: 'Alice', createdAt: 1 }));
    delete oldFile.communities;
    const parsed = await parseIdentityFile(JSON.stringify(oldFile));
    expect(parsed.ok && parsed.value.communities).toEqual([]);
  });
});
