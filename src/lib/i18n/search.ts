// Strings of search, kept apart so that screen can grow without touching the core dictionaries.
export const searchEn = {
  'search.title': 'Search',
  'search.label': 'Search this community',
  'search.placeholder': 'Words from threads, replies, questions, polls, notes…',
  'search.hint': 'Search runs on this device: what you type never leaves it.',
  'search.results': 'Search results',
  'search.count_one': '{count} result',
  'search.count_other': '{count} results',
  'search.partial': 'Nothing has all of these words; showing what has some of them.',
  'search.none': 'Nothing found for “{query}”.',
  'search.loading': 'Opening the search index…',
  'search.building': 'Preparing search on this device…',
  'search.failed': 'Search is not available: the index could not be prepared.',
  'search.in': 'in “{title}”',
  'search.kind.thread': 'Thread',
  'search.kind.reply': 'Reply',
  'search.kind.question': 'Question',
  'search.kind.answer': 'Answer',
  'search.kind.poll': 'Poll',
  'search.kind.note': 'Note'
} as const;
