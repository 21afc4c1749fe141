// The notification inbox: local to this device, never synced. Its own IndexedDB database, so the
// projections can be rebuilt without touching what this member has read.
import Dexie, { type Table } from 'dexie';
import type { NotificationKind } from './derive';
import { abortWhenPageFreezes } from '../store/frozen-page';

export interface NotificationRow {
  /** `${kind}:${source}`: one notification per record and kind, however often it is announced. */
  id: string;
  cid: string;
  kind: NotificationKind;
  source: string;
  subject: string;
  /** Path below the app's base. */
  link: string;
  actor: string;
  /** Names as they were when the notification came (the inbox spans communities). */
  actorName: string;
  communityName: string;
  excerpt: string;
  ts: number;
  receivedAt: number;
  /** 0 or 1: numbers index in IndexedDB, booleans do not. */
  read: 0 | 1;
}

export interface InboxSettingRow {
  key: 'browser';
  value: boolean;
}

/** How many of a community's records the inbox has looked at: a different count means look again. */
export interface InboxCursorRow {
  cid: string;
  records: number;
}

export class InboxDb extends Dexie {
  notifications!: Table<NotificationRow, string>;
  settings!: Table<InboxSettingRow, string>;
  cursors!: Table<InboxCursorRow, string>;

  constructor(name = 'hearth-inbox') {
    super(name);
    this.version(1).stores({ notifications: 'id, cid, subject, ts, read, [cid+read]', settings: 'key', cursors: 'cid' });
  }
}

let shared: InboxDb | null = null;

export function openInboxDb(): InboxDb {
  if (!shared) abortWhenPageFreezes((shared = new InboxDb()));
  return shared;
}
