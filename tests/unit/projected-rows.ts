import type { HearthDb } from '../../src/lib/store/db';

/** Every projected row of a community, each table in a fixed order: what `toEqual` compares between an incremental projection and a rebuild. */
export async function projectedRows(db: HearthDb, cid: string) {
  const byId = <T extends { id: string }>(rows: T[]) => rows.sort((a, b) => a.id.localeCompare(b.id));
  return {
    threads: byId(await db.threads.where('cid').equals(cid).toArray()),
    replies: byId(await db.replies.where('cid').equals(cid).toArray()),
    members: (await db.members.where('cid').equals(cid).toArray()).map((m) => ({ ...m })).sort((a, b) => a.key.localeCompare(b.key)),
    questions: byId(await db.questions.where('cid').equals(cid).toArray()),
    answers: byId(await db.answers.where('cid').equals(cid).toArray()),
    polls: byId(await db.polls.where('cid').equals(cid).toArray()),
    challenges: byId(await db.challenges.where('cid').equals(cid).toArray())
  };
}
