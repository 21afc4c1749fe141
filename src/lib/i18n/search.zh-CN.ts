// 简体中文 of the strings in search.ts: a module of its own, loaded with the Chinese dictionary only, so English readers never download it.
import type { searchEn } from './search';

export const searchZhCN: Record<keyof typeof searchEn, string> = {
  'search.title': '搜索',
  'search.label': '搜索本社群',
  'search.placeholder': '帖子、回复、问答、投票、笔记中的词…',
  'search.hint': '搜索在本设备上进行：输入的内容不会离开设备。',
  'search.results': '搜索结果',
  'search.count_one': '{count} 条结果',
  'search.count_other': '{count} 条结果',
  'search.partial': '没有同时包含所有词的内容；以下是包含部分词的结果。',
  'search.none': '没有找到与“{query}”相关的内容。',
  'search.loading': '正在打开搜索索引…',
  'search.building': '正在本设备上准备搜索…',
  'search.failed': '搜索不可用：无法准备索引。',
  'search.in': '于「{title}」',
  'search.kind.thread': '帖子',
  'search.kind.reply': '回复',
  'search.kind.question': '提问',
  'search.kind.answer': '回答',
  'search.kind.poll': '投票',
  'search.kind.note': '笔记',
  'search.not_searched': '未搜索（不在这台设备上）：{months}。',
  'search.more_months': '{months} 等另外 {n} 个月',
  'search.fetch_months': '取回这些月份并一起搜索',
  'search.fetching': '正在取回 {month}…',
  'search.fetch_failed': '现在在线的成员都没有 {month}。'
};
