// `npm run relay`: an always-on Hearth peer for scale and availability. It runs the Yjs
// websocket server (@y/websocket-server) with LevelDB persistence, so a community's document
// survives on disk and newcomers can sync while every member is offline.
// The relay stores documents under a room name derived from the room secret (see
// src/lib/sync/peer-sync.ts), and records stay signed: a relay can withhold data, never forge it.
// Usage: npm run relay -- [--port 4455] [--host 0.0.0.0] [--data .relay-data]
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
process.env.PORT = arg('port', process.env.PORT ?? '4455');
process.env.HOST = arg('host', process.env.HOST ?? '0.0.0.0');
process.env.YPERSISTENCE = resolve(arg('data', process.env.YPERSISTENCE ?? '.relay-data'));
mkdirSync(process.env.YPERSISTENCE, { recursive: true });
console.log(`Hearth relay: ws://${process.env.HOST === '0.0.0.0' ? 'localhost' : process.env.HOST}:${process.env.PORT} (data in ${process.env.YPERSISTENCE})`);
// utils reads YPERSISTENCE when it loads, so it is imported after the environment is set.
const { setupWSConnection } = await import('@y/websocket-server/utils');
const { WebSocketServer } = await import('ws');
const http = await import('node:http');

const wss = new WebSocketServer({ noServer: true });
wss.on('connection', setupWSConnection);
const server = http.createServer((_req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.end('hearth relay');
});
server.on('upgrade', (request, socket, head) => wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request)));
server.listen(Number(process.env.PORT), process.env.HOST);
const stop = () => server.close(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
