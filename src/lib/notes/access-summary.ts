// One line saying who may edit a note, in the member's language.
import type { NoteAccess } from '../domain/notes';
import { t } from '../i18n/index.svelte';

export function accessSummary(access: NoteAccess, nameOf: (key: string) => string): string {
  if (access.access === 'everyone') return t('notes.access_everyone');
  if (access.access === 'roles') return t('notes.access_roles', { roles: access.roles.map((r) => t(`role.${r}`)).join(', ') });
  return t('notes.access_members', { names: access.members.map(nameOf).join(', ') });
}
