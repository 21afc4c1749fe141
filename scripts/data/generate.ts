// Grows the real community to benchmark size by resampling it (docs/data-generator.md explains the
// method): members are clones of real writers spread over "copies" of the community; whole real
// conversations are drawn with replacement, re-enacted by the clones of their real participants
// (some rewired to another copy, which joins the copies into one community), shifted in time as a
// block; upvotes become 👍 reactions by randomly chosen members. Seeded: same options, same plan.
import type { CommunityPlan, PlanMember, PlanPost } from './community-plan';
import { Random } from './random';
import { SE_ATTRIBUTION, SE_LICENCE } from './se-csv';
import type { SeConversations } from './se-community';

export interface GenerateOptions {
  members: number;
  /** Conversations are drawn until the community holds at least this many records. */
  minRecords: number;
  /** …and at least this many threads and replies (the search benchmark needs 50,000 documents). */
  minPosts?: number;
  seed: string;
  /** Chance that a participant of a drawn conversation is taken from another copy. */
  rewire?: number;
  /** Largest time shift of a drawn conversation, each way. */
  maxShiftDays?: number;
}

const DAY = 86_400_000;

const FIRST = [
  'Ada',
  'Bo',
  'Cai',
  'Dana',
  'Eli',
  'Fen',
  'Gus',
  'Hana',
  'Ivo',
  'Jia',
  'Kai',
  'Lena',
  'Mo',
  'Nia',
  'Oren',
  'Pia',
  'Quinn',
  'Ren',
  'Sol',
  'Tova',
  'Uma',
  'Vic',
  'Wen',
  'Xia',
  'Yuki',
  'Zed',
  'Ari',
  'Bea',
  'Cyd',
  'Dev'
];
const LAST = [
  'Archer',
  'Brook',
  'Cole',
  'Dale',
  'Ember',
  'Frost',
  'Grove',
  'Hale',
  'Irwin',
  'Jade',
  'Knox',
  'Lowe',
  'Marsh',
  'Nash',
  'Oakes',
  'Park',
  'Reed',
  'Stone',
  'Thorn',
  'Vale',
  'Wells',
  'Young'
];
const ZH_FAMILY = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '林'];
const ZH_GIVEN = ['伟', '芳', '娜', '敏', '静', '磊', '洋', '艳', '勇', '杰', '娟', '涛', '明', '超', '霞', '平', '刚', '桂英', '晨', '子涵'];

/** A readable synthetic name (about one in five Chinese, since Hearth speaks zh-CN too), unique by its number. */
function syntheticName(rng: Random, n: number): string {
  if (rng.next() < 0.2) return `${rng.pick(ZH_FAMILY)}${rng.pick(ZH_GIVEN)}${n}`;
  return `${rng.pick(FIRST)} ${rng.pick(LAST)} ${n}`;
}

export function generatedCommunityPlan(conv: SeConversations, options: GenerateOptions): CommunityPlan {
  const rng = new Random(options.seed);
  const rewire = options.rewire ?? 0.2;
  const maxShift = (options.maxShiftDays ?? 120) * DAY;
  const writers = [...conv.writers.keys()];
  const perCopy = writers.length;
  const fullCopies = Math.floor(options.members / perCopy);
  const copies = Math.ceil(options.members / perCopy);
  if (fullCopies < 1) throw new Error(`at least ${perCopy} members are needed to clone every real writer once`);

  // Member i clones a real writer in copy floor(i / perCopy); the last copy clones a random subset.
  const clone = new Map<string, string>(); // `${writer}/${copy}` -> member handle
  const members: PlanMember[] = [];
  for (let k = 0; k < copies; k++) {
    const order = k < fullCopies ? writers : rng.shuffled(writers);
    for (const w of order) {
      if (members.length >= options.members) break;
      const handle = `m${members.length}`;
      clone.set(`${w}/${k}`, handle);
      members.push({ handle, name: syntheticName(rng, members.length + 1) });
    }
  }
  const cloneOf = (writer: string, copy: number) => clone.get(`${writer}/${copy}`) ?? clone.get(`${writer}/${rng.int(fullCopies)}`)!;

  // Gaps between a real writer's account creation and their first post: joins are sampled from them.
  const firstPost = new Map<string, number>();
  for (const b of conv.blocks) for (const p of b.posts) firstPost.set(p.author, Math.min(firstPost.get(p.author) ?? Infinity, p.ts));
  const joinGaps = [...conv.writers].filter(([, w]) => w.created !== null).map(([h, w]) => Math.max(0, firstPost.get(h)! - w.created!));

  const createdAt = conv.first - DAY;
  const earliest = conv.first;
  const latest = conv.last;
  const posts: PlanPost[] = [];
  const reactedBy = new Set<string>();
  let reactions = 0;
  let postCount = 0;
  let draws = 0;
  const fixedRecords = 3 + 2 * members.length; // genesis, creator profile, invite; a join and a profile each

  const minPosts = options.minPosts ?? 0;
  while (fixedRecords + postCount + reactions < options.minRecords || postCount < minPosts) {
    const copy = draws % copies;
    const block = rng.pick(conv.blocks);
    const tag = `g${draws++}`;
    // Shift the whole conversation, so reply delays stay real, within the real community's lifetime.
    // A clamped shift gets a random margin too: two draws of one block must not land on the same instant,
    // or their records would be identical and collapse into one.
    let shift = Math.round(rng.between(-maxShift, maxShift));
    if (block.start + shift < earliest) shift = earliest - block.start + rng.int(30 * DAY);
    if (block.end + shift > latest) shift = Math.max(earliest - block.start, latest - block.end - rng.int(30 * DAY));
    // One decision per participant and draw: an asker answering comments on their own question stays one person.
    const cast = new Map<string, string>();
    const castOf = (writer: string) => {
      let member = cast.get(writer);
      if (!member) {
        const from = rng.next() < rewire && copies > 1 ? (copy + 1 + rng.int(copies - 1)) % copies : copy;
        cast.set(writer, (member = cloneOf(writer, from)));
      }
      return member;
    };
    const threadRef = `${tag}:${block.posts[0].ref}`;
    for (const p of block.posts) {
      const ref = `${tag}:${p.ref}`;
      const author = castOf(p.author);
      const ts = p.ts + shift;
      if (p.kind === 'thread') posts.push({ ref, kind: 'thread', author, ts, title: p.title, body: p.body });
      else posts.push({ ref, kind: 'reply', author, ts, thread: threadRef, parent: `${tag}:${p.parent}`, body: p.body });
      postCount++;
      for (const day of p.upvotes) {
        // Voters are anonymous in the dump: any member but the author, once per post.
        let voter = author;
        for (let tries = 0; tries < 8 && (voter === author || reactedBy.has(`${voter}/${ref}`)); tries++) voter = rng.pick(members).handle;
        if (voter === author || reactedBy.has(`${voter}/${ref}`)) continue;
        reactedBy.add(`${voter}/${ref}`);
        const when = Math.max(ts + 60_000, day + shift + Math.round(rng.between(0, DAY)));
        posts.push({ kind: 'reaction', author: voter, ts: when, target: ref, emoji: '👍' });
        reactions++;
      }
    }
  }

  // Members join a sampled real gap before their first record; members with none joined when a real writer did.
  const firstOf = new Map<string, number>();
  for (const p of posts) firstOf.set(p.author, Math.min(firstOf.get(p.author) ?? Infinity, p.ts));
  const writerStarts = [...firstPost.values()];
  for (const m of members) {
    const first = firstOf.get(m.handle);
    const gap = joinGaps.length ? rng.pick(joinGaps) : DAY;
    m.joinedAt = Math.max(createdAt + DAY, (first ?? rng.pick(writerStarts)) - gap);
  }

  return {
    keyNamespace: `hearth-generated/${options.seed}`,
    genesis: {
      name: `Bicycles Meta, ${members.length.toLocaleString('en')} members (generated)`,
      description:
        `Benchmark community generated from Bicycles Meta Stack Exchange: ${members.length.toLocaleString('en')} synthetic members ` +
        're-enacting resampled real conversations (see docs/data-generator.md). ' +
        `Texts by ${SE_ATTRIBUTION}, licensed ${SE_LICENCE} (https://creativecommons.org/licenses/by-sa/4.0/). Demo keys only.`,
      emoji: '🚴',
      color: '#3b5bdb',
      createdAt,
      nonce: `generated/${options.seed}`
    },
    invite: { label: 'Generated members', nonce: `generated/${options.seed}` },
    members,
    posts
  };
}
