// Pseudonymised member ids for exports: the same member gets the same pseudonym in every export from
// this device (a local random salt per community), and nobody without the salt can link it back.
import { sha256, toBase64Url } from './encoding';

export async function pseudonym(salt: string, memberId: string): Promise<string> {
  return 'm_' + toBase64Url(await sha256(new TextEncoder().encode(`${salt}:${memberId}`))).slice(0, 12);
}
