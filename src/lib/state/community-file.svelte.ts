// Importing and exporting community files on this device. An import goes through the same door as
// a peer's records: they are put into the community's Yjs map, whose observer runs the validation
// gate and the projection, so a file can never show what a peer could not.
import { openCommunityDoc } from '../sync/registry';
import { defaultSyncAddresses } from '../sync/defaults';
import { randomId } from '../crypto/encoding';
import { checkRecord } from '../crypto/record-seal';
import type { AnyRecord } from '../domain/record';
import type { HearthDb } from '../store/db';
import { communityFromGenesis } from '../store/projection';
import { CommunityFileRecords, communityFileText, MAX_COMMUNITY_FILE_BYTES, readCommunityFile, type CommunityFileReason } from '../domain/community-file';

export type ImportPhase = 'idle' | 'reading' | 'checking' | 'storing' | 'done' | 'failed';

export interface ImportOutcome {
  cid: string;
  name: string;
  /** Records in the file, valid-looking or not. */
  total: number;
  /** Newly stored on this device after the gate. */
  imported: number;
  /** Already here before the import. */
  already: number;
  /** Refused: malformed, of another community, or failed the gate (id, signature). */
  rejected: number;
}

const CHUNK = 2000;
const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

export class CommunityFileImport {
  phase = $state<ImportPhase>('idle');
  fileName = $state('');
  done = $state(0);
  total = $state(0);
  outcome = $state<ImportOutcome | null>(null);
  error = $state<CommunityFileReason | 'community_file.failed' | null>(null);

  constructor(readonly db: HearthDb) {}

  get busy(): boolean {
    return this.phase === 'reading' || this.phase === 'checking' || this.phase === 'storing';
  }

  async run(file: File): Promise<void> {
    if (this.busy) return;
    this.fileName = file.name;
    this.outcome = null;
    this.error = null;
    this.done = 0;
    this.total = 0;
    if (file.size > MAX_COMMUNITY_FILE_BYTES) return this.#fail('community_file.too_large');

    this.phase = 'reading';
    let text: string;
    try {
      text = await file.text();
    } catch {
      return this.#fail('community_file.unreadable');
    }
    const envelope = readCommunityFile(text);
    if (!envelope.ok) return this.#fail(envelope.reason);
    const { cid, entries } = envelope.value;

    // Structural checks in chunks, so the page keeps painting the progress of a large file.
    this.phase = 'checking';
    this.total = entries.length;
    const collector = new CommunityFileRecords(cid);
    for (let i = 0; i < entries.length; i += CHUNK) {
      collector.add(entries.slice(i, i + CHUNK));
      this.done = Math.min(entries.length, i + CHUNK);
      await nextTask();
    }
    const parsed = collector.finish();
    if (!parsed.ok) return this.#fail(parsed.reason);
    const records = parsed.value.records;

    this.phase = 'storing';
    try {
      await describeShardedCommunity(this.db, cid, records);
      const doc = await openCommunityDoc(this.db, cid);
      const { already, present } = await doc.importRecords(records);
      let community = await this.db.communities.get(cid);
      if (community && !community.secret) {
        // The file carries records, not the room secret: this device opens a room of its own for the
        // community, so it can sync and invite (members of the original room join it by invite).
        const addresses = await defaultSyncAddresses();
        await this.db.communities.update(cid, { secret: randomId(32), signaling: addresses.signaling, relay: addresses.relay });
        community = await this.db.communities.get(cid);
      }
      this.outcome = {
        cid,
        name: community?.name ?? cid.slice(0, 8),
        total: entries.length,
        imported: present - already,
        already,
        rejected: entries.length - present
      };
      this.phase = 'done';
    } catch (error) {
      console.error('community import failed', error);
      this.#fail('community_file.failed');
    }
  }

  #fail(reason: CommunityFileReason | 'community_file.failed'): void {
    this.error = reason;
    this.phase = 'failed';
  }
}

/**
 * A community held in shards opens as one (`ShardedCommunity`) only if the device knows so before it
 * opens: `isShardedCommunity` reads the community's row or its stored genesis, and a device that never
 * held the community has neither when it imports the file, which was then imported into one document
 * (`CommunityDoc`) whatever its genesis said. So the file's genesis, checked like a peer's (id and
 * signature), gives the row first, as creating or joining a community does.
 */
async function describeShardedCommunity(db: HearthDb, cid: string, records: readonly AnyRecord[]): Promise<void> {
  const genesis = records.find((r) => r.kind === 'genesis' && r.id === cid);
  if (!genesis || genesis.kind !== 'genesis' || genesis.body.shards !== 'month') return;
  const existing = await db.communities.get(cid);
  if (existing) return;
  const checked = await checkRecord(genesis, { cid });
  if (checked.ok && checked.value.kind === 'genesis') await db.communities.put(communityFromGenesis(checked.value, existing));
}

/**
 * Ids of a community's stored records, read as one range of keys: looking up a 100,000-record file's
 * ids one by one (twice, before and after) took the page seconds.
 */
/** The file text of a community as this device holds it: every record in its document. */
export async function exportCommunityFile(db: HearthDb, cid: string): Promise<string> {
  const doc = await openCommunityDoc(db, cid);
  return communityFileText(cid, await doc.exportRecords());
}
