// Serves the built app (build/) on localhost with the SPA fallback, and starts the y-webrtc
// signaling server that the package ships, so peers on this machine or LAN can find each other.
// Usage: node scripts/serve.js [--port 4173] [--signaling-port 4444] [--no-signaling]
import { createServer } from 'node:http';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import sirv from 'sirv';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const port = Number(arg('port', process.env.PORT ?? 4173));
const host = arg('host', process.env.HOST ?? '127.0.0.1');
const signalingPort = Number(arg('signaling-port', process.env.SIGNALING_PORT ?? 4444));

if (!existsSync(join(root, 'build', 'index.html'))) {
  console.error('No build found: run `npm run build` first (npm start does it for you).');
  process.exit(1);
}

const assets = sirv(join(root, 'build'), {
  single: true,
  etag: true,
  setHeaders(res, pathname) {
    // The service worker and the shell must always be revalidated, so an update reaches users.
    if (pathname === '/service-worker.js' || pathname === '/index.html') res.setHeader('Cache-Control', 'no-cache');
    else if (pathname.startsWith('/_app/immutable/')) res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
  }
});
// Tells the app where this machine's signaling server (and relay, if any) is, as seen by the
// device that loaded the page: a phone on the LAN gets the LAN address, not localhost.
function config(req, res) {
  const host = (req.headers.host ?? 'localhost').replace(/:\d+$/, '');
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Cache-Control', 'no-store');
  res.end(JSON.stringify({ signaling: signalingPort ? [`ws://${host}:${signalingPort}`] : [], relay: process.env.RELAY_URL ?? null }));
}

const server = createServer((req, res) =>
  req.url === '/hearth-config.json'
    ? config(req, res)
    : assets(req, res, () => {
        res.statusCode = 404;
        res.end('not found');
      })
);

let signaling = null;
if (!process.argv.includes('--no-signaling')) {
  const bin = join(root, 'node_modules', 'y-webrtc', 'bin', 'server.js');
  signaling = spawn(process.execPath, [bin], { env: { ...process.env, PORT: String(signalingPort) }, stdio: ['ignore', 'pipe', 'inherit'] });
  signaling.stdout.on('data', () => {});
  signaling.on('exit', (code) => code && console.error(`signaling server exited with ${code}`));
}

server.listen(port, host, () => {
  console.log(`Hearth is running: open http://${host === '0.0.0.0' ? 'localhost' : host}:${port}/`);
  if (signaling) console.log(`Signaling server: ws://localhost:${signalingPort}`);
});

const stop = () => {
  signaling?.kill();
  server.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
