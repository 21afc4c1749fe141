// Strings of the analysis features (For you, Related, social graph, insights dashboard),
// kept apart so those screens can grow without touching the core dictionaries.
export const insightsEn = {
  'insights.title': 'Insights',
  'foryou.title': 'For you'
} as const;

export const insightsZhCN: Record<keyof typeof insightsEn, string> = {
  'insights.title': '洞察',
  'foryou.title': '为你推荐'
};
