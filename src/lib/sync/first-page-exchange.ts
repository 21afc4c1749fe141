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
import type { DocHandle } from './doc-handle';
import { onSideMessage, sendSide, sideMessage, sideRequestId } from './webrtc-chunking';

const ASK = 4;
const PAGE = 5;
/** How long one peer has to answer (the page comes after the peer's answer to the history's step 1). */
export const FIRST_PAGE_TIMEOUT_MS = 30_000;

interface Served {
  peers: () => Iterable<object>;
  doc: DocHandle;
}

const served = new Map<string, Served>();
const waiting = new Map<number, (bytes: Uint8Array) => void>();
let nextId = (Math.random() * 2 ** 31) >>> 0;
let listening = false;

async function answer(peer: object, id: number): Promise<void> {
  for (const s of served.values()) {
    if (![...s.peers()].includes(peer)) continue;
    sendSide(peer, sideMessage(PAGE, id, await s.doc.firstPage()));
    return;
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
  });
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
