// One open community: its document, its projected rows and the actions a member takes in it.
import Dexie from 'dexie';
import { randomId } from '../crypto/encoding';
import { sealRecord } from '../crypto/record-seal';
import { sealNext } from '../store/record-chain';
import type { Series } from '../domain/series';
import type { AuditEntry } from '../domain/audit';
import { pseudonym } from '../crypto/pseudonym';
import type { ScopeKeyRow } from '../domain/epochs';

/** Record kinds the audit log reads. */
const AUDIT_KINDS = [
  'grant',
  'ban',
  'hide',
  'invite',
  'tombstone',
  'admit',
  'key',
  'key-share',
  'payment',
  'tier',
  'settings',
  'trust-lock',
  'slowmode',
  'pin',
  'feature'
] as const;
import type { Identity } from '../crypto/identity';
import type { MemberSearch } from '../domain/mentions';
import { readableBy, type MemberRow, type PostRow, type Reader, type ThreadRow } from '../domain/posts';
import { readFeed } from '../store/queries/feed';
import { featuredThreads } from '../store/queries/featured';
import { memberPosts } from '../store/queries/member-posts';
import type { BodyOf, Kind, SignedRecord } from '../domain/record';
import type { CommunityRow, HearthDb } from '../store/db';
import type { AppendResult, DocHealth } from '../sync/community-doc';
import type { DocHandle as CommunityDoc, MissingMonths, ShardList, ThreadFetch } from '../sync/doc-handle';
export type { MissingMonths, ShardList, ThreadFetch };
import { savedThreads, setSaved, type SavedThread } from '../store/kept-months';
export type { SavedThread };
import { communityReads, isSyncPaused, onMigration, openCommunityDoc, restartSync, startSync } from '../sync/registry';
import type { MigrationProgress } from '../sync/shards/legacy-migration';
import type { CommunityReads } from '../sync/community-reads';
import type { ReviewItem } from '../store/queries/review';
import type { Standing } from '../store/queries/standing';
import { defaultSyncAddresses } from '../sync/defaults';
import type { SyncStatus } from '../sync/peer-sync';
import { onlineMembers } from '../crypto/presence';
import { coverageCountedKey, type Coverage } from '../automation/checkpoint';

/** Local settings key of when this device last had contact with the community's peers or relay. */
const contactKey = (cid: string) => `sync-contact:${cid}`;
import { AUTHORITY_KINDS, type InviteState, type Role } from '../domain/authority';
import { Live, type LiveOptions } from './live.svelte';
import { afterFirstContent } from './first-content';
import type { CommunityFactsView } from '../automation/community-facts';
import { MemberNames } from './member-names.svelte';
import { Invites } from './invites';
import { Posting } from './posting';
import { writeRecord, type WritingHost } from './writing';
import { Attachments } from './attachments';
import { memberStatsClient } from '../analysis/analysis-client';
import type { MemberStats } from '../domain/membership';
import { levelOf, pointRules, pointsOf, type PointsStanding } from '../domain/points';
import { DEFAULT_SETTINGS, withDiversity, type MemberTier, type Settings } from '../domain/membership';
import { hasRecords, recordsChangedOf, recordsOfKind } from '../store/record-store';
import { newCommunitiesSharded } from '../sync/shard-mode';

export const FEED_PAGE = 50;

/**
 * Reads one key of the community's records, so a live query that asks the community worker runs
 * again whenever any of them is stored: Dexie watches the whole range asked about, the worker's
 * writes reach this page too, and IndexedDB reads one key (counting 100,000 of them took the
 * database's time from the feed's first query at a cold start).
 */
/** The kinds a member's standing (store/queries/standing) is read from. */
const STANDING_KINDS: readonly Kind[] = [...(AUTHORITY_KINDS as ReadonlySet<Kind>), 'tombstone', 'trust-lock', 'settings', 'tier', 'payment', 'notice'];

/** Local settings key of the months of a community this device keeps. */
const keepKey = (cid: string) => `keep-months:${cid}`;

function recordsChanged(db: HearthDb, cid: string): Promise<unknown> {
  return hasRecords(db, cid);
}

export async function createCommunity(
  db: HearthDb,
  identity: Identity,
  memberName: string,
  fields: { name: string; description: string; emoji: string; color: string }
): Promise<{ ok: true; cid: string } | { ok: false; reason: string }> {
  const now = Date.now();
  const genesis = await sealRecord(identity, {
    kind: 'genesis',
    cid: '',
    ts: now,
    body: {
      name: fields.name,
      description: fields.description,
      emoji: fields.emoji || undefined,
      color: fields.color,
      createdAt: now,
      nonce: randomId(),
      ...(newCommunitiesSharded() ? { shards: 'month' as const } : {})
    }
  });
  const cid = genesis.id;
  const addresses = await defaultSyncAddresses();
  await db.communities.put({
    cid,
    name: fields.name,
    description: fields.description,
    emoji: fields.emoji,
    color: fields.color,
    creator: identity.publicKey,
    createdAt: now,
    ...(genesis.body.shards ? { shards: genesis.body.shards } : {}),
    addedAt: now,
    lastOpened: now,
    secret: randomId(32),
    signaling: addresses.signaling,
    relay: addresses.relay
  });
  const doc = await openCommunityDoc(db, cid);
  const first = await doc.append(genesis);
  if (!first.ok) return first;
  // The creator's first record in a community just made: no tip to ask anyone for (the genesis starts no chain).
  const profile = await sealNext(db, identity, { kind: 'profile', cid, ts: now, body: { name: memberName } }, { tip: async () => undefined });
  const second = await doc.append(profile);
  if (!second.ok) return second;
  // The first epoch of the `all` scope from the start: nothing is ever posted in clear.
  await doc.maintainKeys(identity, now);
  return { ok: true, cid };
}

export class CommunityState {
  doc = $state.raw<CommunityDoc | null>(null);
  #disconnect: () => void = () => {};
  #stopAutomation: () => void = () => {};
  #stopMigration: () => void = () => {};
  /** This community's single document splitting into shards now (shards/legacy-migration), or null. */
  migration = $state.raw<MigrationProgress | null>(null);
  #destroyed = false;
  sync = $state.raw<SyncStatus>({ connected: false, peers: 0, relayConnected: false, online: [], unverified: 0, lastSyncAt: null, paused: isSyncPaused() });
  health = $state.raw<DocHealth>({ records: 0, rejected: 0, repaired: 0, unreadableUpdates: 0 });
  openError = $state<string | null>(null);
  /** When this device last had another device or the relay for this community (kept in local settings). */
  lastContactAt = $state<number | null>(null);
  #contactSavedAt = 0;
  readonly info: Live<CommunityRow | undefined>;
  readonly threadCount: Live<number>;
  /** The clock the views use: ticks every 30 s so scheduled posts and expiries appear on time. */
  now = $state(Date.now());
  /**
   * Where this page asks what takes the community's authority or keys (community-reads.ts): the
   * community worker. A page never replays 10,000 members' records; it reads their answers.
   */
  readonly reads: CommunityReads;
  /** My standing (role, ban, pending join, levels, tier, settings, tiers, notices), from the worker. */
  readonly standing: Live<Standing | null>;
  /** Records held here, held back by the quota, and at least how many others hold (staff checkpoints). */
  readonly coverage: Live<Coverage | null>;
  /** Members' names and rows, read by key as the page shows them (not all 10,000 at once). */
  readonly people: MemberNames;
  /** Making, sharing and revoking invites (state/invites). */
  readonly inviting: Invites;
  /** The posting policy before a write, and how long until this member may post (state/posting). */
  readonly posting: Posting;
  /** The one write path (state/writing), over this community. */
  readonly #writing: WritingHost;
  /** Files prepared for a post under the size limit and upload allowance, and posts whose files peers refuse (state/attachments). */
  readonly attachments: Attachments;

  /** The audit log: authority actions from the signed records, newest first. */
  audit(): Live<AuditEntry[]> {
    return this.#askedOnRecords((cid) => () => this.reads.audit(cid, AUDIT_KINDS), [], { later: true });
  }

  /** Every member's row (10,000 in a large community): for the pages that list them, made by each such page. */
  memberList(): Live<MemberRow[]> {
    return new Live<MemberRow[]>(() => {
      const cid = this.cid;
      // On the primary key: a live query over an index would also note each of 10,000 keys it returns.
      return () => this.db.members.where('[cid+key]').between([cid, Dexie.minKey], [cid, Dexie.maxKey]).toArray();
    }, []);
  }

  /** Settings, tiers, every member's tier, payments and automation's log: for staff pages, made by each such page. */
  facts(): Live<CommunityFactsView | null> {
    return this.#askedOnRecords(
      (cid) => {
        const now = this.now;
        return () => this.reads.facts(cid, now);
      },
      null,
      { later: true }
    );
  }

  /**
   * Series (专栏) with the threads of their parts that exist for this member (due, not deleted or
   * hidden, readable), and the threads this member has opened (kept on this device only).
   */
  seriesList(): Live<{ series: Series[]; threads: Map<string, ThreadRow>; read: Set<string> }> {
    return new Live(
      () => {
        const cid = this.cid;
        return async () => {
          // Asked again when a series or a role changes (the parts' rows are read below, and watched so).
          const [, read] = await Promise.all([recordsChangedOf(this.db, cid, { kinds: ['series', 'grant', 'ban'] }), this.db.settings.get(`read:${cid}`)]);
          const series = await this.reads.series(cid);
          const ids = [...new Set(series.flatMap((s) => s.parts))];
          const rows = (await this.db.threads.bulkGet(ids)).filter((r): r is ThreadRow => !!r && r.rank >= 0 && !r.locked && r.createdAt <= Date.now());
          return { series, threads: new Map(rows.map((r) => [r.id, r])), read: new Set(Array.isArray(read?.value) ? (read.value as string[]) : []) };
        };
      },
      { series: [], threads: new Map(), read: new Set() },
      { later: true }
    );
  }

  /** Creates a series, or revises one (`of`). Creator and admins. */
  saveSeries(body: { of?: string; title: string; description: string; tier?: string; level?: number; cover?: string; parts: string[] }) {
    return this.write('series', {
      ...body,
      tier: body.tier || undefined,
      level: body.level && body.level >= 2 ? body.level : undefined,
      cover: body.cover || undefined,
      of: body.of || undefined
    });
  }

  /** Remembers on this device that this member opened a thread (series progress, "continue reading"). */
  async markRead(thread: string): Promise<void> {
    const key = `read:${this.cid}`;
    await this.db.transaction('rw', this.db.settings, async () => {
      const row = await this.db.settings.get(key);
      const read = Array.isArray(row?.value) ? (row.value as string[]) : [];
      if (!read.includes(thread)) await this.db.settings.put({ key, value: [...read, thread].slice(-5000) });
    });
  }

  /** How exports name members: their ids, or pseudonyms stable on this device (a local salt per community). */
  async exportIds(pseudonymise: boolean): Promise<(key: string) => string> {
    if (!pseudonymise) return (key) => key;
    const saltKey = `pseudonym-salt:${this.cid}`;
    let salt = (await this.db.settings.get(saltKey))?.value;
    if (typeof salt !== 'string') await this.db.settings.put({ key: saltKey, value: (salt = randomId(16)) });
    const keys = new Set(
      await this.db.members
        .where('[cid+key]')
        .between([this.cid, Dexie.minKey], [this.cid, Dexie.maxKey])
        .primaryKeys()
        .then((k) => k.map(([, key]) => key))
    );
    const names = new Map(await Promise.all([...keys].map(async (k) => [k, await pseudonym(salt as string, k)] as const)));
    return (key) => names.get(key) ?? key; // not a member: a post's id, nothing personal
  }

  /** Each scope's current key: since when, how many of the entitled hold it, who waits (staff view). */
  keyStatus(): Live<ScopeKeyRow[]> {
    return new Live<ScopeKeyRow[]>(
      () => {
        const now = this.now;
        return async () => {
          await recordsChangedOf(this.db, this.cid, { kinds: ['key', 'key-share'] }); // re-run when keys change
          return this.reads.keyStatus(this.cid, now);
        };
      },
      [],
      { later: true }
    );
  }
  /**
   * Who is online: peers whose signed presence verified (PeerSync) and who are current members
   * (here), named from their profiles — never from what a peer sent. The rest are only counted.
   */
  readonly online = $derived.by(() => {
    const { keys, unverified } = onlineMembers(this.sync.online, this.sync.unverified, (key) => {
      const row = this.people.row(key);
      return !!row && !row.banned;
    });
    return { members: keys.map((key) => ({ key, name: this.nameOf(key) })), unverified };
  });
  // The feed's filter inputs as values, so its query restarts when they change, not each time the
  // member list (10,000 rows in a large community) or the facts are read again.
  readonly #feedTier = $derived(this.myTier?.tier ?? null);
  readonly #feedStaff = $derived(this.canModerate);

  constructor(
    readonly db: HearthDb,
    readonly cid: string,
    readonly identity: Identity,
    readonly myName: string = ''
  ) {
    this.reads = communityReads(db);
    this.people = new MemberNames(db, cid);
    this.inviting = new Invites({
      db,
      cid,
      identity,
      write: (kind, body) => this.write(kind, body),
      inviterName: async () => (await this.people.namesOf([identity.publicKey]))(identity.publicKey),
      currentMembers: async () => (await this.reads.standing(cid, identity.publicKey, Date.now()))?.currentMembers ?? 1,
      document: async () => this.doc ?? (await openCommunityDoc(db, cid)),
      origin: typeof location === 'undefined' ? '' : location.origin
    });
    this.posting = new Posting({
      cid,
      me: identity.publicKey,
      reads: this.reads,
      watchedWords: () => this.standing.value?.settings.watchedWords,
      memberStats: this.memberStats
    });
    this.#writing = {
      cid,
      db,
      identity,
      reads: this.reads,
      posting: this.posting,
      isStaff: () => this.isStaff,
      document: async () => this.doc ?? (await openCommunityDoc(db, cid))
    };
    this.attachments = new Attachments({
      db,
      cid,
      me: identity.publicKey,
      reads: this.reads,
      settings: () => this.standing.value?.settings,
      isStaff: () => this.isStaff
    });
    this.info = new Live<CommunityRow | undefined>(() => () => db.communities.get(cid), undefined);
    this.threadCount = new Live(() => () => db.threads.where('[cid+rank]').between([cid, 0], [cid, Infinity]).count(), 0);
    // Asked again when what a standing is made of is stored (authority, settings, tiers, payments,
    // notices), not for each post: on every page, during a newcomer's history too.
    this.standing = new Live<Standing | null>(
      () => {
        const now = this.now;
        return async () => {
          await recordsChangedOf(db, cid, { kinds: STANDING_KINDS });
          return this.reads.standing(cid, identity.publicKey, now);
        };
      },
      null,
      { later: true }
    );
    this.coverage = new Live<Coverage | null>(
      () => async () => {
        // Also when a count the worker had put off is done (automation/checkpoint `countedCoverage`).
        await Promise.all([recordsChanged(db, cid), db.settings.get(coverageCountedKey(cid))]);
        return this.reads.coverage(cid);
      },
      null,
      { later: true }
    );
    $effect(() => {
      const timer = setInterval(() => (this.now = Date.now()), 30_000);
      return () => clearInterval(timer);
    });
    void db.settings.get(contactKey(cid)).then((row) => {
      if (typeof row?.value === 'number' && row.value > (this.lastContactAt ?? 0)) this.lastContactAt = row.value;
    });
    this.#opening = this.#openDoc();
  }

  /** Notes contact with peers or the relay; stored at most once a minute (and when it ends). */
  #noteContact(s: SyncStatus): void {
    const inTouch = !s.paused && (s.peers > 0 || s.relayConnected);
    const wasInTouch = !this.sync.paused && (this.sync.peers > 0 || this.sync.relayConnected);
    const at = inTouch || wasInTouch ? Date.now() : s.lastSyncAt;
    if (at === null || at <= (this.lastContactAt ?? 0)) return;
    this.lastContactAt = at;
    if (at - this.#contactSavedAt >= 60_000 || !inTouch) {
      this.#contactSavedAt = at;
      void this.db.settings.put({ key: contactKey(this.cid), value: at });
    }
  }

  /** Settles once the document is open (or failed to). */
  #opening: Promise<void> = Promise.resolve();

  /** The rows come from the projections; the document (seconds to load for a large community) opens once the page has shown them. */
  async #openDoc(): Promise<void> {
    await afterFirstContent();
    if (this.#destroyed) return;
    let doc: CommunityDoc;
    try {
      doc = await openCommunityDoc(this.db, this.cid);
    } catch (error) {
      this.openError = String(error);
      return;
    }
    if (this.#destroyed) return;
    this.doc = doc;
    this.health = doc.health;
    doc.onHealth = (h) => (this.health = h);
    this.db.communities.update(this.cid, { lastOpened: Date.now() });
    this.connect();
    this.#stopAutomation = doc.automate(this.identity, this.memberStats);
    // Split into shards on this device (the creator's move, or another device's decision arriving):
    // shown on the way; at its end the page opens again (sync/registry).
    this.#stopMigration = onMigration(doc, (progress) => (this.migration = progress));
    void this.#applyKeep().catch((error) => console.error('months not evicted', error));
  }

  /**
   * Moves a community made as one document into monthly shards (docs/shards.md): the creator's or an
   * admin's `shards` record, which every device of the community follows. Refused to anyone else (a
   * member's would be stored and ignored by every device).
   */
  async moveIntoShards(): Promise<AppendResult> {
    if (!this.isStaff) return { ok: false, reason: 'manage.shards_staff_only' };
    if (this.heldInShards) return { ok: false, reason: 'manage.shards_already' };
    return this.write('shards', { mode: 'month' });
  }

  /** A community held in shards (docs/shards.md): whether this device can keep fewer months of it. */
  get heldInShards(): boolean {
    return this.info.value?.shards === 'month';
  }

  /** How many months of this community the member keeps on this device (null: everything). */
  async keepSetting(): Promise<number | null> {
    const row = await this.db.settings.get(keepKey(this.cid));
    return typeof row?.value === 'number' ? row.value : null;
  }

  /**
   * Keeps the last `months` months on this device (null: everything), and the months holding what the
   * member wrote; the rest leave it and come back from peers when fetched. Staff devices keep everything:
   * they publish levels and wrap keys from every record. Returns the months evicted now.
   */
  async setKeep(months: number | null): Promise<string[]> {
    await this.db.settings.put({ key: keepKey(this.cid), value: months });
    // Chosen as the page opens, before the document is: its opening applies the setting, then this
    // (with nothing left to do); what either evicted since the setting was stored is this choice's.
    const since = this.#evictedNow.length;
    await this.#opening;
    await this.#applyKeep();
    return this.#evictedNow.slice(since);
  }

  /** Months evicted by the applications of the setting so far on this page (they run one at a time). */
  #evictedNow: string[] = [];
  #keeping: Promise<unknown> = Promise.resolve();

  #applyKeep(): Promise<string[]> {
    const run = this.#keeping
      .catch(() => {})
      .then(async () => {
        const evicted = await this.#applyKeepNow();
        this.#evictedNow.push(...evicted);
        return evicted;
      });
    this.#keeping = run;
    return run;
  }

  async #applyKeepNow(): Promise<string[]> {
    const doc = this.doc;
    const months = await this.keepSetting();
    if (!doc?.keepMonths || months === null || this.#destroyed) return [];
    const me = this.identity.publicKey;
    // The role from the worker, not the page's standing, which may not be read yet.
    const standing = this.isCreator ? null : await this.reads.standing(this.cid, me, Date.now());
    if (this.isCreator || standing?.role === 'admin') return [];
    return doc.keepMonths(months, me);
  }

  /** The months this device holds and those it evicted (a community held in shards; null otherwise). */
  async shardList(): Promise<ShardList | null> {
    return this.doc?.shardList ? this.doc.shardList() : null;
  }

  /** Brings an evicted month back from the peers now. */
  async fetchShard(shard: string): Promise<boolean> {
    return this.doc?.fetchShard ? this.doc.fetchShard(shard) : false;
  }

  /** Months with posts this device does not hold (evicted, or on peers only), newest first; null for a community held as one document. */
  async missingMonths(): Promise<MissingMonths | null> {
    return this.doc?.missingMonths ? this.doc.missingMonths() : null;
  }

  /** A linked thread this device may not hold: found through the peers and fetched with its replies' months (null: one document). */
  async fetchThread(id: string): Promise<ThreadFetch | null> {
    return this.doc?.fetchThread ? this.doc.fetchThread(id) : null;
  }

  /** Threads this member saved on this device (a bookmark, never synced), the latest first; their months stay when the device keeps fewer. */
  saved(): Live<(SavedThread & { row?: ThreadRow })[]> {
    return new Live<(SavedThread & { row?: ThreadRow })[]>(() => {
      const cid = this.cid;
      return async () => {
        const list = await savedThreads(this.db, cid);
        const rows = await this.db.threads.bulkGet(list.map((s) => s.id));
        return list.map((s, i) => ({ ...s, row: rows[i] && !rows[i]!.deleted ? rows[i] : undefined }));
      };
    }, []);
  }

  setSaved(thread: { id: string; createdAt: number }, on: boolean): Promise<void> {
    return setSaved(this.db, this.cid, thread, on);
  }

  private async connect(): Promise<void> {
    const sync = await startSync(this.db, this.cid, { key: this.identity.publicKey, identity: this.identity });
    if (!sync) return;
    const listener = (s: SyncStatus) => {
      this.#noteContact(s);
      this.sync = { ...s };
    };
    sync.listeners.add(listener);
    listener(sync.status);
    this.#disconnect = () => sync.listeners.delete(listener);
  }

  /** Stops following this community's status (the sync itself keeps running for the page). */
  destroy(): void {
    this.#destroyed = true;
    this.#disconnect();
    this.#stopAutomation();
    this.#stopMigration();
    if (this.doc) this.doc.onHealth = () => {};
  }

  /** Changes where this community looks for peers (signaling servers, relay) on this device. */
  /**
   * Saves the addresses and restarts the sync with them in the background: the restart waits for
   * y-webrtc to let go of the rooms and plans them again, which under load took over 10 s, and the
   * member need not wait for it to know the addresses are saved.
   */
  async setAddresses(signaling: string[], relay: string | null): Promise<void> {
    await this.db.communities.update(this.cid, { signaling, relay });
    this.#disconnect();
    void restartSync(this.db, this.cid, { key: this.identity.publicKey, identity: this.identity })
      .then(() => (this.#destroyed ? undefined : this.connect()))
      .catch((error) => console.error('sync: restarting with new addresses failed', error));
  }

  /** A member's display name (their key's first characters until their row is read, or if they have none). */
  nameOf(key: string): string {
    return this.people.nameOf(key);
  }

  /** Members in the community, removed ones included (as the member rows count them). */
  get memberCount(): number {
    return this.standing.value?.members ?? 0;
  }

  get isCreator(): boolean {
    return this.info.value?.creator === this.identity.publicKey;
  }

  get myRole(): Role | null {
    if (this.isCreator) return 'creator';
    return this.standing.value?.role ?? null;
  }

  get canModerate(): boolean {
    return this.myRole === 'creator' || this.myRole === 'admin' || this.myRole === 'moderator';
  }

  /** Staff: creator and admins (automation, tiers, settings). */
  get isStaff(): boolean {
    return this.myRole === 'creator' || this.myRole === 'admin';
  }

  /** Staff, and members at trust level 2 (who may invite members). */
  get canInvite(): boolean {
    return this.isStaff || (this.myRole === 'member' && (this.standing.value?.trust ?? 0) >= 2);
  }

  /** Moderators, and members at trust level 3 (who may hide spam). */
  get canHide(): boolean {
    return this.canModerate || (this.myRole === 'member' && (this.standing.value?.trust ?? 0) >= 3);
  }

  /** Invites of this community with their uses and revocation, newest first. */
  invites(): Live<InviteState[]> {
    return this.#askedOnRecords((cid) => () => this.reads.invites(cid), [], { later: true });
  }

  /** A demotion names the member's records this device has seen: their later authority records (whatever their date) do not count. */
  async grant(member: string, role: 'member' | 'moderator' | 'admin') {
    return this.write('grant', { member, role, heads: await this.reads.headsOf(this.cid, member) });
  }

  /** A ban names the member's records this device has seen: nothing else of theirs is shown, whatever its date. */
  async ban(member: string, banned: boolean) {
    return this.write('ban', banned ? { member, banned, heads: await this.reads.headsOf(this.cid, member) } : { member, banned });
  }

  /** My join, while it waits for an admit (limited invite): the inviter's or an admin's device confirms it. */
  get pending(): { invite: string; inviter: string } | null {
    return this.standing.value?.pending ?? null;
  }

  hide(target: string, hidden: boolean) {
    return this.write('hide', { target, hidden });
  }

  /** My tier now (null: free), from the community's tiers and payments. */
  get myTier(): MemberTier | null {
    return this.standing.value?.tier ?? null;
  }

  /** The community's settings (the defaults until the standing is read). */
  get settings(): Settings {
    return this.standing.value?.settings ?? DEFAULT_SETTINGS;
  }

  /**
   * Sets how much "For you" spreads across authors: a new settings record (the latest by the
   * creator or an admin wins) with every other setting as it stands. Refused before the standing
   * is read, so the defaults never overwrite the creator's other settings.
   */
  async setDiversity(value: unknown): Promise<AppendResult> {
    const standing = this.standing.value;
    if (!standing) return { ok: false, reason: 'manage.diversity_not_ready' };
    const change = withDiversity(standing.settings, standing.role, value);
    if (!change.ok) return { ok: false, reason: change.reason };
    return this.write('settings', change.value);
  }

  /** Names of the tiers the creator or an admin defined. */
  get tierNames(): string[] {
    return (this.standing.value?.tiers ?? []).map((t) => t.name);
  }

  /** Whether a thread limited to tiers is open to me: my tier, staff, or my own thread. */
  canRead(row: { tiers: string[]; author: string }): boolean {
    return readableBy(this.reader, row);
  }

  /** Me as a reader of tier-limited posts (`canRead`; the worker's search filters by it). */
  get reader(): Reader {
    return { me: this.identity.publicKey, moderator: this.canModerate, tier: this.myTier?.tier ?? null };
  }

  /** Notes addressed to me (welcomes, reminders), newest first. */
  get myNotices() {
    return this.standing.value?.notices ?? [];
  }

  feed(limit: () => number): Live<ThreadRow[]> {
    return new Live<ThreadRow[]>(() => {
      const n = limit();
      void this.now; // re-query when the clock ticks, so scheduled threads appear on time
      // Scheduled threads (created in the future) wait for their time; tier-limited ones show only to their tiers.
      const tiers = this.#feedTier;
      const staff = this.#feedStaff;
      return () =>
        readFeed(this.db, this.cid, {
          limit: n,
          now: Date.now(),
          shown: (t) => staff || !t.tiers?.length || t.author === this.identity.publicKey || (!!tiers && t.tiers.includes(tiers))
        });
    }, []);
  }

  /**
   * A member's latest shown threads and replies, newest first (the member page): which records are
   * theirs from the community worker (asked again when the community's records change), their rows here.
   */
  memberPosts(key: () => string): Live<PostRow[]> {
    return new Live<PostRow[]>(() => {
      const cid = this.cid;
      const k = key();
      return async () => {
        await recordsChanged(this.db, cid);
        return memberPosts(this.db, k, await this.reads.memberPostIds(cid, k));
      };
    }, []);
  }

  /** Threads a moderator featured, the most recently featured first. */
  featured(): Live<ThreadRow[]> {
    return new Live<ThreadRow[]>(() => {
      const cid = this.cid;
      return () => featuredThreads(this.db, cid);
    }, []);
  }

  thread(id: () => string): Live<ThreadRow | undefined> {
    return new Live<ThreadRow | undefined>(() => {
      const tid = id();
      return () => this.db.threads.get(tid);
    }, undefined);
  }

  replies(threadId: () => string): Live<PostRow[]> {
    return new Live<PostRow[]>(() => {
      const tid = threadId();
      return () => this.db.replies.where('[thread+createdAt]').between([tid, Dexie.minKey], [tid, Dexie.maxKey]).toArray();
    }, []);
  }

  /** Earlier versions of a post, oldest first: the original record, then each of the author's edits. */
  async history(postId: string): Promise<{ ts: number; title?: string; body: string }[]> {
    const { record: post, targeting } = await this.reads.recordAndTargeting(this.cid, postId);
    if (!post || (post.kind !== 'thread' && post.kind !== 'reply')) return [];
    const edits = targeting
      .filter((r): r is SignedRecord<'edit'> => r.kind === 'edit' && r.author === post.author)
      .sort((a, b) => a.ts - b.ts || (a.id < b.id ? -1 : 1));
    return [
      { ts: post.ts, title: post.kind === 'thread' ? post.body.title : undefined, body: post.body.body },
      ...edits.map((e) => ({ ts: e.ts, title: e.body.title, body: e.body.body }))
    ];
  }

  /**
   * Seals a record as this member and publishes it to the community: the one write path (posting
   * policy, seal, append; state/writing) of every kind this member writes.
   */
  write<K extends Kind>(kind: K, draft: BodyOf<K>, ts = Date.now()): Promise<AppendResult> {
    // A page's draft may hold reactive state (a quote, a survey's questions): proxies cannot cross to the worker.
    return writeRecord(this.#writing, kind, $state.snapshot(draft) as BodyOf<K>, ts);
  }

  /** Every member's trust level, contributions and last activity, computed in the member-stats worker. */
  readonly memberStats = (cid: string, now: number): Promise<MemberStats | null> => memberStatsClient().memberStats(cid, now);

  /** Points on the 7-day, 30-day and all-time leaderboards, computed in the member-stats worker. */
  readonly pointsBoards = (now: number) => memberStatsClient().pointsBoards(this.cid, now);

  /**
   * My points (computed from what this device reads), my level from them, and the level published
   * for me: content limited to a level opens by the published one, which staff automation sets.
   */
  async pointsStanding(now = Date.now()): Promise<PointsStanding> {
    const me = this.identity.publicKey;
    const rules = pointRules(this.standing.value?.settings);
    const [stats, standing] = await Promise.all([this.memberStats(this.cid, now), this.reads.standing(this.cid, me, now)]);
    const points = pointsOf(stats?.contributions.get(me), rules.weights);
    return { points, level: levelOf(points, rules.levels).level, published: standing?.level ?? 1, thresholds: rules.levels };
  }

  /**
   * A thread's slow mode in seconds (0: off): the latest setting by a moderator, kept current as it
   * changes. Asked again when a record pointing at the thread is stored as a row (a slow mode is one,
   * a reply is not) or a role changes, not on every reply coming in.
   */
  slowMode(threadId: () => string): Live<number> {
    return new Live<number>(
      () => {
        const cid = this.cid;
        const tid = threadId();
        return async () => {
          await recordsChangedOf(this.db, cid, { target: tid, kinds: ['grant', 'ban'] });
          return this.reads.slowMode(cid, tid);
        };
      },
      0,
      { later: true }
    );
  }

  /** The moderators' review queue (store/queries/review) under the community's watched words, kept current. */
  reviewQueue(): Live<ReviewItem[]> {
    return this.#askedOnRecords((cid) => {
      const words = $state.snapshot(this.settings.watchedWords ?? []);
      return () => this.reads.reviewQueue(cid, words);
    }, []);
  }

  /**
   * A read answered by the community worker, asked again whenever any record of the community is
   * stored (`recordsChanged`). `ask` runs where the live query tracks its inputs (the clock, a thread
   * id, settings): it reads them and returns the read to make.
   */
  #askedOnRecords<T>(ask: (cid: string) => () => Promise<T>, initial: T, options?: LiveOptions): Live<T> {
    return new Live<T>(
      () => {
        const cid = this.cid;
        const read = ask(cid);
        return async () => {
          await recordsChanged(this.db, cid);
          return read();
        };
      },
      initial,
      options
    );
  }

  /** Whether this member was removed (banned) from the community. */
  get amBanned(): boolean {
    return this.standing.value?.banned ?? false;
  }

  /** Who removed this member and when (the latest ban record about them), while they are banned. */
  myRemoval(): Live<{ by: string; at: number } | null> {
    return new Live(() => {
      const banned = this.amBanned;
      return async () => {
        if (!banned) return null;
        const bans = (await recordsOfKind(this.db, this.cid, 'ban')).filter((r) => r.kind === 'ban' && r.body.member === this.identity.publicKey);
        const latest = bans.sort((x, y) => y.ts - x.ts || (y.id < x.id ? -1 : 1))[0];
        return latest ? { by: latest.author, at: latest.ts } : null;
      };
    }, null);
  }

  /** The members a post's "@name"s mention, found by the community worker among every member's name. */
  private async mentions(text: string): Promise<string[] | undefined> {
    // No "@", no mention: the worker is not asked (a round trip of 10–20 ms before each reply went out).
    if (!text.includes('@')) return undefined;
    const found = await this.reads.mentionsIn(this.cid, text);
    return found.length ? found.map((m) => m.key).slice(0, 50) : undefined;
  }

  /** Looking members up by name, for the composers' "@" suggestions and previews. */
  readonly memberSearch: MemberSearch = {
    find: (prefix) => this.reads.findMembers(this.cid, prefix, 6),
    mentioned: (text) => this.reads.mentionsIn(this.cid, text)
  };

  /** Names of the members a post mentions (for highlighting "@name" in it). */
  mentionedNames(post: { mentions?: string[] }): string[] {
    return (post.mentions ?? []).map((key) => this.people.row(key)?.name ?? '').filter(Boolean);
  }

  /** A thread now, or scheduled for `publishAt` (it appears on every device at that time). */
  async postThread(title: string, body: string, opts: { publishAt?: number; tiers?: string[]; level?: number; files?: File[] } = {}) {
    const ts = opts.publishAt && opts.publishAt > Date.now() ? Math.floor(opts.publishAt) : Date.now();
    const attachments = await this.attachments.prepare(opts.files);
    if (!attachments.ok) return attachments;
    return this.write(
      'thread',
      {
        title,
        body,
        mentions: await this.mentions(body),
        tiers: opts.tiers?.length ? opts.tiers : undefined,
        // One scope per thread: a tier's limit, or a points level's (sealed under `points:<n>`).
        level: !opts.tiers?.length && opts.level && opts.level >= 2 ? opts.level : undefined,
        attachments: attachments.value
      },
      ts
    );
  }

  async reply(thread: string, parent: string, body: string, quote?: { id: string; text: string }, files?: File[]) {
    const attachments = await this.attachments.prepare(files);
    if (!attachments.ok) return attachments;
    return this.write('reply', { thread, parent, body, quote, mentions: await this.mentions(body), attachments: attachments.value });
  }

  react(target: string, emoji: string, on: boolean) {
    return this.write('reaction', { target, emoji, on });
  }

  edit(target: string, body: string, title?: string) {
    return this.write('edit', { target, body, title });
  }

  remove(target: string) {
    return this.write('tombstone', { target });
  }

  pin(target: string, pinned: boolean) {
    return this.write('pin', { target, pinned });
  }

  /** Marks a thread featured (精华) or not; the reason is shown beside it. Moderators. */
  feature(target: string, featured: boolean, reason?: string) {
    const text = reason?.trim().slice(0, 200);
    return this.write('feature', { target, featured, ...(featured && text ? { reason: text } : {}) });
  }
}
