// Keeps one open CommunityDoc per community for the life of the page, so every screen and,
// later, every sync provider share the same document.
import type { HearthDb } from '../store/db';
import { CommunityDoc } from './community-doc';

const open = new Map<string, Promise<CommunityDoc>>();

export function openCommunityDoc(db: HearthDb, cid: string): Promise<CommunityDoc> {
  let doc = open.get(cid);
  if (!doc) {
    const created = new CommunityDoc(db, cid);
    doc = created.open().then(() => created);
    doc.catch(() => open.delete(cid));
    open.set(cid, doc);
  }
  return doc;
}
