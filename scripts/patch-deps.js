// Fixes in dependencies that upstream has not released, applied to node_modules after every install
// (package.json `postinstall`). Each edit is idempotent and says so when its text is not found, so an
// upgrade that changes the code shows here, and the test beside the fix fails.
//
// y-webrtc 10.3.0: a signaling "answer" addressed to this peer from a peer it holds no connection
// with (its offer's connection closed before the answer came: a page reloaded, ICE failed) throws
// `Cannot set properties of undefined (setting 'glareToken')`. The throw happens in a promise, so a
// browser logs an unhandled rejection and a Node peer's process dies. The fix reads the connection
// only when there is one, as the "offer" branch above it already does.
//
// y-webrtc 10.3.0: a peer that hears another's announce offers it a connection, so two peers that
// announce at once (a device back online, whose peer re-announced as their connection closed) both
// offer. simple-peer cannot settle that glare: one side fed the other's offer to its own offering
// connection (ERR_SET_LOCAL_DESCRIPTION), and the other was left with a connection that never opens
// until PeerSync drops it 30 s later (a note written offline reached the peer after 30 s or not at
// all, in 6 of 8 runs). The fix: of two peers, the one with the smaller peer id offers; the other
// answers an announce from a smaller id with an announce to it alone (`to`), which asks it to offer.
// A device without the fix still offers on every announce, so the two still meet.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// Where y-webrtc handles an answer, up to the line the fix guards.
const ANSWERED = String.raw`log\('offer answered by: ', data\.from\);?\s*const existingConn = webrtcConns\.get\(data\.from\);?\s*`;

// Where y-webrtc handles an announce: `$1` the indent, `$2` a statement's end (the dist has semicolons).
const ANNOUNCED = String.raw`case 'announce':\s*if \(webrtcConns\.size < room\.provider\.maxConns\) \{`;
const OFFERS = String.raw`(\s*)map\.setIfUndefined\(webrtcConns, data\.from, \(\) => new WebrtcConn\(this, true, data\.from, room\)\)(;?)\s*emitPeerChange\(\);?`;

const fixes = [
  {
    files: ['node_modules/y-webrtc/src/y-webrtc.js', 'node_modules/y-webrtc/dist/y-webrtc.cjs'],
    broken: new RegExp(`(${ANNOUNCED})${OFFERS}`),
    fixed: /the smaller peer id offers/,
    replace:
      '$1$2// the smaller peer id offers (scripts/patch-deps.js): a larger one asks it to, by an announce to it alone' +
      '$2if (data.to === undefined && data.from < peerId) {' +
      "$2  if (!webrtcConns.has(data.from)) publishSignalingMessage(this, room, { type: 'announce', from: peerId, to: data.from })$3" +
      '$2} else {' +
      '$2  map.setIfUndefined(webrtcConns, data.from, () => new WebrtcConn(this, true, data.from, room))$3' +
      '$2  emitPeerChange()$3' +
      '$2}'
  },
  {
    files: ['node_modules/y-webrtc/src/y-webrtc.js', 'node_modules/y-webrtc/dist/y-webrtc.cjs'],
    broken: new RegExp(`(${ANSWERED})existingConn\\.glareToken = undefined`),
    fixed: new RegExp(`${ANSWERED}if \\(existingConn\\) existingConn\\.glareToken = undefined`),
    replace: '$1if (existingConn) existingConn.glareToken = undefined'
  }
];

let problems = 0;
for (const fix of fixes) {
  for (const file of fix.files) {
    const path = join(root, file);
    if (!existsSync(path)) continue;
    const text = readFileSync(path, 'utf8');
    if (fix.fixed.test(text)) continue;
    if (!fix.broken.test(text)) {
      console.warn(`patch-deps: ${file} has changed; its fix was not applied (see scripts/patch-deps.js)`);
      problems++;
      continue;
    }
    writeFileSync(path, text.replace(fix.broken, fix.replace));
  }
}
if (problems) console.warn(`patch-deps: ${problems} fix(es) not applied`);
