// Private survey answers: sealed so that only the survey's recipients (creator, admins) can read
// them, although every member holds the same signed `survey-response` records.
// Answers are encrypted once under a fresh AES-256-GCM key; that key is wrapped for each recipient
// with X25519 ECDH (one ephemeral key per response) + HKDF-SHA-256. Recipients' X25519 keys are
// derived from their Ed25519 member keys (@noble/curves), so no extra key exchange is needed.
import type { BodyOf, SignedRecord } from '../domain/record';
import { fromBase64Url, toBase64Url } from './encoding';
import type { Identity } from './identity';
import { ephemeralKeyPair, memberBoxKeyOf, montgomeryOf, sharedSecret, type MemberBoxKey, derivedKey } from './member-box';

export { seedFromPkcs8 } from './member-box';

/** The survey answers as the respondent typed them: question id -> option index, 1–5, or text. */
export type SurveyAnswers = Record<string, number | string>;

/** A recipient's decryption key, derived once from the member's Ed25519 identity (see member-box). */
export type SurveyKey = MemberBoxKey;

export type SealFailure = 'survey.bad_recipient' | 'survey.too_large';
export type OpenFailure = 'survey.not_recipient' | 'survey.cannot_decrypt' | 'survey.malformed';

/** Keeps the record under the `survey-response` ciphertext limit (40,000 base64url characters). */
export const MAX_ANSWER_BYTES = 28_000;

const INFO = new TextEncoder().encode('hearth/survey-response/v1');
// Each key-encryption key is derived from a fresh ephemeral secret and used exactly once, so a
// fixed nonce cannot repeat under one key.
const WRAP_IV = new Uint8Array(12);

/** Derives this member's X25519 secret from their identity. */
export function surveyKeyOf(identity: Identity): Promise<SurveyKey | null> {
  return memberBoxKeyOf(identity);
}

/**
 * Binds the ciphertext to its survey, its respondent and its ephemeral key: a member who copies
 * someone else's ciphertext into their own response gets a record nobody can open.
 */
function contentAad(survey: string, author: string, epk: string): Uint8Array {
  return new TextEncoder().encode(`hearth/survey-answers/v1\u0000${survey}\u0000${author}\u0000${epk}`);
}

async function wrappingKey(shared: Uint8Array, epk: Uint8Array, recipient: string, survey: string): Promise<CryptoKey> {
  const info = new Uint8Array([...INFO, 0, ...new TextEncoder().encode(`${survey}\u0000${recipient}`)]);
  return derivedKey(shared, epk, info, 'AES-GCM', ['encrypt', 'decrypt']);
}

/** Encrypts answers for the survey's recipients; the result is a `survey-response` body ready to seal. */
export async function sealAnswers(input: {
  survey: string;
  author: string;
  recipients: readonly string[];
  answers: SurveyAnswers;
}): Promise<{ ok: true; value: BodyOf<'survey-response'> } | { ok: false; reason: SealFailure }> {
  const plain = new TextEncoder().encode(JSON.stringify(input.answers));
  if (plain.length > MAX_ANSWER_BYTES) return { ok: false, reason: 'survey.too_large' };
  const recipients = [...new Set(input.recipients)];
  const montgomery = recipients.map(montgomeryOf);
  if (montgomery.some((m) => m === null)) return { ok: false, reason: 'survey.bad_recipient' };

  const ephemeral = ephemeralKeyPair();
  const epk = toBase64Url(ephemeral.publicKey);
  const contentKeyBytes = crypto.getRandomValues(new Uint8Array(32));
  const contentKey = await crypto.subtle.importKey('raw', contentKeyBytes, 'AES-GCM', false, ['encrypt']);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ciphertext = new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: contentAad(input.survey, input.author, epk) as BufferSource }, contentKey, plain)
  );
  const keys: { to: string; wrapped: string }[] = [];
  for (let i = 0; i < recipients.length; i++) {
    const shared = sharedSecret(ephemeral.secretKey, montgomery[i]!);
    if (!shared) return { ok: false, reason: 'survey.bad_recipient' }; // a low-order point: not a real member key
    const kek = await wrappingKey(shared, ephemeral.publicKey, recipients[i], input.survey);
    const wrapped = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: WRAP_IV }, kek, contentKeyBytes));
    keys.push({ to: recipients[i], wrapped: toBase64Url(wrapped) });
  }
  contentKeyBytes.fill(0);
  return { ok: true, value: { survey: input.survey, epk, iv: toBase64Url(iv), ciphertext: toBase64Url(ciphertext), keys } };
}

/**
 * Opens a response with a recipient's key. Every failure is a value: a member who is not a
 * recipient, a tampered ciphertext or wrapped key, or a response copied under another author.
 */
export async function openAnswers(
  key: SurveyKey,
  response: Pick<SignedRecord<'survey-response'>, 'author' | 'body'>
): Promise<{ ok: true; value: unknown } | { ok: false; reason: OpenFailure }> {
  const { body } = response;
  const entry = body.keys.find((k) => k.to === key.memberId);
  if (!entry) return { ok: false, reason: 'survey.not_recipient' };
  const epk = fromBase64Url(body.epk);
  const iv = fromBase64Url(body.iv);
  const wrapped = fromBase64Url(entry.wrapped);
  const ciphertext = fromBase64Url(body.ciphertext);
  if (!epk || epk.length !== 32 || !iv || iv.length !== 12 || !wrapped || !ciphertext) return { ok: false, reason: 'survey.malformed' };
  try {
    const shared = sharedSecret(key.secret, epk);
    if (!shared) return { ok: false, reason: 'survey.cannot_decrypt' };
    const kek = await wrappingKey(shared, epk, key.memberId, body.survey);
    const contentKeyBytes = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: WRAP_IV }, kek, wrapped as BufferSource));
    const contentKey = await crypto.subtle.importKey('raw', contentKeyBytes as BufferSource, 'AES-GCM', false, ['decrypt']);
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: iv as BufferSource, additionalData: contentAad(body.survey, response.author, body.epk) as BufferSource },
      contentKey,
      ciphertext as BufferSource
    );
    return { ok: true, value: JSON.parse(new TextDecoder().decode(plain)) };
  } catch {
    // GCM authentication failed (wrong key, any changed byte) or the plaintext is not JSON.
    return { ok: false, reason: 'survey.cannot_decrypt' };
  }
}
