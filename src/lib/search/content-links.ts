// Where a piece of community content is read, relative to the app's base path. One place for the
// search results and the inbox, so both follow the routes when they move.

export type LinkedKind = 'thread' | 'reply' | 'question' | 'answer' | 'poll' | 'note' | 'challenge' | 'event';

/** `parent`: the thread of a reply or of a poll inside a thread, the question of an answer. */
export function contentLink(cid: string, kind: LinkedKind, id: string, parent = ''): string {
  const c = `/c/${cid}`;
  switch (kind) {
    case 'thread':
      return `${c}/t/${id}`;
    case 'reply':
      return `${c}/t/${parent}#post-${id}`;
    case 'question':
      return `${c}/q/${id}`;
    case 'answer':
      return `${c}/q/${parent}#answer-${id}`;
    case 'poll':
      // Polls are listed per community, or per thread for the polls inside one.
      return parent ? `${c}/polls?thread=${parent}#poll-${id}` : `${c}/polls#poll-${id}`;
    case 'note':
      return `${c}/notes/${id}`;
    case 'challenge':
      return `${c}/challenges/${id}`;
    case 'event':
      return `${c}/events/${id}`;
  }
}
