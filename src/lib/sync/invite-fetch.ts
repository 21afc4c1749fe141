// Fetching what a short invite link leaves out: the community's genesis, the invite holding the
// link's public key and its author's profile, from whoever is in the community's lobby (room = the
// community id, password = the room secret; the creator's and admins' devices are always there, and
// before the community has keys every member's is). A throw-away document, never the community's:
// nothing is stored, and the caller checks what comes back (crypto/short-invite). The document's
// state is handed back too (`lobby`): the join seeds its lobby with it (LobbyOptions.seed), checked
// there as any peer's update, so the lobby is not downloaded a second time.
import * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import { WebrtcProvider } from 'y-webrtc';
import { installPatches } from './peer-sync';

export interface FetchedInvite {
  genesis: unknown;
  invite: unknown;
  /** The invite author's latest profile name, if a peer had it. */
  inviterName: string | null;
  /**
   * The lobby's authority records and tombstones as handed over (unchecked): the caller checks them
   * to count the members and to see whether the invite was revoked or used up before asking anything.
   */
  authority: unknown[];
  /** The lobby as fetched: the throw-away document's whole state as a Yjs update (unchecked). */
  lobby: Uint8Array;
}

/** Kinds that decide membership and an invite's standing (domain/authority), plus revoking tombstones. */
const AUTHORITY_VALUE_KINDS = new Set(['genesis', 'invite', 'join', 'admit', 'grant', 'ban', 'trust', 'level', 'tombstone']);
/** A lobby is read whole; beyond this many authority records the count is left out rather than checked. */
const MAX_AUTHORITY_VALUES = 50_000;

const isLocal = (url: string) => /^wss?:\/\/(localhost|127\.|\[::1\])/.test(url);

function find(records: Y.Map<unknown>, cid: string, inviteKey: string): Omit<FetchedInvite, 'lobby'> | null {
  const genesis = records.get(cid);
  let invite: { author?: unknown } | null = null;
  for (const value of records.values()) {
    const r = value as { kind?: unknown; author?: unknown; body?: { key?: unknown } } | null;
    if (r && r.kind === 'invite' && r.body?.key === inviteKey) invite = r;
  }
  if (!genesis || !invite) return null;
  let inviterName: string | null = null;
  let latest = -1;
  for (const value of records.values()) {
    const r = value as { kind?: unknown; author?: unknown; ts?: unknown; body?: { name?: unknown } } | null;
    if (r?.kind === 'profile' && r.author === invite.author && typeof r.ts === 'number' && r.ts > latest && typeof r.body?.name === 'string') {
      latest = r.ts;
      inviterName = r.body.name.slice(0, 60);
    }
  }
  const authority: unknown[] = [];
  for (const value of records.values()) {
    const kind = (value as { kind?: unknown } | null)?.kind;
    if (typeof kind === 'string' && AUTHORITY_VALUE_KINDS.has(kind) && authority.length < MAX_AUTHORITY_VALUES) authority.push(value);
  }
  return { genesis, invite, inviterName, authority };
}

/**
 * Resolves with the first genesis and invite (public key `inviteKey`) a peer hands over, or null
 * when nobody answered within `ms`. The room is left before it resolves, so the community's own
 * sync can take the same room name right after.
 */
export async function fetchInvite(
  at: { cid: string; secret: string; signaling: string[] },
  inviteKey: string,
  ms: number,
  signal?: AbortSignal
): Promise<FetchedInvite | null> {
  // Framing and deflating of large messages, the tab channel: as in every room of the app.
  installPatches();
  const doc = new Y.Doc();
  const awareness = new Awareness(doc);
  awareness.setLocalState(null);
  const records = doc.getMap('records');
  const provider = new WebrtcProvider(at.cid, doc, {
    signaling: at.signaling,
    password: at.secret,
    awareness,
    peerOpts: { config: { iceServers: at.signaling.every(isLocal) ? [] : [{ urls: 'stun:stun.l.google.com:19302' }] } }
  });
  const found = await new Promise<Omit<FetchedInvite, 'lobby'> | null>((resolve) => {
    const finish = (value: Omit<FetchedInvite, 'lobby'> | null) => {
      clearTimeout(timer);
      records.unobserve(check);
      signal?.removeEventListener('abort', abort);
      resolve(value);
    };
    const check = () => {
      // The peer's whole lobby copy arrives as one update: once the invite is there, so is what
      // decides its standing (a profile or a late record may still follow; take what is there).
      const hit = find(records, at.cid, inviteKey);
      if (hit) finish(hit);
    };
    const abort = () => finish(null);
    const timer = setTimeout(() => finish(find(records, at.cid, inviteKey)), ms);
    records.observe(check);
    signal?.addEventListener('abort', abort);
  });
  provider.destroy();
  await provider.key;
  await new Promise((resolve) => setTimeout(resolve, 0));
  // Taken once the room is left: what came until then, up to the moment it was left.
  const lobby = found ? Y.encodeStateAsUpdate(doc) : null;
  awareness.destroy();
  doc.destroy();
  return found && lobby ? { ...found, lobby } : null;
}
