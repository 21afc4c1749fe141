// Strings of the notification inbox, kept apart so that screen can grow without touching the core
// dictionaries.
export const inboxEn = {
  'inbox.title': 'Inbox',
  'inbox.list': 'Notifications',
  'inbox.unread': '{count} unread',
  'inbox.badge': 'Inbox, {count} unread',
  'inbox.empty': 'Nothing yet. Mentions, replies to you, answers to your questions and new polls show up here.',
  'inbox.mark_all_read': 'Mark all as read',
  'inbox.unread_marker': 'Unread',
  'inbox.in_community': 'in {community}',
  'inbox.kind.mention': '{name} mentioned you',
  'inbox.kind.reply': '{name} replied to you',
  'inbox.kind.answer': '{name} answered your question',
  'inbox.kind.asked': '{name} asked you a question',
  'inbox.kind.accepted': '{name} accepted your answer',
  'inbox.kind.poll': '{name} started a poll',
  'inbox.kind.challenge': '{name} started a challenge',
  'inbox.browser.enable': 'Turn on browser notifications',
  'inbox.browser.disable': 'Turn off browser notifications',
  'inbox.browser.on': 'This device shows a browser notification for each new item while Hearth is open in the background.',
  'inbox.browser.denied': 'This browser blocks notifications from Hearth. Allow them in the site settings to turn them on.',
  'inbox.browser.unsupported': 'This browser cannot show notifications.'
} as const;
