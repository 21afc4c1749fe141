// A newcomer's first page (first-page.ts) from its first mesh peers, over the mesh connections' side
// channel: [SIDE_MAGIC, op, request id u32, …], op 4 ask (nothing more), op 5 page (+ the records as
// JSON). Only peers of a community's mesh are answered (they hold its key, as the newcomer does once
// it is there); the lobby is never asked or answered. The answer is the community worker's
// (`DocHandle.firstPage`, first-page.ts `firstPageMaker`), made from the catalogue it keeps warm: read
// on the page, each page load built a catalogue of every stored record first (0.9 s for the real
// community), and IndexedDB served that read ahead of the worker's, whose key share for the newcomer
// waited 0.44 s behind it. The newcomer holds its sync step 1, which asks for the whole history, until the first answer came
// (peer-sync.ts `#holdStep1`): the page goes in the connection's queue order, and waited behind the
// history's reply (60 MB at 10,000 members) whenever the peer's worker had that ready first.
// Through the lobby (lobby-page.ts), op 6 asks naming the newcomer's member key, op 7 is the page
// sealed under the community's newest key, sent once the answering device counts them a member.
import type { DocHandle } from './doc-handle';
import { LOBBY_PAGE_MAX_BYTES, memberKeyOf } from './lobby-page';
import { onSideMessage, sendSide, sideMessage, sideRequestId } from './webrtc-chunking';

const ASK = 4;
const PAGE = 5;
const LOBBY_ASK = 6;
const LOBBY_PAGE = 7;
/**
 * How long a lobby ask waits for its newcomer to become a member on the answering device (their
 * join checked; on a limited invite, admitted).
 */
export const LOBBY_ASK_WAIT_MS = 60_000;
/** Asked again at each batch of records accepted, and this often at least. */
const LOBBY_ASK_POLL_MS = 250;
/** How long one peer has to answer (the page comes after the peer's answer to the history's step 1). */
export const FIRST_PAGE_TIMEOUT_MS = 30_000;

interface Served {
  peers: () => Iterable<object>;
  doc: DocHandle;
}

const served = new Map<string, Served>();
const waiting = new Map<number, (bytes: Uint8Array) => void>();
/** Lobbies served, by community: each lobby connection is answered once. */
const lobbies = new Map<string, Served & { answered: WeakSet<object> }>();
/** Where a lobby connection's sealed page goes (this device asked it). */
const lobbyPages = new WeakMap<object, (sealed: Uint8Array) => void>();
let nextId = (Math.random() * 2 ** 31) >>> 0;
let listening = false;

async function answer(peer: object, id: number): Promise<void> {
  for (const s of served.values()) {
    if (![...s.peers()].includes(peer)) continue;
    sendSide(peer, sideMessage(PAGE, id, await s.doc.firstPage()));
    return;
  }
}

/** Resolves at the next batch of records `doc` accepts, or after `ms`. */
function nextAccepted(doc: DocHandle, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      off();
      resolve();
    };
    const timer = setTimeout(done, ms);
    const off = doc.onAccepted(done);
  });
}

/**
 * A lobby connection asked for `member`'s first page: sent sealed once this device counts them a
 * member and holds the community's newest key (waiting for their join or admission at most
 * `LOBBY_ASK_WAIT_MS`). One answer per connection, whoever it names.
 */
async function answerLobby(peer: object, id: number, member: string): Promise<void> {
  for (const s of lobbies.values()) {
    if (s.answered.has(peer) || ![...s.peers()].includes(peer)) continue;
    s.answered.add(peer);
    const until = Date.now() + LOBBY_ASK_WAIT_MS;
    for (;;) {
      // Listening before asking: a join taken while the page was asked for wakes the next ask.
      const next = nextAccepted(s.doc, LOBBY_ASK_POLL_MS);
      const sealed = await s.doc.lobbyPage(member);
      if (sealed) return void sendSide(peer, sideMessage(LOBBY_PAGE, id, sealed));
      if (Date.now() >= until || ![...s.peers()].includes(peer)) return;
      await next;
    }
  }
}

function listen(): void {
  if (listening) return;
  listening = true;
  onSideMessage((peer, bytes) => {
    if (bytes.length < 6) return;
    const op = bytes[1];
    const id = sideRequestId(bytes);
    if (op === ASK && bytes.length === 6) void answer(peer, id).catch((e) => console.warn('first page not answered', e));
    else if (op === PAGE) waiting.get(id)?.(bytes.slice(6));
    else if (op === LOBBY_ASK) {
      const member = memberKeyOf(bytes.subarray(6));
      if (member) void answerLobby(peer, id, member).catch((e) => console.warn('lobby page not answered', e));
    } else if (op === LOBBY_PAGE && bytes.length - 6 <= LOBBY_PAGE_MAX_BYTES) {
      const taken = lobbyPages.get(peer);
      lobbyPages.delete(peer);
      taken?.(bytes.slice(6));
    }
  });
}

/** Answers the first-page asks of newcomers in this community's lobby (`peers()`), sealed. Returns stop. */
export function serveLobbyPage(doc: DocHandle, peers: () => Iterable<object>): () => void {
  listen();
  const entry = { peers, doc, answered: new WeakSet<object>() };
  lobbies.set(doc.cid, entry);
  return () => {
    if (lobbies.get(doc.cid) === entry) lobbies.delete(doc.cid);
  };
}

/**
 * Asks a lobby peer for this newcomer's first page (`member`: their key); `came` gets the sealed page
 * when it comes (at most once). False when the channel is gone.
 */
export function askLobbyPage(peer: object, member: string, came: (sealed: Uint8Array) => void): boolean {
  listen();
  lobbyPages.set(peer, came);
  return sendSide(peer, sideMessage(LOBBY_ASK, nextId++ >>> 0, new TextEncoder().encode(member)));
}

/** Answers the first-page asks of this community's mesh peers (`peers()`). Returns stop. */
export function serveFirstPage(doc: DocHandle, peers: () => Iterable<object>): () => void {
  listen();
  const entry: Served = { peers, doc };
  served.set(doc.cid, entry);
  return () => {
    if (served.get(doc.cid) === entry) served.delete(doc.cid);
  };
}

/**
 * Asks a mesh peer for its first page and hands it to the community's gate (stored and projected
 * beside the document). True once a page was taken; false when the peer did not answer in time,
 * sent something that does not decode, or the channel is gone. `arrived` is called when the
 * answer's bytes are in, before they are checked.
 */
export function askFirstPage(doc: DocHandle, peer: object, arrived: () => void = () => {}): Promise<boolean> {
  listen();
  const id = nextId++ >>> 0;
  return new Promise<Uint8Array | null>((resolve) => {
    const timer = setTimeout(() => done(null), FIRST_PAGE_TIMEOUT_MS);
    const done = (bytes: Uint8Array | null) => {
      clearTimeout(timer);
      waiting.delete(id);
      resolve(bytes);
    };
    waiting.set(id, done);
    if (!sendSide(peer, sideMessage(ASK, id))) done(null);
  }).then((bytes) => {
    if (!bytes) return false;
    arrived();
    return doc.takeFirstPage(bytes);
  });
}
