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

export const inboxZhCN: Record<keyof typeof inboxEn, string> = {
  'inbox.title': '消息',
  'inbox.list': '通知列表',
  'inbox.unread': '{count} 条未读',
  'inbox.badge': '消息，{count} 条未读',
  'inbox.empty': '还没有消息。有人提到你、回复你、回答你的问题或发起新投票时会显示在这里。',
  'inbox.mark_all_read': '全部标为已读',
  'inbox.unread_marker': '未读',
  'inbox.in_community': '来自 {community}',
  'inbox.kind.mention': '{name} 提到了你',
  'inbox.kind.reply': '{name} 回复了你',
  'inbox.kind.answer': '{name} 回答了你的问题',
  'inbox.kind.asked': '{name} 向你提问',
  'inbox.kind.accepted': '{name} 采纳了你的回答',
  'inbox.kind.poll': '{name} 发起了投票',
  'inbox.kind.challenge': '{name} 发起了打卡挑战',
  'inbox.browser.enable': '开启浏览器通知',
  'inbox.browser.disable': '关闭浏览器通知',
  'inbox.browser.on': 'Hearth 在后台打开时，本设备会为每条新消息显示浏览器通知。',
  'inbox.browser.denied': '浏览器已阻止 Hearth 的通知。请在网站设置中允许后再开启。',
  'inbox.browser.unsupported': '此浏览器无法显示通知。'
};
