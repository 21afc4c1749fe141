// Fixes in dependencies that upstream has not released, applied to node_modules after every install
// (package.json `postinstall`). Each edit is idempotent and says so when its text is not found, so an
// upgrade that changes the code shows here, and the test beside the fix fails.
//
// y-webrtc 10.3.0: a signaling "answer" addressed to this peer from a peer it holds no connection
// with (its offer's connection closed before the answer came: a page reloaded, ICE failed) throws
// `Cannot set properties of undefined (setting 'glareToken')`. The throw happens in a promise, so a
// browser logs an unhandled rejection and a Node peer's process dies. The fix reads the connection
// only when there is one, as the "offer" branch above it already does.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// Where y-webrtc handles an answer, up to the line the fix guards.
const ANSWERED = String.raw`log\('offer answered by: ', data\.from\);?\s*const existingConn = webrtcConns\.get\(data\.from\);?\s*`;

const fixes = [
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
