// `npm run relay`: one Hearth relay process. See README "Relays".
// Usage: npm run relay -- [--port 4455] [--host 0.0.0.0] [--data .relay-data] [--redis redis://127.0.0.1:6379]
//        [--max-data-mb N] [--member-chunk-mb N] [--name relay-a] [--stats-every-ms 10000]
import { resolve } from 'node:path';
import { startRelay } from './relay-server';

const arg = (name: string, fallback?: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};

const port = Number(arg('port', process.env.PORT ?? '4455'));
const host = arg('host', process.env.HOST ?? '0.0.0.0') as string;
const dataDir = resolve(arg('data', process.env.RELAY_DATA ?? '.relay-data') as string);
const redis = arg('redis', process.env.REDIS_URL) ?? null;
const maxDataMb = Number(arg('max-data-mb', '0')) || 0;
const name = arg('name');
const statsEveryMs = Number(arg('stats-every-ms', '0')) || 0;
const memberChunkMb = Number(arg('member-chunk-mb', '0')) || 0;

const relay = await startRelay({
  port,
  host,
  dataDir,
  redis,
  maxDataBytes: maxDataMb * 1024 * 1024,
  name,
  statsEveryMs,
  ...(memberChunkMb ? { memberChunkBytes: memberChunkMb * 1024 * 1024 } : {})
});
console.log(`Hearth relay: ws://${host === '0.0.0.0' ? 'localhost' : host}:${relay.port} (data in ${dataDir}${redis ? `, Redis ${redis}` : ''})`);
const stop = async () => {
  await relay.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
