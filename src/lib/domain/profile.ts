// A member's profile as an edit form and back: the form starts from every field the member has
// published, so saving it again never drops the fields the member did not touch.
import type { BodyOf } from './record';

export interface ProfileFields {
  avatar: string;
  bio: string;
  /** One link a line, as typed. */
  links: string;
}

/** The form's fields from the member's projected profile (empty when the member has none yet). */
export function profileFields(me: { avatar?: string; bio?: string; links?: string[] } | undefined): ProfileFields {
  return { avatar: me?.avatar ?? '', bio: me?.bio ?? '', links: (me?.links ?? []).join('\n') };
}

/** The profile record's body: at most five http(s) links, empty fields left out. */
export function profileBody(name: string, fields: ProfileFields): BodyOf<'profile'> {
  const links = fields.links
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^https?:\/\/\S+$/.test(l))
    .slice(0, 5);
  return {
    name,
    bio: fields.bio.trim() || undefined,
    avatar: fields.avatar.trim() || undefined,
    links: links.length ? links : undefined
  };
}
