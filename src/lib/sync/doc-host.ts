// The community worker's side of the one typed port (see doc-port.ts): it holds every open
// community's Yjs document with its gate, repair, projection writer and persistence (CommunityDoc),
// the lobbies' core documents and the relay links. Pages hold no document: they relay their WebRTC
// peers' sync messages here (`receive`) and this host's updates to their peers (`update` events),
// read the projections from IndexedDB, and write through `append`.
// Plain TypeScript with no worker globals, so Node tests drive it directly.
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness';
import type { Identity } from '../crypto/identity';
import type { AnyRecord } from '../domain/record';
import type { Scope } from '../domain/scopes';
import type { HearthDb } from '../store/db';
import type { AppendResult, CommunityDoc, ImportCount } from './community-doc';
import { openCommunityHandle, type ShardedCommunity } from './sharded-community';
import type { ShardLink } from './shards/peer-channel';
import type { DocHandle, LobbyHandle, LobbyOptions, MissingMonths, RelayHandle, ShardList, ThreadFetch } from './doc-handle';
import type { MemberStatsSource } from '../automation/community-facts';
import type { DocPort, HostEvent, OpenedDoc } from './doc-port';
import { readsOver, type CommunityReads } from './community-reads';
import { readSyncMessage } from './gated-sync-protocol';
import { holdsNoHistory, splitReply } from './history-reply';
import { journalDoc } from '../search/journal';
import { followShardDecision, migrateToShards } from './shards/legacy-migration';

/** State vectors are sent with updates at most this often: one can be large (a client id per writer). */
const STATE_VECTOR_EVERY_MS = 250;
/** Records per `accepted` event sent to the pages. */
const ACCEPTED_PER_EVENT = 500;

interface Linked {
  doc: Y.Doc;
  /** Origin of updates that came from the page's peers for this document. */
  origin: object;
  svTimer: ReturnType<typeof setTimeout> | null;
}

export class DocHost implements DocPort {
  /** Answers about authority and keys (community-reads.ts), from this host's database and caches: no document needs opening for them. */
  readonly #reads: CommunityReads;
  #docs = new Map<string, Promise<CommunityDoc | ShardedCommunity>>();
  /** The communities open, by id (`receive` answers a newcomer's step 1 from `historyReply`). */
  #opened = new Map<string, CommunityDoc | ShardedCommunity>();
  /** Pages' mesh connections to peers of communities held in shards, by community and connection name (each waits for the last call on it). */
  #shardLinks = new Map<string, Promise<ShardLink | null>>();
  #linked = new Map<string, Linked>();
  #lobbies = new Map<string, LobbyHandle>();
  #relays = new Map<string, { handle: RelayHandle; awareness: Awareness }>();
  #listeners = new Set<(event: HostEvent) => void>();
  #automation = new Map<string, { holds: number; stop: () => void; identity?: Identity }>();
  #nextId = 0;

  constructor(
    readonly db: HearthDb,
    readonly memberStats: MemberStatsSource = async () => null
  ) {
    this.#reads = readsOver(db);
  }

  standing: CommunityReads['standing'] = (...args) => this.#reads.standing(...args);
  coverage: CommunityReads['coverage'] = (...args) => this.#reads.coverage(...args);
  facts: CommunityReads['facts'] = (...args) => this.#reads.facts(...args);
  invites: CommunityReads['invites'] = (...args) => this.#reads.invites(...args);
  audit: CommunityReads['audit'] = (...args) => this.#reads.audit(...args);
  keyStatus: CommunityReads['keyStatus'] = (...args) => this.#reads.keyStatus(...args);
  meshPlan: CommunityReads['meshPlan'] = (...args) => this.#reads.meshPlan(...args);
  sealingKey: CommunityReads['sealingKey'] = (...args) => this.#reads.sealingKey(...args);
  chainTip: CommunityReads['chainTip'] = (...args) => this.#reads.chainTip(...args);
  headsOf: CommunityReads['headsOf'] = (...args) => this.#reads.headsOf(...args);
  memberPostIds: CommunityReads['memberPostIds'] = (...args) => this.#reads.memberPostIds(...args);
  postingFacts: CommunityReads['postingFacts'] = (...args) => this.#reads.postingFacts(...args);
  slowMode: CommunityReads['slowMode'] = (...args) => this.#reads.slowMode(...args);
  reviewQueue: CommunityReads['reviewQueue'] = (...args) => this.#reads.reviewQueue(...args);
  recordAndTargeting: CommunityReads['recordAndTargeting'] = (...args) => this.#reads.recordAndTargeting(...args);
  recordsOfAuthorSince: CommunityReads['recordsOfAuthorSince'] = (...args) => this.#reads.recordsOfAuthorSince(...args);
  recordsById: CommunityReads['recordsById'] = (...args) => this.#reads.recordsById(...args);
  recordsTargetingEach: CommunityReads['recordsTargetingEach'] = (...args) => this.#reads.recordsTargetingEach(...args);
  uploadAllowance: CommunityReads['uploadAllowance'] = (...args) => this.#reads.uploadAllowance(...args);
  refusedAttachments: CommunityReads['refusedAttachments'] = (...args) => this.#reads.refusedAttachments(...args);
  series: CommunityReads['series'] = (...args) => this.#reads.series(...args);
  events: CommunityReads['events'] = (...args) => this.#reads.events(...args);
  eligible: CommunityReads['eligible'] = (...args) => this.#reads.eligible(...args);
  recordsSince: CommunityReads['recordsSince'] = (...args) => this.#reads.recordsSince(...args);
  judge: CommunityReads['judge'] = (...args) => this.#reads.judge(...args);
  findMembers: CommunityReads['findMembers'] = (...args) => this.#reads.findMembers(...args);
  mentionsIn: CommunityReads['mentionsIn'] = (...args) => this.#reads.mentionsIn(...args);
  notes: CommunityReads['notes'] = (...args) => this.#reads.notes(...args);
  note: CommunityReads['note'] = (...args) => this.#reads.note(...args);
  allowedNoteEdits: CommunityReads['allowedNoteEdits'] = (...args) => this.#reads.allowedNoteEdits(...args);
  surveys: CommunityReads['surveys'] = (...args) => this.#reads.surveys(...args);
  survey: CommunityReads['survey'] = (...args) => this.#reads.survey(...args);
  surveyRecipients: CommunityReads['surveyRecipients'] = (...args) => this.#reads.surveyRecipients(...args);
  joinStanding: CommunityReads['joinStanding'] = (...args) => this.#reads.joinStanding(...args);

  async automate(cid: string, identity: Identity): Promise<void> {
    const running = this.#automation.get(cid);
    if (running) return void running.holds++;
    const entry = { holds: 1, stop: () => {}, identity };
    this.#automation.set(cid, entry);
    const doc = await this.#community(cid);
    if (this.#automation.get(cid) === entry) entry.stop = doc.automate(identity, this.memberStats);
  }

  release(cid: string): void {
    const running = this.#automation.get(cid);
    if (!running || --running.holds > 0) return;
    running.stop();
    this.#automation.delete(cid);
  }

  async maintainKeys(cid: string, identity: Identity, now: number, also: readonly Scope[] = []): Promise<number> {
    return (await this.#community(cid)).maintainKeys(identity, now, also);
  }

  subscribe(listener: (event: HostEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(event: HostEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        console.error('community worker: a listener failed', error);
      }
    }
  }

  #community(cid: string): Promise<CommunityDoc | ShardedCommunity> {
    let open = this.#docs.get(cid);
    if (!open) {
      open = openCommunityHandle(this.db, cid).then((doc) => this.#serve(cid, doc));
      open.catch(() => this.#docs.delete(cid));
      this.#docs.set(cid, open);
    }
    return open;
  }

  /** Starts serving an open community: its events to the pages, its updates to their peers. */
  #serve(cid: string, doc: CommunityDoc | ShardedCommunity): CommunityDoc | ShardedCommunity {
    doc.onHealth = (health) => this.#emit({ t: 'health', cid, health });
    doc.onAccepted((records) => {
      // At most 500 records a message: a page reads each message in one task, and an import or
      // initial sync projects tens of thousands at once (a 50,000-record message is a long task).
      for (let i = 0; i < records.length; i += ACCEPTED_PER_EVENT) this.#emit({ t: 'accepted', cid, records: records.slice(i, i + ACCEPTED_PER_EVENT) });
    });
    // The search journal follows every open community from here (search/journal: it keeps rows
    // only for a community that has an index on this device); the index and its queries are in
    // each tab's search worker (search/search-client), which reads the rows.
    journalDoc(this.db, doc);
    this.#link(cid, doc.doc);
    this.#opened.set(cid, doc);
    // A community made as one document moves into shards once its creator or an admin decides so.
    if (!doc.shards) followShardDecision(doc as CommunityDoc, () => void this.#moveIntoShards(cid, doc as CommunityDoc));
    return doc;
  }

  /**
   * Splits a single document into shards here, in the worker (the pages are told how far it is), then
   * serves the community held in shards in its place: the relay and the automation start again on
   * it, and the pages, told `done`, open it again (their sync is bound to the single document).
   */
  async #moveIntoShards(cid: string, single: CommunityDoc): Promise<void> {
    try {
      await migrateToShards(single, (progress) => this.#emit({ t: 'migration', cid, progress }));
    } catch (error) {
      // The decision is stored: the next open splits again (sharded-community `openCommunityHandle`).
      console.error('community not split into shards', error);
      this.#emit({ t: 'migration', cid, progress: { phase: 'failed', done: 0, total: 0 } });
      return;
    }
    this.stopRelay(cid);
    const automation = this.#automation.get(cid);
    automation?.stop();
    for (const [key, link] of this.#shardLinks) if (key.startsWith(`${cid}\u0000`)) this.#shardLinks.delete(key), void link.then((l) => l?.close());
    const sharded = openCommunityHandle(this.db, cid).then((doc) => this.#serve(cid, doc));
    this.#docs.set(cid, sharded);
    const doc = await sharded;
    single.close();
    if (automation?.identity && this.#automation.get(cid) === automation) automation.stop = doc.automate(automation.identity, this.memberStats);
    this.#emit({ t: 'migration', cid, progress: { phase: 'done', done: 1, total: 1 } });
  }

  /** Forwards a document's updates (all of them, as y-webrtc does) and, now and then, its state vector. */
  #link(id: string, doc: Y.Doc): void {
    const linked: Linked = { doc, origin: { remote: id }, svTimer: null };
    this.#linked.set(id, linked);
    doc.on('update', (update: Uint8Array, origin: unknown) => {
      const from = (origin as { from?: unknown } | null)?.from;
      this.#emit({ t: 'update', doc: id, update, fromPeer: typeof origin === 'object' && origin !== null, ...(typeof from === 'string' ? { from } : {}) });
      linked.svTimer ??= setTimeout(() => {
        linked.svTimer = null;
        if (!doc.isDestroyed) this.#emit({ t: 'sv', doc: id, sv: Y.encodeStateVector(doc) });
      }, STATE_VECTOR_EVERY_MS);
    });
  }

  async open(cid: string): Promise<OpenedDoc> {
    const doc = await this.#community(cid);
    return { health: doc.health, sv: Y.encodeStateVector(doc.doc), sharded: !!doc.shards };
  }

  shardConnect(cid: string, conn: string): Promise<void> {
    const key = `${cid}\u0000${conn}`;
    const linking = (this.#shardLinks.get(key) ?? Promise.resolve(null)).then(async (old) => {
      old?.close();
      const endpoint = (await this.#community(cid)).shards;
      return endpoint ? endpoint.connect((bytes) => this.#emit({ t: 'shard', cid, conn, bytes })) : null;
    });
    this.#shardLinks.set(key, linking);
    return linking.then(() => undefined);
  }

  async shardReceive(cid: string, conn: string, bytes: Uint8Array): Promise<void> {
    (await this.#shardLinks.get(`${cid}\u0000${conn}`))?.receive(bytes);
  }

  async shardList(cid: string): Promise<ShardList | null> {
    const doc: DocHandle = await this.#community(cid);
    return doc.shardList ? doc.shardList() : null;
  }

  async keepMonths(cid: string, months: number | null, member: string | null): Promise<string[]> {
    const doc: DocHandle = await this.#community(cid);
    return doc.keepMonths ? doc.keepMonths(months, member) : [];
  }

  async fetchShard(cid: string, shard: string): Promise<boolean> {
    const doc: DocHandle = await this.#community(cid);
    return doc.fetchShard ? doc.fetchShard(shard) : false;
  }

  async missingMonths(cid: string): Promise<MissingMonths | null> {
    const doc: DocHandle = await this.#community(cid);
    return doc.missingMonths ? doc.missingMonths() : null;
  }

  async fetchThread(cid: string, id: string): Promise<ThreadFetch | null> {
    const doc: DocHandle = await this.#community(cid);
    return doc.fetchThread ? doc.fetchThread(id) : null;
  }

  async shardClose(cid: string, conn: string): Promise<void> {
    const key = `${cid}\u0000${conn}`;
    const link = this.#shardLinks.get(key);
    this.#shardLinks.delete(key);
    (await link)?.close();
  }

  async append(cid: string, records: AnyRecord | readonly AnyRecord[]): Promise<AppendResult> {
    return (await this.#community(cid)).append(records);
  }

  async settled(cid: string): Promise<void> {
    await (await this.#community(cid)).settled();
    for (const [id, lobby] of this.#lobbies) if (id.startsWith(`${cid}/`)) await lobby.settled();
  }

  async importRecords(cid: string, records: AnyRecord[]): Promise<ImportCount> {
    return (await this.#community(cid)).importRecords(records);
  }

  async exportRecords(cid: string): Promise<AnyRecord[]> {
    return (await this.#community(cid)).exportRecords();
  }

  /**
   * One sync message from a page's peer for document `id`. Returns the answer (a step 2 for a
   * step 1, in parts past `REPLY_PART_BYTES`) for the page to send to that peer, in order, or null. Unreadable messages are counted, not thrown.
   */
  receive(id: string, message: Uint8Array, from?: string): Uint8Array[] | null {
    const linked = this.#linked.get(id);
    if (!linked || linked.doc.isDestroyed) return null;
    const prepared = this.#opened.get(id)?.historyReply(message);
    if (prepared) return prepared;
    if (this.#lobbies.has(id) && holdsNoHistory(message, linked.doc)) this.#opened.get(id.slice(0, id.indexOf('/')))?.newcomerInLobby();
    const encoder = encoding.createEncoder();
    readSyncMessage(decoding.createDecoder(message), encoder, linked.doc, from === undefined ? linked.origin : { remote: id, from });
    return encoding.length(encoder) > 0 ? splitReply(encoding.toUint8Array(encoder), linked.doc as Y.Doc) : null;
  }

  async openLobby(cid: string, options?: LobbyOptions): Promise<OpenedDoc & { id: string }> {
    const community = await this.#community(cid);
    const lobby = await community.openLobby(options);
    const id = `${cid}/lobby/${++this.#nextId}`;
    this.#lobbies.set(id, lobby);
    this.#link(id, lobby.doc as Y.Doc);
    return { id, health: community.health, sv: Y.encodeStateVector(lobby.doc as Y.Doc) };
  }

  async wantsFirstPage(cid: string): Promise<boolean> {
    return (await this.#community(cid)).wantsFirstPage();
  }

  async takeFirstPage(cid: string, bytes: Uint8Array): Promise<boolean> {
    return (await this.#community(cid)).takeFirstPage(bytes);
  }

  async firstPage(cid: string): Promise<Uint8Array> {
    return (await this.#community(cid)).firstPage();
  }

  async lobbyPage(cid: string, member: string): Promise<Uint8Array | null> {
    return (await this.#community(cid)).lobbyPage(member);
  }

  async takeLobbyPage(cid: string, sealed: Uint8Array): Promise<'taken' | 'refused' | 'no-key'> {
    return (await this.#community(cid)).takeLobbyPage(sealed);
  }

  closeLobby(id: string): void {
    this.#lobbies.get(id)?.destroy();
    this.#lobbies.delete(id);
    this.#linked.delete(id);
  }

  /**
   * Connects a community to its relays from here (the document is here; workers have WebSocket).
   * The relay has an awareness of its own: the page sends this member's signed presence for it and
   * hears the others' through `relay` events.
   */
  async startRelay(cid: string, options: { addresses: string[]; room: string; identity: Identity | null; clientID: number }): Promise<void> {
    this.stopRelay(cid);
    const community = await this.#community(cid);
    const awareness = new Awareness(community.doc);
    awareness.setLocalState(null);
    // Claims are signed for the page's awareness client id: the relay's awareness speaks under it.
    awareness.clientID = options.clientID;
    const handle = await community.startRelay({
      addresses: options.addresses,
      room: options.room,
      identity: options.identity,
      awareness,
      onStatus: (connected) => this.#emit({ t: 'relay', cid, connected }),
      onSynced: () => this.#emit({ t: 'relay', cid, synced: true })
    });
    awareness.on('change', ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }) =>
      this.#emit({ t: 'relay', cid, presence: encodeAwarenessUpdate(awareness, [...added, ...updated, ...removed]) })
    );
    this.#relays.set(cid, { handle, awareness });
  }

  relay(cid: string, action: 'connect' | 'disconnect'): void {
    const relay = this.#relays.get(cid)?.handle;
    if (action === 'connect') relay?.connect();
    else relay?.disconnect();
  }

  proveRelay(cid: string, identity: Identity): void {
    this.#relays.get(cid)?.handle.prove(identity);
  }

  presentRelay(cid: string, state: Record<string, unknown> | null): void {
    const relay = this.#relays.get(cid);
    if (relay) relay.awareness.setLocalState(state);
  }

  stopRelay(cid: string): void {
    const relay = this.#relays.get(cid);
    if (!relay) return;
    relay.handle.destroy();
    relay.awareness.destroy();
    this.#relays.delete(cid);
  }
}
