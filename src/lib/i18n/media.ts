// Strings of attachments: images and files in posts.
export const mediaEn = {
  'media.attach': 'Attach photos or files',
  'media.attached': 'Attached',
  'media.remove': 'Remove {name}',
  'media.loading': 'Loading {name}',
  'media.download': 'Download {name} ({size})',
  'media.unavailable': 'Not on this device yet, and no member online has it. It arrives when one is.',
  'media.damaged': 'This attachment could not be opened: its data is damaged.',
  'media.retry': 'Try again',
  'media.too_many': 'A post can carry at most {max} attachments.',
  'media.too_large': '“{name}” is larger than this community allows ({mb} MB). Your text is kept.',
  'media.unreadable_image': '“{name}” could not be read as an image. Your text is kept.',
  'media.preparing': 'Preparing attachments…'
} as const;

export const mediaZhCN: Record<keyof typeof mediaEn, string> = {
  'media.attach': '添加图片或文件',
  'media.attached': '已添加',
  'media.remove': '移除 {name}',
  'media.loading': '正在加载 {name}',
  'media.download': '下载 {name}（{size}）',
  'media.unavailable': '此设备上还没有它，且没有在线成员拥有它。有成员上线时会自动送达。',
  'media.damaged': '无法打开此附件：数据已损坏。',
  'media.retry': '重试',
  'media.too_many': '每个帖子最多可带 {max} 个附件。',
  'media.too_large': '“{name}”超过了本社群允许的大小（{mb} MB）。你的文字已保留。',
  'media.unreadable_image': '无法将“{name}”读取为图片。你的文字已保留。',
  'media.preparing': '正在准备附件…'
};
