// One line saying who may edit a note, in the member's language.
import type { NoteAccess } from '../domain/notes';
import { i18n, t } from '../i18n/index.svelte';

export function accessSummary(access: NoteAccess, nameOf: (key: string) => string): string {
  if (access.access === 'everyone') return t('notes.access_everyone');
  if (access.access === 'roles') return t('notes.access_roles', { roles: i18n.list(access.roles.map((r) => t(`role.${r}`))) });
  return t('notes.access_members', { names: i18n.list(access.members.map(nameOf)) });
}
