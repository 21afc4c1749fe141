// Joining from an invite link: check the link, show whom it comes from, then sync the community,
// confirm the invite still has uses and is not revoked, and sign this member's join.
import { decodeInvite, type InvitePayload } from '../crypto/invite-token';
import { checkFetchedInvite, decodeShortInvite, isShortInvite, judgeFetchedStanding } from '../crypto/short-invite';
import { defaultSyncAddresses } from '../sync/defaults';
import type { Identity } from '../crypto/identity';
import { inviteKeyOf, signJoinProof } from '../crypto/invite-key';
import type { InviteState } from '../domain/authority';
import type { MessageKey } from '../i18n/en';
import type { HearthDb } from '../store/db';
import { applyRecords } from '../store/projection';
import type { CommunityReads } from '../sync/community-reads';
import { communityReads, openCommunityDoc, splitDuringJoin, startSync } from '../sync/registry';
import { offerLobbySeed } from '../sync/peer-sync';
import { Posting } from './posting';
import { writeRecord, type WritingHost } from './writing';
import type { AppendResult } from '../sync/community-doc';

/** What the join asks of the community worker: where the newcomer and the invite stand, the posting facts, the key and the chain's tip. */
export type JoinReads = Pick<CommunityReads, 'joinStanding' | 'postingFacts' | 'sealingKey' | 'chainTip'>;

/** How long a newcomer waits for a member's device before joining on the invite alone. */
const SYNC_WAIT_MS = 6000;
/**
 * How long the join waits for the community's core to be checked before judging the invite on what
 * it holds so far. At 10,000 members the core's check took 20 s, and the join, written after it,
 * reached the creator's device only then.
 */
const CORE_WAIT_MS = 4000;
/** How long a short link waits for a device in the community's lobby to hand over the signed invite. */
const FETCH_WAIT_MS = 15_000;

/**
 * This device's wait for a short link's invite: FETCH_WAIT_MS, or a shorter one set on the device
 * (`localStorage['hearth:invite-fetch-ms']`, at least 2 s), which the end-to-end journey of a link
 * nobody can confirm uses so it does not wait out 15 s (sync/mesh.ts `meshTransitionMs` is the same kind).
 */
function fetchWaitMs(): number {
  const set = typeof localStorage === 'undefined' ? null : Number(localStorage.getItem('hearth:invite-fetch-ms'));
  return set && Number.isFinite(set) ? Math.min(FETCH_WAIT_MS, Math.max(2_000, set)) : FETCH_WAIT_MS;
}
/** How long a newcomer on a limited invite waits for the inviter's or an admin's confirmation before entering as pending. */
const ADMIT_WAIT_MS = 10_000;
/**
 * How long the newcomer waits for an admission or a key with no other device in reach (no WebRTC
 * peer, nobody in the lobby, no other member's presence through the relay): nobody can send either,
 * and a newcomer joining through the relay alone sat 10 s on the join page for them.
 */
const UNREACHABLE_GRACE_MS = 2_000;

export type JoinPhase = 'checking' | 'fetching' | 'ready' | 'joining' | 'admitting' | 'joined' | 'failed';

export class JoinFlow {
  phase = $state<JoinPhase>('checking');
  error = $state<MessageKey | null>(null);
  notice = $state<MessageKey | null>(null);
  invite = $state.raw<InvitePayload | null>(null);
  /** The lobby a short link's check fetched (unchecked), for the join's lobby to start from (`offerLobbySeed`). */
  #fetchedLobby: { cid: string; update: Uint8Array } | null = null;

  /**
   * The identity may not exist yet: a newcomer sees the invite first and chooses a name after.
   * `reads`: where the authority questions are answered (the community worker, from a page).
   */
  constructor(
    private readonly db: HearthDb,
    private readonly reads: () => JoinReads = () => communityReads(db)
  ) {}

  async check(token: string): Promise<void> {
    this.phase = 'checking';
    this.invite = null;
    this.error = null;
    this.#fetchedLobby = null;
    const decoded = isShortInvite(token) ? await this.#fetchShort(token) : await decodeInvite(token);
    if (!decoded.ok) {
      // A short link known to be revoked or used up still names its community.
      if ('value' in decoded && decoded.value) this.invite = decoded.value;
      this.error = decoded.reason;
      this.phase = 'failed';
      return;
    }
    this.invite = decoded.value;
    this.error = null;
    this.phase = 'ready';
  }

  /**
   * A short link (a QR code) carries the community, the room secret and the invite key only: the
   * signed genesis and invite come from a device in the community's lobby and are checked here,
   * exactly as a long link's would be, before anything is shown.
   */
  async #fetchShort(token: string): Promise<{ ok: true; value: InvitePayload } | { ok: false; reason: MessageKey; value?: InvitePayload }> {
    const link = await decodeShortInvite(token);
    if (!link.ok) return link;
    this.phase = 'fetching';
    const { fetchInvite } = await import('../sync/invite-fetch');
    const addresses = link.value.addresses ?? (await defaultSyncAddresses());
    const publicKey = inviteKeyOf(link.value.inviteKey);
    if (!publicKey) return { ok: false, reason: 'invite.damaged' };
    const fetched = await fetchInvite({ cid: link.value.cid, secret: link.value.secret, signaling: addresses.signaling }, publicKey, fetchWaitMs());
    if (!fetched) return { ok: false, reason: 'invite.unverifiable' };
    this.#fetchedLobby = { cid: link.value.cid, update: fetched.lobby };
    const checked = await checkFetchedInvite(link.value, fetched.genesis, fetched.invite);
    if (!checked.ok) return checked;
    const { genesis, invite } = checked.value;
    const standing = await judgeFetchedStanding(genesis, invite, fetched.authority);
    const value: InvitePayload = {
      cid: link.value.cid,
      secret: link.value.secret,
      signaling: addresses.signaling,
      relay: addresses.relay,
      genesis,
      invite,
      // Without a profile the author's key names them (the lobby normally carries profiles).
      inviterName: fetched.inviterName ?? invite.author.slice(0, 8),
      inviteKey: link.value.inviteKey,
      members: standing.members
    };
    return standing.failure ? { ok: false, reason: standing.failure, value } : { ok: true, value };
  }

  /**
   * Whether the community's page must be loaded afresh after the join: this page split it into shards
   * while joining (the lobby brought the decision), and its handles were made for the single document.
   * Loaded now rather than reloaded when the feed first opens the document, under the member's clicks.
   */
  reopens(cid: string): boolean {
    return splitDuringJoin(cid);
  }

  /** Returns the community id once joined (or already a member). */
  async join(identity: Identity, myName: string): Promise<string | null> {
    const p = this.invite;
    if (!p) return null;
    this.phase = 'joining';
    const now = Date.now();
    const existing = await this.db.communities.get(p.cid);
    // The lobby the check fetched goes to this community's first lobby (new on this device only), and
    // is checked there as a peer's update is; stored with the community, whose sync may start at once.
    const fetched = this.#fetchedLobby;
    this.#fetchedLobby = null;
    if (fetched?.cid === p.cid && !existing) offerLobbySeed(p.cid, fetched.update);
    await this.db.communities.put({
      cid: p.cid,
      name: p.genesis.body.name,
      description: p.genesis.body.description,
      emoji: p.genesis.body.emoji ?? '',
      color: p.genesis.body.color,
      creator: p.genesis.author,
      createdAt: p.genesis.body.createdAt,
      ...(p.genesis.body.shards ? { shards: p.genesis.body.shards } : {}),
      addedAt: existing?.addedAt ?? now,
      lastOpened: now,
      secret: p.secret,
      signaling: p.signaling,
      relay: p.relay
    });
    const doc = await openCommunityDoc(this.db, p.cid);
    // The genesis and the invite are signed by their authors: projecting them lets this device judge
    // its own join before any member is reachable. They are not written into the shared document:
    // the members' copies arrive by sync (writing our own would make two competing map entries).
    await applyRecords(this.db, p.cid, [p.genesis, p.invite]);
    // Judged where the authority is (the community worker), on what this device holds so far.
    const reads = this.reads();
    const standing = () => reads.joinStanding(p.cid, identity.publicKey, p.invite.id);
    // Through the one write path (posting policy, seal, append): a newcomer is no member yet, and the
    // policy refuses only a removed member's join; a join or a profile is never sealed under a key.
    const writing: WritingHost = {
      cid: p.cid,
      db: this.db,
      identity,
      reads,
      posting: new Posting({ cid: p.cid, me: identity.publicKey, reads, watchedWords: () => undefined, memberStats: async () => null }),
      isStaff: () => false,
      document: async () => doc
    };
    const proof = signJoinProof(p.inviteKey, { cid: p.cid, invite: p.invite.id, member: identity.publicKey });
    const writeJoin = () => writeRecord(writing, 'join', { invite: p.invite.id, key: p.invite.body.key, proof }, now);
    // The join is signed at once when what this device holds (the link's own genesis and invite, on a
    // device new to the community) allows it, before the sync and the core: it goes out in this device's first lobby message, and
    // the creator's device admits it and shares the key while the core comes in. Judged after the core
    // it waited 3.5 s at 10,000 members. The core may still show the invite revoked or used up by
    // others: the join is then refused by every device and this one says so below. A member joining
    // again from a new device is no newcomer: authority ignores a join by a member.
    let early: AppendResult | null = null;
    {
      const first = await standing();
      if (first && !first.member && !first.pending && !inviteFailure(first.invite, now)) early = await writeJoin();
      if (early && !early.ok) return this.#failed(early.reason as MessageKey);
    }
    const earlyJoin = early?.ok ? early.record.id : null;
    const sync = await startSync(this.db, p.cid, { key: identity.publicKey, name: myName });
    const synced = sync
      ? await waitForSync(
          SYNC_WAIT_MS,
          () => sync.status.peers > 0 || sync.status.relayConnected,
          () => (sync.status.lastSyncAt ?? 0) >= now,
          () => sync.firstExchange()
        )
      : false;
    if (!synced) this.notice = 'join.no_peers';
    // The invite is judged on the community's core: all of it when it is in within CORE_WAIT_MS,
    // otherwise on what is in so far (the link's own genesis and invite at least), and again once
    // the core is through (below).
    const settled = doc.settled();
    const coreIn = await Promise.race([settled.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), CORE_WAIT_MS))]);

    const before = await standing();
    // A member already, by another join than the one just signed.
    if (before?.member && before.join !== earlyJoin) {
      this.phase = 'joined';
      this.notice = 'join.already';
      return p.cid;
    }
    // A join waiting for an admission on an invite revoked or used up meanwhile is never admitted.
    const failure = before?.member ? null : inviteFailure(before?.invite ?? null, now);
    if (failure) return this.#failed(failure);
    const result = early ?? (await writeJoin());
    const second = result.ok ? await writeRecord(writing, 'profile', { name: myName }, now + 1) : result;
    if (!second.ok) return this.#failed(second.reason as MessageKey);
    if (!coreIn) {
      // Judged before the whole core was in: the rest may show the invite revoked or used up by
      // others, and then the join is refused (the creator's and admins' devices judge it the same).
      await settled;
      const after = await standing();
      const late = after && (after.member || after.pending) ? null : inviteFailure(after?.invite ?? null, now);
      if (late) return this.#failed(late);
    }
    // Another device that could answer: a WebRTC peer, one in the lobby, or another member present through the relay.
    const reachable = () =>
      !!sync && (sync.status.peers > 0 || (sync.status.lobbyPeers ?? 0) > 0 || sync.status.online.some((peer) => peer.key !== identity.publicKey));
    // A limited invite is confirmed by the inviter's or an admin's device: wait a little for it, and
    // otherwise enter as a newcomer whose join is pending (the community page says so).
    if ((await standing())?.pending) {
      this.phase = 'admitting';
      const admitted = await waitWhileReachable(async () => !!(await standing())?.member, reachable);
      if (!admitted) this.notice = 'join.pending';
    }
    // Content is sealed once the community has epochs: wait a little for the creator's or an
    // admin's device to share the current key, so the first reply does not wait for it.
    const holdsCurrentKey = () => holdsKey(reads, p.cid);
    if (!(await holdsCurrentKey())) {
      this.phase = 'admitting';
      await waitWhileReachable(holdsCurrentKey, reachable);
    }
    this.phase = 'joined';
    return p.cid;
  }

  #failed(reason: MessageKey): null {
    this.error = reason;
    this.phase = 'failed';
    return null;
  }
}

/** Why this invite cannot be used now, as the authority this device holds knows it (null: unknown there); null when it can. */
function inviteFailure(state: InviteState | null, now: number): MessageKey | null {
  return !state
    ? 'invite.not_authorised'
    : state.revokedAt !== null && state.revokedAt <= now
      ? 'invite.revoked'
      : state.record.body.maxUses !== null && state.uses >= state.record.body.maxUses
        ? 'invite.used_up'
        : state.record.body.expiresAt !== null && state.record.body.expiresAt < now
          ? 'invite.expired'
          : null;
}

/**
 * True when the community has no epochs yet, or this device holds the newest key of the `all` scope:
 * a thread for everyone is sealed under it, and the worker waits for it while this device does not.
 */
async function holdsKey(reads: Pick<CommunityReads, 'sealingKey'>, cid: string): Promise<boolean> {
  return !(await reads.sealingKey(cid, 'thread', { title: '', body: '' })).waiting;
}

/**
 * Resolves true once `done`, false after `ADMIT_WAIT_MS`, or after `UNREACHABLE_GRACE_MS` while no
 * other device is in reach (`reachable`): what is awaited can only come from one.
 */
export async function waitWhileReachable(done: () => Promise<boolean>, reachable: () => boolean): Promise<boolean> {
  const start = Date.now();
  while (Date.now() - start < ADMIT_WAIT_MS) {
    if (await done()) return true;
    if (Date.now() - start >= UNREACHABLE_GRACE_MS && !reachable()) return false;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

/**
 * Resolves true once a WebRTC peer's whole reply to this device's sync step 1 came (`exchange`), or,
 * with no WebRTC connection (a relay alone), once a peer is connected and something arrived from one
 * (`received`, in the community's document or the lobby's) and a moment more passed; false on timeout.
 * The moment (500 ms) was the WebRTC rule too: a newcomer's join waited it out after the lobby's core
 * had come (~0.45 s of a join of the real community), and a core in parts (10,000 members) could take longer.
 */
export function waitForSync(ms: number, hasPeers: () => boolean, received: () => boolean, exchange: () => 'none' | 'waiting' | 'synced'): Promise<boolean> {
  return new Promise((resolve) => {
    let done = false;
    let grace: ReturnType<typeof setTimeout> | undefined;
    const finish = (v: boolean) => {
      if (done) return;
      done = true;
      clearInterval(poll);
      clearTimeout(timer);
      clearTimeout(grace);
      resolve(v);
    };
    const poll = setInterval(() => {
      const state = exchange();
      if (state === 'synced') finish(true);
      // Once, not a new moment at every poll.
      else if (state === 'none' && hasPeers() && received()) grace ??= setTimeout(() => finish(true), 500);
    }, 50);
    const timer = setTimeout(() => finish(hasPeers()), ms);
  });
}
