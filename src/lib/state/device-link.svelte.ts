// Linking a second device by QR code: the old device shows a one-time link (DeviceLinkOffer), the
// new one opens it (DeviceLinkAccept); both show the same six-digit code, and once the person says
// the codes match the old device sends the identity and its communities (room secrets, addresses,
// signed geneses) sealed for that session only (crypto/device-link). The new device then joins each
// community's lobby with the member's own key, receives its keys and syncs the history as any
// device of that member would.
import * as v from 'valibot';
import {
  channelKey,
  decodeLinkToken,
  encodeLinkToken,
  linkTopic,
  newEphemeral,
  newLinkSecret,
  open,
  seal,
  session,
  type Ephemeral,
  type LinkSecret
} from '../crypto/device-link';
import { randomId } from '../crypto/encoding';
import { CarriedCommunitiesSchema, loadIdentity } from '../crypto/identity';
import type { MessageKey } from '../i18n/en';
import type { HearthDb } from '../store/db';
import { carryCommunities, restoreCommunities } from './carried-communities';
import { defaultSyncAddresses } from '../sync/defaults';
import { openLinkChannel, type LinkChannel } from '../sync/link-channel';

/** How long a shown link stays usable, and how long a new device waits for the old one. */
const OFFER_MS = 10 * 60_000;
const ANSWER_MS = 60_000;
const HELLO_EVERY_MS = 2_000;

const PayloadSchema = v.strictObject({
  v: v.literal(1),
  identity: v.strictObject({
    publicKey: v.pipe(v.string(), v.length(43)),
    privateKey: v.pipe(v.string(), v.maxLength(200)),
    name: v.pipe(v.string(), v.maxLength(60)),
    createdAt: v.number(),
    lang: v.optional(v.picklist(['en', 'zh-CN']))
  }),
  communities: CarriedCommunitiesSchema
});
type Payload = v.InferOutput<typeof PayloadSchema>;

type Message = { t: 'hello'; epk: string } | { t: 'offer'; epk: string; to: string } | { t: 'identity'; ct: string } | { t: 'done'; count: number };

/** The old device's side: shows the link, pairs with the first new device, sends once confirmed. */
export class DeviceLinkOffer {
  phase = $state<'idle' | 'waiting' | 'confirm' | 'sending' | 'done' | 'failed'>('idle');
  url = $state('');
  code = $state('');
  error = $state<MessageKey | null>(null);
  /** Communities the new device received. */
  count = $state(0);
  #channel: LinkChannel | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #session: { key: CryptoKey } | null = null;
  #link: { link: LinkSecret; chan: CryptoKey } | null = null;
  #self = randomId(8);

  constructor(private readonly db: HearthDb) {}

  async start(origin: string, basePath = ''): Promise<void> {
    this.stop();
    this.phase = 'waiting';
    this.error = null;
    this.code = '';
    const link = newLinkSecret();
    const [token, topic, chan, addresses] = await Promise.all([encodeLinkToken(link), linkTopic(link), channelKey(link), defaultSyncAddresses()]);
    this.url = `${origin}${basePath}/link#${token}`;
    const mine = newEphemeral();
    let peer: string | null = null;
    const channel = openLinkChannel(addresses.signaling, topic, async ({ from, m }) => {
      if (from === this.#self) return;
      const msg = (await open(chan, m)) as Message | null;
      if (!msg) return;
      if (msg.t === 'hello' && typeof msg.epk === 'string' && (peer === null || peer === msg.epk) && this.phase !== 'done') {
        if (peer === null) {
          const s = await session(link, mine, msg.epk, { old: mine.publicKey, fresh: msg.epk });
          if (!s || peer !== null) return;
          peer = msg.epk;
          this.#session = s;
          this.code = s.code;
          this.phase = 'confirm';
        }
        channel.send({ from: this.#self, m: await seal(chan, { t: 'offer', epk: mine.publicKey, to: msg.epk } satisfies Message) });
      } else if (msg.t === 'done' && this.phase === 'sending') {
        this.count = typeof msg.count === 'number' ? msg.count : 0;
        this.phase = 'done';
        this.stop(false);
      }
    });
    this.#channel = channel;
    this.#link = { link, chan };
    this.#timer = setTimeout(() => {
      if (this.phase === 'waiting' || this.phase === 'confirm') {
        this.error = 'link.expired';
        this.phase = 'failed';
        this.stop(false);
      }
    }, OFFER_MS);
  }

  /** The person saw the same code on both devices: send the identity and the communities. */
  async confirm(): Promise<void> {
    const s = this.#session;
    const at = this.#link;
    if (this.phase !== 'confirm' || !s || !at || !this.#channel) return;
    this.phase = 'sending';
    const payload = await this.#payload();
    const ct = await seal(s.key, payload);
    this.#channel.send({ from: this.#self, m: await seal(at.chan, { t: 'identity', ct } satisfies Message) });
  }

  /** The codes differ: another device answered. Nothing was sent; a new link starts over. */
  reject(): void {
    this.error = 'link.codes_differ';
    this.phase = 'failed';
    this.stop(false);
  }

  stop(reset = true): void {
    this.#channel?.close();
    this.#channel = null;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#session = null;
    if (reset) this.phase = 'idle';
  }

  async #payload(): Promise<Payload> {
    const row = await this.db.identity.get('me');
    if (!row) throw new Error('no identity to link');
    const lang = (await this.db.settings.get('lang'))?.value;
    const communities = await carryCommunities(this.db);
    return {
      v: 1,
      identity: {
        publicKey: row.publicKey,
        privateKey: row.privateKeyPkcs8,
        name: row.name,
        createdAt: row.createdAt,
        lang: lang === 'en' || lang === 'zh-CN' ? lang : undefined
      },
      communities
    };
  }
}

/** The new device's side: opens the link, shows the code, stores what arrives. */
export class DeviceLinkAccept {
  phase = $state<'connecting' | 'code' | 'saving' | 'done' | 'failed'>('connecting');
  code = $state('');
  error = $state<MessageKey | null>(null);
  name = $state('');
  count = $state(0);
  #channel: LinkChannel | null = null;
  #timers: ReturnType<typeof setTimeout>[] = [];
  #self = randomId(8);

  constructor(private readonly db: HearthDb) {}

  async start(token: string): Promise<void> {
    this.stop();
    this.phase = 'connecting';
    this.error = null;
    const decoded = await decodeLinkToken(token);
    if (!decoded.ok) return this.#fail(decoded.reason);
    const link = decoded.value;
    const [topic, chan, addresses] = await Promise.all([linkTopic(link), channelKey(link), defaultSyncAddresses()]);
    const mine: Ephemeral = newEphemeral();
    let s: { key: CryptoKey; code: string } | null = null;
    const hello = async () => this.#channel?.send({ from: this.#self, m: await seal(chan, { t: 'hello', epk: mine.publicKey } satisfies Message) });
    this.#channel = openLinkChannel(addresses.signaling, topic, async ({ from, m }) => {
      if (from === this.#self) return;
      const msg = (await open(chan, m)) as Message | null;
      if (!msg) return;
      if (msg.t === 'offer' && msg.to === mine.publicKey && !s && typeof msg.epk === 'string') {
        s = await session(link, mine, msg.epk, { old: msg.epk, fresh: mine.publicKey });
        if (!s) return;
        this.code = s.code;
        this.phase = 'code';
      } else if (msg.t === 'identity' && s && this.phase === 'code') {
        this.phase = 'saving';
        const payload = await open(s.key, msg.ct);
        const failure = payload === null ? 'link.damaged' : await this.#store(payload);
        if (failure) return this.#fail(failure);
        this.#channel?.send({ from: this.#self, m: await seal(chan, { t: 'done', count: this.count } satisfies Message) });
        this.phase = 'done';
        // Let the last message leave before the socket closes.
        this.#timers.push(setTimeout(() => this.stop(), 1000));
      }
    });
    // The old device may connect after this one: say hello until it answers.
    const again = () => {
      if (this.phase !== 'connecting') return;
      void hello();
      this.#timers.push(setTimeout(again, HELLO_EVERY_MS));
    };
    again();
    this.#timers.push(
      setTimeout(() => {
        if (this.phase === 'connecting') this.#fail('link.no_answer');
      }, ANSWER_MS)
    );
  }

  stop(): void {
    this.#channel?.close();
    this.#channel = null;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers = [];
  }

  #fail(reason: MessageKey): void {
    this.error = reason;
    this.phase = 'failed';
    this.stop();
  }

  /** Checks everything that arrived (a trust boundary like a file) and stores it; a reason when refused. */
  async #store(input: unknown): Promise<MessageKey | null> {
    const parsed = v.safeParse(PayloadSchema, input);
    if (!parsed.success) return 'link.damaged';
    const p = parsed.output;
    const stored = { publicKey: p.identity.publicKey, privateKeyPkcs8: p.identity.privateKey };
    const loaded = await loadIdentity(stored);
    if (!loaded.ok) return 'link.damaged';
    const existing = await this.db.identity.get('me');
    if (existing && existing.publicKey !== stored.publicKey) return 'link.other_identity';
    await this.db.identity.put({ key: 'me', ...stored, name: p.identity.name, createdAt: p.identity.createdAt });
    if (p.identity.lang) await this.db.settings.put({ key: 'lang', value: p.identity.lang });
    const count = await restoreCommunities(this.db, p.communities);
    this.name = p.identity.name;
    this.count = count;
    return null;
  }
}

/** A link token from a pasted link or a fragment. */
export function linkTokenOf(text: string): string {
  return text.includes('#') ? text.slice(text.indexOf('#') + 1) : text;
}
