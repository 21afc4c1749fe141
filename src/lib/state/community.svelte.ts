// One open community: its document, its projected rows and the actions a member takes in it.
import Dexie from 'dexie';
import { randomId } from '../crypto/encoding';
import { sealRecord } from '../crypto/record-seal';
import type { Identity } from '../crypto/identity';
import { extractMentions } from '../domain/mentions';
import type { MemberRow, PostRow, ThreadRow } from '../domain/posts';
import type { AnyRecord, BodyOf, Kind, SignedRecord } from '../domain/record';
import type { CommunityRow, HearthDb } from '../store/db';
import type { AppendResult, CommunityDoc, DocHealth } from '../sync/community-doc';
import { openCommunityDoc } from '../sync/registry';
import { Live } from './live.svelte';

export const FEED_PAGE = 50;

export async function createCommunity(
  db: HearthDb,
  identity: Identity,
  memberName: string,
  fields: { name: string; description: string; emoji: string; color: string }
): Promise<{ ok: true; cid: string } | { ok: false; reason: string }> {
  const now = Date.now();
  const genesis = await sealRecord(identity, {
    kind: 'genesis',
    cid: '',
    ts: now,
    body: { name: fields.name, description: fields.description, emoji: fields.emoji || undefined, color: fields.color, createdAt: now, nonce: randomId() }
  });
  const cid = genesis.id;
  const doc = await openCommunityDoc(db, cid);
  const first = await doc.append(genesis);
  if (!first.ok) return first;
  const profile = await sealRecord(identity, { kind: 'profile', cid, ts: now, body: { name: memberName } });
  const second = await doc.append(profile);
  return second.ok ? { ok: true, cid } : second;
}

export class CommunityState {
  doc = $state<CommunityDoc | null>(null);
  health = $state<DocHealth>({ records: 0, rejected: 0, unreadableUpdates: 0 });
  openError = $state<string | null>(null);
  readonly info: Live<CommunityRow | undefined>;
  readonly members: Live<MemberRow[]>;
  readonly threadCount: Live<number>;
  readonly names = $derived(new Map(this.membersList().map((m) => [m.key, m.name])));

  constructor(
    readonly db: HearthDb,
    readonly cid: string,
    readonly identity: Identity
  ) {
    this.info = new Live<CommunityRow | undefined>(() => () => db.communities.get(cid), undefined);
    this.members = new Live<MemberRow[]>(() => () => db.members.where('cid').equals(cid).toArray(), []);
    this.threadCount = new Live(
      () => () => db.threads.where('[cid+rank]').between([cid, 0], [cid, Infinity]).count(),
      0
    );
    openCommunityDoc(db, cid).then(
      (doc) => {
        this.doc = doc;
        this.health = doc.health;
        doc.onHealth = (h) => (this.health = h);
        db.communities.update(cid, { lastOpened: Date.now() });
      },
      (error) => (this.openError = String(error))
    );
  }

  private membersList(): MemberRow[] {
    return this.members.value;
  }

  nameOf(key: string): string {
    return this.names.get(key) || key.slice(0, 8);
  }

  get isCreator(): boolean {
    return this.info.value?.creator === this.identity.publicKey;
  }

  feed(limit: () => number): Live<ThreadRow[]> {
    return new Live<ThreadRow[]>(() => {
      const n = limit();
      return () => this.db.threads.where('[cid+rank]').between([this.cid, 0], [this.cid, Infinity]).reverse().limit(n).toArray();
    }, []);
  }

  thread(id: () => string): Live<ThreadRow | undefined> {
    return new Live<ThreadRow | undefined>(() => {
      const tid = id();
      return () => this.db.threads.get(tid);
    }, undefined);
  }

  replies(threadId: () => string): Live<PostRow[]> {
    return new Live<PostRow[]>(() => {
      const tid = threadId();
      return () => this.db.replies.where('[thread+createdAt]').between([tid, Dexie.minKey], [tid, Dexie.maxKey]).toArray();
    }, []);
  }

  /** Earlier versions of a post, oldest first: the original record, then each of the author's edits. */
  async history(postId: string): Promise<{ ts: number; title?: string; body: string }[]> {
    const post = await this.db.records.get(postId);
    if (!post || (post.kind !== 'thread' && post.kind !== 'reply')) return [];
    const edits = (await this.db.records.where('target').equals(postId).toArray())
      .filter((r): r is SignedRecord<'edit'> & { target?: string } => r.kind === 'edit' && r.author === post.author)
      .sort((a, b) => a.ts - b.ts || (a.id < b.id ? -1 : 1));
    return [
      { ts: post.ts, title: post.kind === 'thread' ? post.body.title : undefined, body: post.body.body },
      ...edits.map((e) => ({ ts: e.ts, title: e.body.title, body: e.body.body }))
    ];
  }

  private async write<K extends Kind>(kind: K, body: BodyOf<K>): Promise<AppendResult> {
    const doc = this.doc ?? (await openCommunityDoc(this.db, this.cid));
    const record = await sealRecord(this.identity, { kind, cid: this.cid, ts: Date.now(), body });
    return doc.append(record as AnyRecord);
  }

  private mentions(text: string): string[] | undefined {
    const found = extractMentions(text, this.members.value);
    return found.length ? found : undefined;
  }

  postThread(title: string, body: string) {
    return this.write('thread', { title, body, mentions: this.mentions(body) });
  }

  reply(thread: string, parent: string, body: string, quote?: { id: string; text: string }) {
    return this.write('reply', { thread, parent, body, quote, mentions: this.mentions(body) });
  }

  react(target: string, emoji: string, on: boolean) {
    return this.write('reaction', { target, emoji, on });
  }

  edit(target: string, body: string, title?: string) {
    return this.write('edit', { target, body, title });
  }

  remove(target: string) {
    return this.write('tombstone', { target });
  }

  pin(target: string, pinned: boolean) {
    return this.write('pin', { target, pinned });
  }
}
