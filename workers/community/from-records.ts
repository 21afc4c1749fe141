// A community snapshot straight from signed records, through the same pure projection the app
// uses: for Node tests, benchmarks and scripts that have a community file but no database.
import { computeAuthority } from '../../src/lib/domain/authority';
import { currentSettings, recommendationDiversity } from '../../src/lib/domain/membership';
import { projectCommunity, projectMembers } from '../../src/lib/domain/posts';
import type { AnyRecord, SignedRecord } from '../../src/lib/domain/record';
import { snapshotFromRows } from './from-rows';
import type { CommunitySnapshot, SnapshotView } from './snapshot';

export function snapshotFromRecords(records: AnyRecord[], me: string, views: SnapshotView[] = []): CommunitySnapshot {
  const genesis = records.find((r) => r.kind === 'genesis') as SignedRecord<'genesis'>;
  if (!genesis) throw new Error('no genesis record');
  const auth = computeAuthority(genesis, records);
  const { threads, replies } = projectCommunity(records, auth);
  const members = projectMembers(genesis.id, records, auth);
  const snapshot = snapshotFromRows({ cid: genesis.id, me, members, threads, replies, records, views });
  snapshot.diversity = recommendationDiversity(currentSettings(records, auth));
  return snapshot;
}
