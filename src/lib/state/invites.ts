// A community's invites as its staff makes and shares them: each invite has its own key pair (the
// public half in the record, the private half on this device and in the links it shows), links carry
// the room secret and addresses in their fragment only, and revoking admits the joins the invite let
// in first. A manager of CommunityState's, over the few things it needs of it.
import { randomId } from '../crypto/encoding';
import type { Identity } from '../crypto/identity';
import { generateInviteKey } from '../crypto/invite-key';
import { encodeInvite, inviteUrl } from '../crypto/invite-token';
import { encodeShortInvite } from '../crypto/short-invite';
import { closeInvite } from '../automation/admissions';
import type { BodyOf, SignedRecord } from '../domain/record';
import type { HearthDb } from '../store/db';
import { recordById } from '../store/record-store';
import type { AppendResult } from '../sync/community-doc';
import type { DocHandle as CommunityDoc } from '../sync/doc-handle';
import { defaultSyncAddresses } from '../sync/defaults';

/** What the invites manager needs of its community. */
export interface InviteHost {
  readonly db: HearthDb;
  readonly cid: string;
  readonly identity: Identity;
  /** Seals and appends through the one write path (posting policy included). */
  write(kind: 'invite', body: BodyOf<'invite'>): Promise<AppendResult>;
  /** The inviter's name as members see it, for the link's preview. */
  inviterName(): Promise<string>;
  /** Members now, for the link's preview (at least 1). */
  currentMembers(): Promise<number>;
  document(): Promise<CommunityDoc>;
  /** Where the links point (the app's origin). */
  readonly origin: string;
}

export type InviteDraft = { role: 'member' | 'moderator' | 'admin'; tier?: string; expiresAt: number | null; maxUses: number | null; label: string };

const seedKey = (inviteId: string) => `invite-seed:${inviteId}`;

export class Invites {
  constructor(private readonly host: InviteHost) {}

  /** A new invite with its own key pair; the private half is kept in this device's settings. */
  async create(draft: InviteDraft): Promise<AppendResult> {
    const key = generateInviteKey();
    const result = await this.host.write('invite', { ...draft, tier: draft.tier || undefined, nonce: randomId(8), key: key.publicKey });
    if (result.ok) await this.host.db.settings.put({ key: seedKey(result.record.id), value: key.seed });
    return result;
  }

  /** Whether this device can show a link for the invite (it holds the invite's private key). */
  async hasKey(inviteId: string): Promise<boolean> {
    return typeof (await this.host.db.settings.get(seedKey(inviteId)))?.value === 'string';
  }

  /**
   * The shareable links for an invite. `url` carries the signed invite and genesis (checked
   * offline); `short` (for the QR code) carries only the community, the room secret and the invite
   * key, the rest fetched from a member's device online (crypto/short-invite); null when the values
   * cannot be packed.
   */
  async links(invite: SignedRecord<'invite'>): Promise<{ url: string; short: string | null }> {
    const { db, cid, origin } = this.host;
    const url = await this.link(invite);
    const [row, seed, defaults] = await Promise.all([db.communities.get(cid), db.settings.get(seedKey(invite.id)), defaultSyncAddresses()]);
    if (!row?.secret || typeof seed?.value !== 'string') return { url, short: null };
    const signaling = row.signaling ?? [];
    const relay = row.relay ?? null;
    const same = signaling.join(' ') === defaults.signaling.join(' ') && relay === defaults.relay;
    const token = await encodeShortInvite({ cid, secret: row.secret, inviteKey: seed.value, addresses: same ? null : { signaling, relay } });
    return { url, short: token ? inviteUrl(origin, '', token) : null };
  }

  /** The full link for an invite: room secret, addresses and the invite key go in the fragment only. */
  async link(invite: SignedRecord<'invite'>): Promise<string> {
    const { db, cid } = this.host;
    const [row, genesis, seed] = await Promise.all([db.communities.get(cid), recordById(db, cid), db.settings.get(seedKey(invite.id))]);
    if (!row?.secret || genesis?.kind !== 'genesis') throw new Error('community has no room secret on this device');
    if (typeof seed?.value !== 'string') throw new Error('invite key is on the device that made the invite');
    const { target: _t, ...g } = genesis;
    const token = await encodeInvite({
      cid,
      secret: row.secret,
      signaling: row.signaling ?? [],
      relay: row.relay ?? null,
      invite,
      genesis: g as SignedRecord<'genesis'>,
      inviterName: await this.host.inviterName(),
      inviteKey: seed.value,
      members: Math.max(1, await this.host.currentMembers())
    });
    return inviteUrl(this.host.origin, '', token);
  }

  /** Revokes an invite: the joins it let in are admitted first, so only they survive the revocation. */
  async revoke(id: string) {
    return closeInvite(this.host.db, await this.host.document(), this.host.identity, id);
  }
}
