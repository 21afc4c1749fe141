// A helper for the community worker's signature checks (src/lib/crypto/verify-pool.ts): a page starts
// it and sends it one end of a channel, the community worker holds the other.
import { serveVerifier } from '../src/lib/crypto/verify-pool';

self.onmessage = (e: MessageEvent<{ port: MessagePort }>) => {
  if (e.data?.port) serveVerifier(e.data.port);
};
