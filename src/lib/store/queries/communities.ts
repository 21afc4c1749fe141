// The communities on this device, as the home page and the file export list them.
import type { CommunityRow, HearthDb } from '../db';

/** Every community on this device, the last opened first. */
export function recentCommunities(db: HearthDb): Promise<CommunityRow[]> {
  return db.communities.orderBy('lastOpened').reverse().toArray();
}
