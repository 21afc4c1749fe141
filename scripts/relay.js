// `npm run relay`: starts a Hearth relay (relay/main.ts: Hocuspocus + the app's gate, see README "Relays").
// The relay runs the app's own TypeScript (record checks, authority), loaded through tsx.
// Usage: npm run relay -- [--port 4455] [--host 0.0.0.0] [--data .relay-data] [--redis redis://127.0.0.1:6379] [--max-data-mb N]
//        [--name relay-a] [--stats-every-ms 10000]
import { register } from 'tsx/esm/api';

register();
await import('../relay/main.ts');
