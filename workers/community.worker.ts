// The community worker: one per device (a SharedWorker, shared by every tab; without SharedWorker a
// dedicated worker in the leader tab, leader-worker.ts), holding every open community's document, gate,
// repair, projection writer and relay links (src/lib/sync/doc-host.ts). Each tab connects a port (a
// follower tab: a channel); comlink serves the typed surface (doc-port.ts) on it, and the tab's event
// port receives every HostEvent.
import * as Comlink from 'comlink';
import { DocHost } from '../src/lib/sync/doc-host';
import type { HostEvent, PageEvent, WorkerPort } from '../src/lib/sync/doc-port';
import { wireSync, wireUpdate } from '../src/lib/sync/wire-message';
import { openDb } from '../src/lib/store/db';
import { verifyPool } from '../src/lib/crypto/verify-pool';
import { serveFollowers, type FollowerEvent } from '../src/lib/sync/leader-worker';
import { loadMemberStats, memberStatsVersion, spacedMemberStats } from './members/member-stats';

// Automation reads member stats here, from the same database, as the analysis worker does (spaced:
// at 100,000 records a read holds IndexedDB for seconds).
const host = new DocHost(
  openDb(),
  spacedMemberStats(async (cid, now) => loadMemberStats(cid, now, await memberStatsVersion(cid, now)))
);

/** An event as a page receives it: an update framed here, once, and moved rather than copied (the page only passes it on to its peers). */
function pageEvent(event: HostEvent): [PageEvent, Transferable[]] {
  if (event.t !== 'update') return [event, []];
  const { update, ...rest } = event;
  const message = wireUpdate(update);
  return [{ ...rest, message }, [message.buffer]];
}

/**
 * Serves one tab: on its port (a SharedWorker's connection, or a dedicated worker's own scope), or on a
 * follower tab's channel (`follower`, leader-worker.ts), where events travel beside the answers.
 * Returns what stops the tab's events.
 */
function serve(port: MessagePort | BroadcastChannel, follower = false): () => void {
  let unsubscribe = () => {};
  // Only the port's methods, each by name: the host's own state (its database, listeners) stays here.
  const api: WorkerPort = {
    open: (cid) => host.open(cid),
    append: (cid, record) => host.append(cid, record),
    settled: (cid) => host.settled(cid),
    importRecords: (cid, records) => host.importRecords(cid, records),
    exportRecords: (cid) => host.exportRecords(cid),
    receive: async (doc, message, from) => {
      const replies = (await host.receive(doc, message, from))?.map(wireSync) ?? null;
      return (
        replies &&
        Comlink.transfer(
          replies,
          replies.map((r) => r.buffer)
        )
      );
    },
    openLobby: (cid, options) => host.openLobby(cid, options),
    wantsFirstPage: (cid) => host.wantsFirstPage(cid),
    takeFirstPage: (cid, bytes) => host.takeFirstPage(cid, bytes),
    firstPage: (cid) => host.firstPage(cid),
    lobbyPage: (cid, member) => host.lobbyPage(cid, member),
    takeLobbyPage: (cid, sealed) => host.takeLobbyPage(cid, sealed),
    closeLobby: (id) => host.closeLobby(id),
    startRelay: (cid, options) => host.startRelay(cid, options),
    relay: (cid, action) => host.relay(cid, action),
    proveRelay: (cid, identity) => host.proveRelay(cid, identity),
    presentRelay: (cid, state) => host.presentRelay(cid, state),
    stopRelay: (cid) => host.stopRelay(cid),
    automate: (cid, identity) => host.automate(cid, identity),
    release: (cid) => host.release(cid),
    maintainKeys: (cid, identity, now, also) => host.maintainKeys(cid, identity, now, also),
    shardConnect: (cid, conn) => host.shardConnect(cid, conn),
    shardReceive: (cid, conn, bytes) => host.shardReceive(cid, conn, bytes),
    shardClose: (cid, conn) => host.shardClose(cid, conn),
    shardList: (cid) => host.shardList(cid),
    keepMonths: (cid, months, member) => host.keepMonths(cid, months, member),
    fetchShard: (cid, shard) => host.fetchShard(cid, shard),
    missingMonths: (cid) => host.missingMonths(cid),
    fetchThread: (cid, id) => host.fetchThread(cid, id),
    standing: (cid, me, now) => host.standing(cid, me, now),
    coverage: (cid) => host.coverage(cid),
    facts: (cid, now) => host.facts(cid, now),
    invites: (cid) => host.invites(cid),
    audit: (cid, kinds) => host.audit(cid, kinds),
    keyStatus: (cid, now) => host.keyStatus(cid, now),
    meshPlan: (cid, me) => host.meshPlan(cid, me),
    sealingKey: (cid, kind, body) => host.sealingKey(cid, kind, body),
    chainTip: (cid, author) => host.chainTip(cid, author),
    headsOf: (cid, member) => host.headsOf(cid, member),
    memberPostIds: (cid, member) => host.memberPostIds(cid, member),
    postingFacts: (cid, me, write) => host.postingFacts(cid, me, write),
    slowMode: (cid, thread) => host.slowMode(cid, thread),
    reviewQueue: (cid, words) => host.reviewQueue(cid, words),
    recordAndTargeting: (cid, id) => host.recordAndTargeting(cid, id),
    recordsOfAuthorSince: (cid, author, since) => host.recordsOfAuthorSince(cid, author, since),
    recordsById: (cid, ids) => host.recordsById(cid, ids),
    recordsTargetingEach: (cid, ids) => host.recordsTargetingEach(cid, ids),
    uploadAllowance: (cid, me, now) => host.uploadAllowance(cid, me, now),
    refusedAttachments: (cid, posts) => host.refusedAttachments(cid, posts),
    series: (cid) => host.series(cid),
    events: (cid) => host.events(cid),
    eligible: (cid, me, limit, now) => host.eligible(cid, me, limit, now),
    recordsSince: (cid, kinds, since, anyTime) => host.recordsSince(cid, kinds, since, anyTime),
    judge: (cid, records) => host.judge(cid, records),
    findMembers: (cid, prefix, limit) => host.findMembers(cid, prefix, limit),
    mentionsIn: (cid, text) => host.mentionsIn(cid, text),
    notes: (cid, me, now) => host.notes(cid, me, now),
    note: (cid, id, me, now) => host.note(cid, id, me, now),
    allowedNoteEdits: (cid, note, edits) => host.allowedNoteEdits(cid, note, edits),
    surveys: (cid, me) => host.surveys(cid, me),
    survey: (cid, id, me) => host.survey(cid, id, me),
    surveyRecipients: (cid, me) => host.surveyRecipients(cid, me),
    joinStanding: (cid, me, invite) => host.joinStanding(cid, me, invite),
    addVerifier: (port) => verifyPool.addHelper(port),
    listen(events) {
      // A closed tab's port just drops what is posted to it.
      unsubscribe = host.subscribe((event) => {
        const [message, transfer] = pageEvent(event);
        events.postMessage(message, transfer);
      });
    },
    listenHere() {
      if (!follower) return;
      const channel = port as BroadcastChannel;
      unsubscribe = host.subscribe((event) => channel.postMessage({ hearthEvent: pageEvent(event)[0] } satisfies FollowerEvent<PageEvent>));
    }
  };
  Comlink.expose(api, port);
  return () => unsubscribe();
}

const scope = self as unknown as { onconnect: ((e: MessageEvent) => void) | null; postMessage?: unknown };
if ('onconnect' in scope) scope.onconnect = (e: MessageEvent) => serve(e.ports[0]);
else {
  // A dedicated worker: the leader tab's (no SharedWorker, leader-worker.ts), which also serves the other tabs.
  serve(self as unknown as MessagePort);
  serveFollowers((self as unknown as { name: string }).name, (channel) => serve(channel, true));
}
