// @mentions: a member is mentioned when "@" + their display name appears in a post.
// Names may contain spaces (Chinese names often have none), so we match known names, longest first.

export interface Named {
  key: string;
  name: string;
}

/** Finding members by name without holding every member's row: where the rows are (the community worker). */
export interface MemberSearch {
  /** Members whose name starts with this (any case): "@" suggestions. */
  find(prefix: string): Promise<Named[]>;
  /** The members a text's "@name"s mention. */
  mentioned(text: string): Promise<Named[]>;
}

export function extractMentions(text: string, members: Named[]): string[] {
  const found = new Set<string>();
  const sorted = members.filter((m) => m.name).sort((a, b) => b.name.length - a.name.length);
  let rest = text;
  for (const m of sorted) {
    const needle = '@' + m.name;
    if (rest.includes(needle)) {
      found.add(m.key);
      rest = rest.replaceAll(needle, ' ');
    }
  }
  return [...found].slice(0, 50);
}

/** The partial "@na" being typed at the caret, for suggestions; null when not in a mention. */
export function mentionQueryAt(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret);
  const at = before.lastIndexOf('@');
  if (at < 0 || (at > 0 && !/\s/.test(before[at - 1]))) return null;
  const query = before.slice(at + 1);
  if (query.length > 30 || /[\n@]/.test(query)) return null;
  return { start: at, query };
}
