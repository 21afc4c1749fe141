import { describe, expect, it } from 'vitest';
import { ed25519 } from '@noble/curves/ed25519.js';
import { toBase64Url } from './encoding';
import { ephemeralKeyPair, montgomeryBatch, sharedSecrets } from './member-box';

const keys = () => Array.from({ length: 20 }, () => ed25519.getPublicKey(ed25519.utils.randomSecretKey()));

describe('member X25519 keys', () => {
  it('the batch conversion gives the same X25519 keys as noble, and null for what is not a key', () => {
    const raw = keys();
    const batch = montgomeryBatch([...raw.map(toBase64Url), 'not-a-key']);
    expect(batch.slice(0, 20)).toEqual(raw.map((k) => ed25519.utils.toMontgomery(k)));
    expect(batch[20]).toBeNull();
  });

  it('WebCrypto and noble agree on shared secrets, and both refuse a low-order point', async () => {
    const publics = [...keys().map((k) => ed25519.utils.toMontgomery(k)), new Uint8Array(32)];
    const { secretKey } = ephemeralKeyPair();
    const web = await sharedSecrets(secretKey, publics, 'webcrypto');
    const noble = await sharedSecrets(secretKey, publics, 'noble');
    expect(web).toEqual(noble);
    expect(web[20]).toBeNull();
  });
});
