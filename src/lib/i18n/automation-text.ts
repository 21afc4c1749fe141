// Automation's notices, digests and run log in the reader's language, worded from the data the
// records carry (never from a sentence the writer's device stored in its own language).
import type { DigestData, NoticeMessage } from '../domain/automation';
import { i18n, t } from './index.svelte';

type NameOf = (key: string) => string;

/** A notice's text: its structured message worded for the reader, else the writer's own text. */
export function noticeText(body: { text: string; message?: NoticeMessage }, nameOf: NameOf): string {
  const m = body.message;
  if (!m) return body.text;
  switch (m.type) {
    case 'welcome':
      return t('notice.welcome', { name: m.name });
    case 'reminder':
      return t('notice.reminder', { tier: m.tier, date: i18n.date(m.expiresAt) });
    case 'nudge':
      return i18n.plural('notice.nudge', m.count, { days: i18n.plural('unit.days', m.days), names: i18n.list(m.members.map(nameOf)) });
  }
}

/** A thread's title as the reader sees it: a digest's worded from its week. */
export function threadTitle(row: { title: string | null; digest?: DigestData | null }): string {
  return row.digest ? t('digest.title', { week: i18n.week(row.digest.week) }) : (row.title ?? '');
}

/** A digest's sections worded for the reader: headings, counted replies, the new members as a list. */
export function digestText(digest: DigestData, nameOf: NameOf) {
  return {
    top: {
      heading: t('digest.top'),
      items: digest.top.map((item) => ({ id: item.id, title: item.title, replies: i18n.plural('digest.replies', item.replies) }))
    },
    questions: { heading: t('digest.questions'), items: digest.questions.map((item) => ({ id: item.id, title: item.title })) },
    newMembers: { heading: t('digest.new_members'), text: digest.newMembers.length ? i18n.list(digest.newMembers.map(nameOf)) : t('digest.none') },
    none: t('digest.none')
  };
}

/** One line of the automation log: what was written, for whom, by which device, when. */
export function autoLogText(r: { ts: number; body: { auto?: { rule: string; key: string; device: string }; to?: string } }, nameOf: NameOf): string {
  const auto = r.body.auto;
  const name = r.body.to ? nameOf(r.body.to) : '';
  const what =
    auto?.rule === 'welcome'
      ? t('auto.log_welcome', { name })
      : auto?.rule === 'reminder'
        ? t('auto.log_reminder', { name })
        : auto?.rule === 'nudge'
          ? t('auto.log_nudge', { name, week: i18n.week(auto.key) })
          : auto?.rule === 'digest'
            ? t('auto.log_digest', { week: i18n.week(auto.key) })
            : t('auto.log_other', { name });
  return t('auto.log_entry', { what, device: deviceText(auto?.device ?? ''), when: i18n.dateTime(r.ts) });
}

/** A device as the scheduler names it ("Chromium on Linux"), worded for the reader; anything else as written. */
function deviceText(device: string): string {
  const m = /^(\w+) on (\w+)$/.exec(device);
  return m ? t('auto.device_on', { browser: m[1], os: m[2] }) : device;
}
