// The signed-record model: every shared fact in a community is one immutable record
// { id, kind, cid, author, ts, body, sig }. Edits and deletions are new records that point at
// their target. This module holds the schemas and limits that every peer applies identically.
import * as v from 'valibot';

/** Records larger than this (canonical JSON bytes) are rejected: keeps a hostile peer from bloating every device. */
export const MAX_RECORD_BYTES = 64 * 1024;
export const MAX_TITLE = 200;
export const MAX_POST_BODY = 20_000;
export const MAX_NAME = 60;
export const RECORD_VERSION = 1;

const Id = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{43}$/));
const MemberId = Id;
const Text = (max: number) => v.pipe(v.string(), v.maxLength(max));
const NonEmptyPlain = (max: number) => v.pipe(v.string(), v.minLength(1), v.maxLength(max));
// A check, not a transform: the parsed body must stay byte-identical to what was signed.
const NonEmpty = (max: number) =>
  v.pipe(
    v.string(),
    v.maxLength(max),
    v.check((s) => s.trim().length > 0)
  );
/**
 * One real emoji (a single pictograph, flag or keycap, with its modifiers and ZWJ parts), never
 * arbitrary text: reactions render as buttons, and any string made 5,000 distinct "emoji".
 */
export const EMOJI_PATTERN =
  /^(?:\p{Regional_Indicator}{2}|[#*0-9]\uFE0F?\u20E3|\p{Extended_Pictographic}\uFE0F?\p{Emoji_Modifier}?(?:[\u{E0020}-\u{E007E}]+\u{E007F})?(?:\u200D\p{Extended_Pictographic}\uFE0F?\p{Emoji_Modifier}?)*)$/u;
const Emoji = v.pipe(v.string(), v.minLength(1), v.maxLength(16), v.regex(EMOJI_PATTERN));
const Sig = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{86}$/));
/** The tips of a member's record chain as a removal saw them (see `prev`): at most this many. */
export const MAX_HEADS = 64;
const Heads = v.optional(v.pipe(v.array(Id), v.maxLength(MAX_HEADS)));
const Url = v.pipe(v.string(), v.maxLength(300), v.regex(/^https?:\/\/\S+$/));
/** Marks a record written by an automation rule: one visible record per (rule, key), whichever device ran it. */
const Auto = v.optional(
  v.strictObject({ rule: v.pipe(v.string(), v.maxLength(40)), key: v.pipe(v.string(), v.maxLength(120)), device: v.pipe(v.string(), v.maxLength(60)) })
);
/** Chunks of an attachment's encrypted bytes (media/blob-crypto): 256 KiB each. */
export const CHUNK_BYTES = 256 * 1024;
export const MAX_ATTACHMENTS = 4;
/** Largest file any community accepts (the creator may set less); 200 chunk hashes in the record. */
export const MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024;
/** A thumbnail shown before the image arrives: a small data URL inside the (sealed) record. */
export const MAX_THUMB_CHARS = 8_000;
export const DEFAULT_MAX_FILE_MB = 20;
/** Largest upload allowance a creator can set, in MiB per 24 hours. */
export const MAX_UPLOAD_QUOTA_MB = 100_000;
/** The creator's settings for spreading recommendations across authors, least to most. */
export const DIVERSITY_SETTINGS = ['off', 'some', 'more'] as const;
export type DiversitySetting = (typeof DIVERSITY_SETTINGS)[number];
/**
 * An attachment's manifest: the bytes travel beside the document, content-addressed, split into
 * chunks each encrypted under `key` (a fresh key per attachment, so only readers of the record it is
 * in can open them) and named by the SHA-256 of its ciphertext.
 */
/** A MIME type as attachments carry it (type/subtype, no parameters). */
export const MIME_PATTERN = /^[\w.+-]+\/[\w.+-]+$/;
const Attachment = v.pipe(
  v.strictObject({
    kind: v.picklist(['image', 'file', 'audio', 'video']),
    name: NonEmptyPlain(200),
    type: v.pipe(v.string(), v.maxLength(100), v.regex(MIME_PATTERN)),
    size: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_ATTACHMENT_BYTES)),
    width: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(2048))),
    height: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(2048))),
    /** Voice notes and videos: length in seconds (voice notes at most 10 minutes). */
    duration: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(24 * 3600))),
    /** A voice note's waveform: up to 64 peaks, 0–255, base64url. */
    peaks: v.optional(v.pipe(v.string(), v.maxLength(86), v.regex(/^[A-Za-z0-9_-]*$/))),
    thumb: v.optional(v.pipe(v.string(), v.maxLength(MAX_THUMB_CHARS), v.regex(/^data:image\/(?:webp|jpeg|png);base64,[A-Za-z0-9+/=]+$/))),
    key: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{43}$/)),
    chunks: v.pipe(v.array(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{43}$/))), v.maxLength(Math.ceil(MAX_ATTACHMENT_BYTES / CHUNK_BYTES)))
  }),
  v.check((a) => a.chunks.length === Math.ceil(a.size / CHUNK_BYTES), 'chunks must cover the size')
);
const Attachments = v.optional(v.pipe(v.array(Attachment), v.minLength(1), v.maxLength(MAX_ATTACHMENTS)));
export type AttachmentManifest = v.InferOutput<typeof Attachment>;

/**
 * What an automation notice says, as data: each reader's device words it in the reader's language
 * (`text` stays as the writer's wording, for a reader whose app does not know the type).
 */
const NoticeMessage = v.optional(
  v.variant('type', [
    v.strictObject({ type: v.literal('welcome'), name: Text(MAX_NAME) }),
    v.strictObject({ type: v.literal('reminder'), tier: Text(40), expiresAt: v.pipe(v.number(), v.integer()) }),
    v.strictObject({
      type: v.literal('nudge'),
      count: v.pipe(v.number(), v.integer(), v.minValue(0)),
      days: v.pipe(v.number(), v.integer(), v.minValue(0)),
      members: v.pipe(v.array(MemberId), v.maxLength(50))
    })
  ])
);
/** A weekly digest thread's contents as data, worded by each reader's device. */
const DigestData = v.optional(
  v.strictObject({
    week: v.pipe(v.string(), v.regex(/^\d{4}-W\d{2}$/)),
    top: v.pipe(v.array(v.strictObject({ id: Id, title: Text(MAX_TITLE), replies: v.pipe(v.number(), v.integer(), v.minValue(0)) })), v.maxLength(5)),
    questions: v.pipe(v.array(v.strictObject({ id: Id, title: Text(MAX_TITLE) })), v.maxLength(5)),
    newMembers: v.pipe(v.array(MemberId), v.maxLength(50))
  })
);
/** Points one contribution earns (settings.points). */
const PointWeight = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(1000));
/** A points level content is limited to (level 1 is everyone). */
const PointsLevel = v.optional(v.pipe(v.number(), v.integer(), v.minValue(2), v.maxValue(9)));
const Tiers = v.optional(v.pipe(v.array(v.pipe(v.string(), v.minLength(1), v.maxLength(40))), v.maxLength(20)));

// ---- read access --------------------------------------------------------------------------
/**
 * A scope: every member, a paid tier, trust level n and above, or points level n and above (staff
 * are in every scope).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the class refuses control characters in a tier's name
export const SCOPE_PATTERN = /^(?:all|level:[1-3]|points:[2-9]|tier:[^\u0000-\u001f]{1,40})$/u;
const Scope = v.pipe(v.string(), v.maxLength(45), v.regex(SCOPE_PATTERN));
/** Epochs a key record may follow: concurrent leaves of one scope are few. */
export const MAX_PARENTS = 32;
/**
 * Wraps in one key or key-share record: 900 × 68 bytes of JSON + a header of at most ~2 KB stays
 * under MAX_RECORD_BYTES. A 10,000-member rotation takes 12 parts.
 */
export const MAX_WRAPS = 900;
export const MAX_PARTS = 1000;
/**
 * One wrap: the recipient's tag (the first 11 characters of their member id, 66 bits: compact,
 * and a collision only makes a member try one more wrap) then the AES-KW-wrapped epoch key (40
 * bytes, 54 characters).
 */
export const WRAP_TAG_LENGTH = 11;
const Wrap = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{65}$/));
/** Ciphertext of a sealed body, base64url: with its header, a sealed record stays under MAX_RECORD_BYTES. */
export const MAX_SEALED_CT = 60_000;

/**
 * Content kinds that may be sealed, with the pointers that stay in clear: projections need them
 * to place a record (a reply under its thread, an edit on its target) before or without opening
 * it. They leak the shape of a conversation (who replied to which post, when), not its words.
 */
export const SEALABLE = {
  thread: [],
  reply: ['thread', 'parent'],
  reaction: ['target'],
  edit: ['target'],
  feature: ['target'],
  series: [],
  event: [],
  rsvp: ['event'],
  'event-checkin': ['event'],
  question: [],
  answer: ['question'],
  // A poll's thread is optional, so it stays inside the ciphertext (a ref in clear is always present).
  poll: [],
  vote: ['poll'],
  challenge: [],
  checkin: ['challenge'],
  note: [],
  'note-edit': ['note'],
  notice: ['to']
} as const satisfies Record<string, readonly string[]>;
export type SealableKind = keyof typeof SEALABLE;
const REF_NAMES = ['thread', 'parent', 'target', 'question', 'poll', 'challenge', 'note', 'to', 'event'] as const;
export type RefName = (typeof REF_NAMES)[number];

function sameKeys(keys: string[], expected: readonly string[]): boolean {
  return keys.length === expected.length && expected.every((k) => keys.includes(k));
}

export const bodySchemas = {
  genesis: v.strictObject({
    name: NonEmpty(80),
    description: Text(1000),
    emoji: v.optional(Emoji),
    color: v.pipe(v.string(), v.regex(/^#[0-9a-fA-F]{6}$/)),
    createdAt: v.number(),
    nonce: v.pipe(v.string(), v.maxLength(64)),
    /** 'month': the community is held in shards, its core and one document per UTC month (docs/shards.md). */
    shards: v.optional(v.literal('month'))
  }),
  profile: v.strictObject({
    name: NonEmpty(MAX_NAME),
    bio: v.optional(Text(500)),
    /** An emoji avatar (images would bloat every device's copy). */
    avatar: v.optional(Emoji),
    links: v.optional(v.pipe(v.array(Url), v.maxLength(5)))
  }),
  thread: v.strictObject({
    title: NonEmpty(MAX_TITLE),
    body: Text(MAX_POST_BODY),
    mentions: v.optional(v.pipe(v.array(MemberId), v.maxLength(50))),
    /** Limited to members of these tiers (and moderators); shown to nobody else in the app. */
    tiers: Tiers,
    /** Limited to members at this points level or above (and staff): sealed under `points:<level>`. */
    level: PointsLevel,
    attachments: Attachments,
    auto: Auto,
    digest: DigestData
  }),
  reply: v.pipe(
    v.strictObject({
      thread: Id,
      /** The post this replies to: the thread itself or another reply in it. */
      parent: Id,
      /** Text, or empty when the reply carries attachments (a photo alone). */
      body: Text(MAX_POST_BODY),
      quote: v.optional(v.strictObject({ id: Id, text: Text(1000) })),
      mentions: v.optional(v.pipe(v.array(MemberId), v.maxLength(50))),
      attachments: Attachments,
      auto: Auto
    }),
    v.check((b) => b.body.trim().length > 0 || !!b.attachments?.length, 'a reply needs text or an attachment')
  ),
  reaction: v.strictObject({
    target: Id,
    emoji: Emoji,
    /** false withdraws this member's earlier reaction with the same emoji. */
    on: v.boolean()
  }),
  edit: v.strictObject({
    target: Id,
    title: v.optional(NonEmpty(MAX_TITLE)),
    body: Text(MAX_POST_BODY)
  }),
  tombstone: v.strictObject({ target: Id }),
  pin: v.strictObject({ target: Id, pinned: v.boolean() }),
  /**
   * A series (专栏): an ordered list of threads with a title and description, for everyone or one
   * tier. `of` names the series this record revises (absent: a new series, whose id is this record's);
   * the newest revision by the creator or an admin holds. A part scheduled for later appears when due.
   */
  series: v.strictObject({
    of: v.optional(Id),
    title: NonEmpty(MAX_TITLE),
    description: Text(2000),
    cover: v.optional(Emoji),
    tier: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(40))),
    /** Parts open to members at this points level or above; the index stays readable to everyone. */
    level: PointsLevel,
    parts: v.pipe(v.array(Id), v.maxLength(200))
  }),
  /**
   * An event (社区活动) the creator or an admin schedules: online (`link`), at a `place`, or both,
   * from `start` to `end` (ms since the epoch). `capacity` limits who is going (the rest wait in
   * line); `tier` limits it to a paid tier (and seals it under that tier's key), `level` to members
   * at that points level or above. `of` names the event this record revises (absent: a new event,
   * whose id is this record's); the newest revision by the creator or an admin holds.
   */
  event: v.pipe(
    v.strictObject({
      of: v.optional(Id),
      title: NonEmpty(MAX_TITLE),
      description: Text(4000),
      place: v.optional(NonEmpty(300)),
      link: v.optional(Url),
      start: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(8.64e15)),
      end: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(8.64e15)),
      capacity: v.nullable(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(100_000))),
      tier: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(40))),
      level: v.optional(v.pipe(v.number(), v.integer(), v.minValue(2), v.maxValue(9))),
      cancelled: v.optional(v.boolean())
    }),
    v.check((b) => b.end > b.start && b.end - b.start <= 31 * 86_400_000, 'an event ends after it starts, within 31 days')
  ),
  /** A member's answer to an event: the latest by (ts, id) holds. */
  rsvp: v.strictObject({ event: Id, status: v.picklist(['going', 'maybe', 'no']) }),
  /** Presence at an event: a member's own, or one the creator or an admin records for `member`. */
  'event-checkin': v.strictObject({ event: Id, member: v.optional(MemberId) }),
  /** A moderator marks a thread as featured (精华), with a short reason shown beside it. */
  feature: v.strictObject({ target: Id, featured: v.boolean(), reason: v.optional(Text(200)) }),
  /** Signed by the creator or an admin; carried in the invite link and stored in the doc. Revoked by a tombstone. */
  invite: v.strictObject({
    role: v.picklist(['member', 'moderator', 'admin']),
    tier: v.optional(v.pipe(v.string(), v.maxLength(40))),
    expiresAt: v.nullable(v.pipe(v.number(), v.integer())),
    maxUses: v.nullable(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1_000_000))),
    label: Text(80),
    /** Room secret hash: lets a peer check that the invite belongs to the room it was found in. */
    nonce: v.pipe(v.string(), v.maxLength(64)),
    /**
     * Public half of the invite's one-time key pair. The private half travels only in the invite
     * link, and a join must be signed with it: reading this record in the shared map gives nobody
     * a usable invite.
     */
    key: Id
  }),
  /**
   * A newcomer binds their key to an invite: `proof` is the invite key's signature over
   * (community, invite, member) — see crypto/invite-key — checked by the gate against `key`,
   * which authority then compares with the invite's. Limited and expiring invites also need an `admit`.
   */
  join: v.strictObject({ invite: Id, key: Id, proof: Sig }),
  /**
   * The creator, an admin or the inviter's device acknowledges joins on one invite, in order. Uses
   * of a limited invite are counted by admits (whose author's clock is trusted), never by the
   * joiner's own `ts`, so a backdated join cannot take a use.
   */
  admit: v.strictObject({ invite: Id, joins: v.pipe(v.array(Id), v.minLength(1), v.maxLength(200)) }),
  /**
   * Creator (any role) or admin (moderator/member) changes a member's role. A demotion names the
   * demoted member's record-chain tips it had seen (`heads`): their authority records outside that
   * causal past are void, whatever their `ts`.
   */
  grant: v.strictObject({ member: MemberId, role: v.picklist(['member', 'moderator', 'admin']), heads: Heads }),
  /**
   * Moderators ban and unban members. A ban names the member's record-chain tips it had seen
   * (`heads`): of the banned member's records, only that causal past stays, whatever their `ts`.
   */
  ban: v.strictObject({ member: MemberId, banned: v.boolean(), reason: v.optional(Text(500)), heads: Heads }),
  /** Moderators hide and unhide posts. */
  hide: v.strictObject({ target: Id, hidden: v.boolean() }),
  /** Any member flags a post for the moderators' review queue. */
  flag: v.strictObject({ target: Id, reason: v.picklist(['spam', 'abuse', 'off_topic', 'other']), note: v.optional(Text(300)) }),
  /** Moderators set a minimum interval between one member's replies in a thread (0 turns it off). */
  slowmode: v.strictObject({ thread: Id, seconds: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(86_400)) }),

  // ---- membership management ----------------------------------------------------------
  /** A tier the creator offers: name, price label, benefits, how long a payment lasts. */
  tier: v.strictObject({
    name: v.pipe(v.string(), v.minLength(1), v.maxLength(40)),
    price: Text(40),
    benefits: Text(1000),
    durationDays: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(3660))
  }),
  /** A payment recorded by the creator or an admin: extends the member's tier by its duration. */
  payment: v.strictObject({
    member: MemberId,
    tier: v.pipe(v.string(), v.minLength(1), v.maxLength(40)),
    amount: v.pipe(v.number(), v.minValue(0), v.maxValue(1e9)),
    currency: v.pipe(v.string(), v.maxLength(8)),
    /** Payment date as YYYY-MM-DD. */
    paidOn: v.pipe(v.string(), v.regex(/^\d{4}-\d{2}-\d{2}$/)),
    note: v.optional(Text(200))
  }),
  /** A short message to one member (reminders, welcomes). Readable by anyone holding the room secret. */
  notice: v.strictObject({ to: MemberId, text: NonEmpty(1000), auto: Auto, message: NoticeMessage }),
  /** A member's trust level as the creator's or an admin's automation computed it: grants level privileges on every peer. */
  trust: v.strictObject({ member: MemberId, level: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(3)) }),
  /**
   * A member's points level (1–9) as the creator's or an admin's automation computed it from every
   * record (it reads every scope): the level content limited to `points:<n>` is judged by, alike on
   * every peer, including those that cannot open the reactions and posts the points come from.
   */
  level: v.strictObject({ member: MemberId, level: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(9)) }),
  /** The creator pins a member's trust level (or releases the lock with null). */
  'trust-lock': v.strictObject({ member: MemberId, level: v.nullable(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(3))) }),
  /** Community settings (creator or admin; the latest record wins): automation, trust thresholds, watched words. */
  settings: v.strictObject({
    automation: v.strictObject({
      welcome: v.strictObject({ on: v.boolean(), text: Text(1000) }),
      digest: v.strictObject({ on: v.boolean() }),
      reminders: v.strictObject({ on: v.boolean(), daysBefore: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(60)) }),
      nudges: v.strictObject({ on: v.boolean(), inactiveDays: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(365)) })
    }),
    graceDays: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(60)),
    trust: v.strictObject({
      /** Thresholds to reach levels 1, 2 and 3. */
      levels: v.pipe(
        v.array(v.strictObject({ daysActive: v.number(), replies: v.number(), reactionsReceived: v.number(), daysSinceJoining: v.number() })),
        v.length(3)
      ),
      /** Activity window for keeping a level (demotion when activity drops), in days. */
      windowDays: v.pipe(v.number(), v.integer(), v.minValue(7), v.maxValue(3650))
    }),
    watchedWords: v.pipe(
      v.array(v.strictObject({ word: v.pipe(v.string(), v.minLength(1), v.maxLength(60)), action: v.picklist(['block', 'flag']) })),
      v.maxLength(500)
    ),
    /** Start a new epoch of every scope this many days after its newest one (absent: only on removals). */
    rotateDays: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(3650))),
    /** Largest file a member may attach, in MiB (absent: DEFAULT_MAX_FILE_MB). */
    maxFileMb: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_ATTACHMENT_BYTES / 1024 / 1024))),
    /** Points per contribution and the points each level 1–9 starts at (domain/points); absent: the defaults. */
    points: v.optional(
      v.strictObject({
        weights: v.strictObject({
          threads: PointWeight,
          replies: PointWeight,
          answers: PointWeight,
          answersAccepted: PointWeight,
          featured: PointWeight,
          checkins: PointWeight,
          reactionsReceived: PointWeight
        }),
        levels: v.pipe(
          v.array(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(1_000_000_000))),
          v.length(9),
          v.check((l) => l[0] === 0 && l.every((x, i) => i === 0 || x > l[i - 1]), 'levels start at 0 and rise')
        )
      })
    ),
    /**
     * How strongly each member's "For you" list spreads its places across authors (maximal marginal
     * relevance in the analysis worker; absent: off, the model's order).
     */
    diversity: v.optional(v.picklist(DIVERSITY_SETTINGS)),
    /**
     * How many MiB of attachments a member may post in 24 hours (domain/upload-quota): by trust
     * level 0–3 (null: no limit) and by paid tier; the larger allowance that applies holds. Absent: no limit.
     */
    uploadQuota: v.optional(
      v.strictObject({
        levels: v.pipe(v.array(v.nullable(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_UPLOAD_QUOTA_MB)))), v.length(4)),
        tiers: v.pipe(
          v.array(
            v.strictObject({
              tier: v.pipe(v.string(), v.minLength(1), v.maxLength(40)),
              mb: v.nullable(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_UPLOAD_QUOTA_MB)))
            })
          ),
          v.maxLength(20)
        )
      })
    )
  }),

  /**
   * The creator's or an admin's decision to hold a community made as one Yjs document in shards from
   * now on (docs/shards.md, "Migrating single-document communities"). One way: the first that stands
   * holds, whatever comes later (domain/shards `shardDecision`). A core record, judged as settings are.
   */
  shards: v.strictObject({ mode: v.literal('month') }),

  // ---- Q&A ----------------------------------------------------------------------------
  /** A question to the community, or to one member (`askTo`, as Knowledge Planet does). */
  question: v.strictObject({
    title: NonEmpty(MAX_TITLE),
    body: Text(MAX_POST_BODY),
    askTo: v.optional(MemberId),
    mentions: v.optional(v.pipe(v.array(MemberId), v.maxLength(50)))
  }),
  answer: v.strictObject({ question: Id, body: NonEmpty(MAX_POST_BODY), mentions: v.optional(v.pipe(v.array(MemberId), v.maxLength(50))) }),
  /** An upvote on a question or answer; the member's latest record decides. */
  upvote: v.strictObject({ target: Id, on: v.boolean() }),
  /** Accepts an answer (or withdraws acceptance with null). Only the asker or a moderator. */
  accept: v.strictObject({ question: Id, answer: v.nullable(Id) }),

  // ---- polls --------------------------------------------------------------------------
  poll: v.strictObject({
    title: NonEmpty(MAX_TITLE),
    options: v.pipe(v.array(NonEmpty(200)), v.minLength(2), v.maxLength(20)),
    multiple: v.boolean(),
    /** For multiple choice: how many options a member may pick at most. */
    maxChoices: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(20)),
    closesAt: v.nullable(v.pipe(v.number(), v.integer())),
    results: v.picklist(['always', 'after_vote', 'after_close']),
    /** The thread the poll belongs to, when it is inside one. */
    thread: v.optional(Id)
  }),
  /** A member's choices; the latest vote before the poll closes is the one counted. */
  vote: v.strictObject({ poll: Id, choices: v.pipe(v.array(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(19))), v.maxLength(20)) }),
  /** Closes a poll early: its author or a moderator. */
  close: v.strictObject({ target: Id }),

  // ---- check-in challenges (打卡) ------------------------------------------------------
  challenge: v.strictObject({
    title: NonEmpty(MAX_TITLE),
    prompt: Text(1000),
    /** First day, as the creator's calendar date YYYY-MM-DD. */
    startDate: v.pipe(v.string(), v.regex(/^\d{4}-\d{2}-\d{2}$/)),
    days: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(366))
  }),
  /** One per member per calendar day: `date` is the member's local date when checking in. */
  checkin: v.strictObject({
    challenge: Id,
    date: v.pipe(v.string(), v.regex(/^\d{4}-\d{2}-\d{2}$/)),
    note: Text(500)
  }),

  // ---- shared notes (co-edited rich text) ------------------------------------------------
  /** A note and who may edit it. The text lives in `note-edit` records: signed Yjs updates. */
  note: v.strictObject({
    title: NonEmpty(MAX_TITLE),
    access: v.picklist(['everyone', 'roles', 'members']),
    roles: v.optional(v.pipe(v.array(v.picklist(['admin', 'moderator', 'member'])), v.maxLength(3))),
    members: v.optional(v.pipe(v.array(MemberId), v.maxLength(200)))
  }),
  /** Changes who may edit a note: its author or a moderator; the latest record wins. */
  'note-access': v.strictObject({
    note: Id,
    access: v.picklist(['everyone', 'roles', 'members']),
    roles: v.optional(v.pipe(v.array(v.picklist(['admin', 'moderator', 'member'])), v.maxLength(3))),
    members: v.optional(v.pipe(v.array(MemberId), v.maxLength(200)))
  }),
  /** One batch of edits to a note: a Yjs update (base64url), applied only if its author may edit. */
  'note-edit': v.strictObject({ note: Id, update: v.pipe(v.string(), v.maxLength(48_000), v.regex(/^[A-Za-z0-9_-]*$/)) }),

  /**
   * How many records the creator's or an admin's device held (gate-passed, of this community) when
   * it wrote this: a device with fewer knows it still lacks history others have.
   */
  checkpoint: v.strictObject({ records: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(1e9)) }),

  // ---- private surveys -------------------------------------------------------------------
  survey: v.strictObject({
    title: NonEmpty(MAX_TITLE),
    questions: v.pipe(
      v.array(
        v.strictObject({
          id: v.pipe(v.string(), v.regex(/^[a-z0-9]{1,16}$/)),
          kind: v.picklist(['choice', 'scale', 'text']),
          prompt: NonEmpty(500),
          options: v.optional(v.pipe(v.array(NonEmpty(200)), v.minLength(2), v.maxLength(20)))
        })
      ),
      v.minLength(1),
      v.maxLength(30)
    ),
    /** Who can read the answers (the creator and admins): each response is encrypted to these keys. */
    recipients: v.pipe(v.array(MemberId), v.minLength(1), v.maxLength(20)),
    closesAt: v.nullable(v.pipe(v.number(), v.integer()))
  }),
  /** Answers encrypted (AES-GCM) under a fresh key, wrapped for each recipient with X25519. */
  'survey-response': v.strictObject({
    survey: Id,
    epk: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{43}$/)),
    iv: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{16}$/)),
    ciphertext: v.pipe(v.string(), v.maxLength(40_000), v.regex(/^[A-Za-z0-9_-]*$/)),
    keys: v.pipe(v.array(v.strictObject({ to: MemberId, wrapped: v.pipe(v.string(), v.maxLength(200)) })), v.minLength(1), v.maxLength(20))
  }),

  // ---- read access: epochs of scope keys, and content sealed under them (domain/epochs) -------
  /**
   * One part of a new epoch of a scope (creator or admin): a fresh 32-byte epoch key, wrapped for
   * every member entitled to the scope at `ts`. `epoch` is a random id chosen before signing (the
   * wraps are bound to it, and a record id cannot be known before its body is), shared by all parts
   * of one epoch; `parents` are the epochs of the scope this one follows (every leaf its author saw).
   */
  key: v.strictObject({
    scope: Scope,
    epoch: Id,
    parents: v.pipe(v.array(Id), v.maxLength(MAX_PARENTS)),
    /** SHA-256 commitment to the epoch key: a wrap or share that opens to any other key is refused. */
    commit: Id,
    /** Ephemeral X25519 public key of this part. */
    epk: Id,
    wraps: v.pipe(v.array(Wrap), v.maxLength(MAX_WRAPS)),
    part: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_PARTS - 1)),
    parts: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_PARTS)),
    reason: v.picklist(['start', 'removal', 'schedule', 'merge', 'manual'])
  }),
  /** An existing epoch's key wrapped for members entitled since (a newcomer, an upgrade): creator or admin. */
  'key-share': v.strictObject({
    scope: Scope,
    epoch: Id,
    epk: Id,
    wraps: v.pipe(v.array(Wrap), v.minLength(1), v.maxLength(MAX_WRAPS))
  }),
  /**
   * A content record (`of`) whose body is encrypted under an epoch key of a scope. In clear: the
   * kind, the pointers projections need to place it (`refs`, exactly SEALABLE[of]), the scope and
   * the epoch. The plaintext body minus `refs` is in `ct` (crypto/content-seal).
   */
  sealed: v.pipe(
    v.strictObject({
      of: v.picklist(Object.keys(SEALABLE) as SealableKind[]),
      refs: v.record(v.picklist(REF_NAMES), Id),
      sealed: v.strictObject({
        scope: Scope,
        epoch: Id,
        iv: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{16}$/)),
        ct: v.pipe(v.string(), v.minLength(22), v.maxLength(MAX_SEALED_CT), v.regex(/^[A-Za-z0-9_-]*$/))
      })
    }),
    v.check((b) => sameKeys(Object.keys(b.refs), SEALABLE[b.of]))
  )
} as const;

export type Kind = keyof typeof bodySchemas;
export const KINDS = Object.keys(bodySchemas) as Kind[];
export type BodyOf<K extends Kind> = v.InferOutput<(typeof bodySchemas)[K]>;

export interface SignedRecord<K extends Kind = Kind> {
  id: string;
  kind: K;
  /** Community id; the empty string for the genesis record, whose own id becomes the community id. */
  cid: string;
  author: string;
  ts: number;
  /**
   * The author's previous record in this community as the author's device knew it: each member's
   * records form a hash chain, so a ban can name exactly which of them it had seen.
   */
  prev?: string;
  body: BodyOf<K>;
  sig: string;
}

export type AnyRecord = { [K in Kind]: SignedRecord<K> }[Kind];

const EnvelopeSchema = v.strictObject({
  id: Id,
  kind: v.picklist(KINDS),
  cid: v.union([Id, v.literal('')]),
  author: MemberId,
  ts: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(8.64e15)),
  prev: v.optional(Id),
  body: v.unknown(),
  sig: Sig
});

export type RejectReason =
  | 'record.malformed'
  | 'record.too_large'
  | 'record.bad_id'
  | 'record.bad_signature'
  | 'record.bad_invite_proof'
  | 'record.wrong_community'
  | 'record.key_mismatch';

export type ParseResult = { ok: true; value: AnyRecord } | { ok: false; reason: RejectReason };

/** Structural check of anything that claims to be a record (from a peer, storage or a file). */
export function parseRecord(input: unknown): ParseResult {
  const env = v.safeParse(EnvelopeSchema, input);
  if (!env.success) return { ok: false, reason: 'record.malformed' };
  const kind = env.output.kind;
  const body = v.safeParse(bodySchemas[kind], env.output.body);
  if (!body.success) return { ok: false, reason: 'record.malformed' };
  if ((kind === 'genesis') !== (env.output.cid === '')) return { ok: false, reason: 'record.malformed' };
  return { ok: true, value: { ...env.output, body: body.output } as AnyRecord };
}

/** The part of a record that is hashed and signed: everything except id and sig. */
export function signedContent(r: Pick<SignedRecord, 'kind' | 'cid' | 'author' | 'ts' | 'body' | 'prev'>) {
  const content = { v: RECORD_VERSION, kind: r.kind, cid: r.cid, author: r.author, ts: r.ts, body: r.body };
  return r.prev === undefined ? content : { ...content, prev: r.prev };
}

/** The record a post points at, for kinds that point at one. */
export function targetOf(r: AnyRecord): string | null {
  switch (r.kind) {
    case 'reply':
      return r.body.thread;
    case 'reaction':
    case 'edit':
    case 'tombstone':
    case 'pin':
    case 'feature':
    case 'hide':
    case 'flag':
    case 'upvote':
    case 'close':
      return r.body.target;
    case 'answer':
    case 'accept':
      return r.body.question;
    case 'vote':
      return r.body.poll;
    case 'checkin':
      return r.body.challenge;
    case 'rsvp':
    case 'event-checkin':
      return r.body.event;
    case 'note-access':
    case 'note-edit':
      return r.body.note;
    case 'slowmode':
      return r.body.thread;
    case 'survey-response':
      return r.body.survey;
    case 'sealed':
      // The pointers in clear are exactly those the plaintext kind is placed by.
      return targetOf({ ...r, kind: r.body.of, body: r.body.refs } as unknown as AnyRecord);
    case 'join':
    case 'admit':
      return r.body.invite;
    default:
      return null;
  }
}

/** Total order used wherever "latest wins": by timestamp, then id, identical on every peer. */
export function compareRecords(a: Pick<SignedRecord, 'ts' | 'id'>, b: Pick<SignedRecord, 'ts' | 'id'>): number {
  return a.ts - b.ts || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
