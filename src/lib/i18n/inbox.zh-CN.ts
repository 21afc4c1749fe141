// 简体中文 of the strings in inbox.ts: a module of its own, loaded with the Chinese dictionary only, so English readers never download it.
import type { inboxEn } from './inbox';

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
