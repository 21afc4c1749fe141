import { describe, expect, it } from 'vitest';
import { channelKey, decodeLinkToken, encodeLinkToken, linkTopic, newEphemeral, newLinkSecret, open, seal, session } from './device-link';

async function pair() {
  const link = newLinkSecret();
  const old = newEphemeral();
  const fresh = newEphemeral();
  const order = { old: old.publicKey, fresh: fresh.publicKey };
  return { link, old, fresh, a: (await session(link, old, fresh.publicKey, order))!, b: (await session(link, fresh, old.publicKey, order))! };
}

describe('device link', () => {
  it('round-trips the one-time secret through the link token', async () => {
    const link = newLinkSecret();
    const token = await encodeLinkToken(link);
    expect(token.length).toBeLessThan(60);
    expect(await decodeLinkToken(token)).toEqual({ ok: true, value: link });
  });

  it('says a token with a changed or missing character is damaged', async () => {
    const token = await encodeLinkToken(newLinkSecret());
    for (let i = 2; i < token.length; i++) {
      const c = token[i] === 'A' ? 'B' : 'A';
      expect(await decodeLinkToken(token.slice(0, i) + c + token.slice(i + 1)), `character ${i}`).toEqual({ ok: false, reason: 'link.damaged' });
    }
    expect(await decodeLinkToken(token.slice(0, -1))).toEqual({ ok: false, reason: 'link.damaged' });
    // The last character's two unused bits: flipping them alone changes no byte, and is still a damaged token.
    const last = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const at = last.indexOf(token.at(-1)!);
    expect(await decodeLinkToken(token.slice(0, -1) + last[at ^ 1])).toEqual({ ok: false, reason: 'link.damaged' });
    expect(await decodeLinkToken('i.abc')).toEqual({ ok: false, reason: 'link.damaged' });
  });

  it('gives both devices the same six-digit code and a session key that opens what the other sealed', async () => {
    const { a, b } = await pair();
    expect(a.code).toMatch(/^\d{6}$/);
    expect(b.code).toBe(a.code);
    expect(await open(b.key, await seal(a.key, { identity: 'secret' }))).toEqual({ identity: 'secret' });
  });

  it('shows a different code to a device that answered with the QR secret but is not the one the old device paired with', async () => {
    const { link, old, fresh, a } = await pair();
    // An onlooker who photographed the QR code answers first: the old device pairs with them.
    const onlooker = newEphemeral();
    const withOnlooker = (await session(link, old, onlooker.publicKey, { old: old.publicKey, fresh: onlooker.publicKey }))!;
    // The person's own new device computes its code against the old device's offer: it differs.
    const freshView = (await session(link, fresh, old.publicKey, { old: old.publicKey, fresh: fresh.publicKey }))!;
    expect(withOnlooker.code).not.toBe(freshView.code);
    // And the identity sealed for the real session does not open with the QR secret alone.
    const sealed = await seal(a.key, { identity: 'secret' });
    expect(await open(await channelKey(link), sealed)).toBeNull();
    expect(await open(withOnlooker.key, sealed)).toBeNull();
  });

  it('derives a rendezvous topic that does not contain the secret', async () => {
    const link = newLinkSecret();
    const topic = await linkTopic(link);
    expect(topic).not.toContain(link.secret);
    expect(await linkTopic(link)).toBe(topic);
    expect(await linkTopic(newLinkSecret())).not.toBe(topic);
  });

  it('refuses a message altered on its way', async () => {
    const key = await channelKey(newLinkSecret());
    const sealed = await seal(key, { t: 'hello' });
    const altered = sealed.slice(0, 20) + (sealed[20] === 'A' ? 'B' : 'A') + sealed.slice(21);
    expect(await open(key, altered)).toBeNull();
    expect(await open(key, 42)).toBeNull();
  });
});
