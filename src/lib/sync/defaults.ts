// Where a new community looks for peers: the signaling server (and relay) of the machine that
// served the app, as announced by scripts/serve.js; otherwise the same host on the default port.
import * as v from 'valibot';

const ConfigSchema = v.object({
  signaling: v.array(v.pipe(v.string(), v.regex(/^wss?:\/\/\S+$/))),
  relay: v.nullable(v.pipe(v.string(), v.regex(/^wss?:\/\/\S+$/)))
});

export const DEFAULT_SIGNALING_PORT = 4444;

export async function defaultSyncAddresses(): Promise<{ signaling: string[]; relay: string | null }> {
  try {
    const res = await fetch('/hearth-config.json', { cache: 'no-store' });
    const parsed = v.safeParse(ConfigSchema, await res.json());
    if (parsed.success) return parsed.output;
  } catch {
    // Offline or served elsewhere: fall through to the conventional address.
  }
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return { signaling: [`${scheme}://${location.hostname}:${DEFAULT_SIGNALING_PORT}`], relay: null };
}
