// Popularity: the number of distinct members who touched each item. The baseline every model must beat.
import type { Feedback, Scorer } from './feedback';

export function fitPopularity(train: Feedback): Scorer {
  const counts = train.itemCounts();
  return { name: 'popularity', score: () => counts };
}
