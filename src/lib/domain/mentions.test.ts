import { describe, expect, it } from 'vitest';
import { extractMentions, mentionQueryAt } from './mentions';

const members = [
  { key: 'k1', name: 'Ann' },
  { key: 'k2', name: 'Ann Lee' },
  { key: 'k3', name: '王小明' }
];

describe('mentions', () => {
  it('finds the longest matching name, in Chinese and English', () => {
    expect(extractMentions('thanks @Ann Lee and @王小明!', members).sort()).toEqual(['k2', 'k3']);
    expect(extractMentions('@Ann, look', members)).toEqual(['k1']);
    expect(extractMentions('email ann@example.com', members)).toEqual([]);
  });

  it('detects the mention being typed at the caret', () => {
    expect(mentionQueryAt('hi @An', 6)).toEqual({ start: 3, query: 'An' });
    expect(mentionQueryAt('mail a@b', 8)).toBeNull();
    expect(mentionQueryAt('no mention', 10)).toBeNull();
  });
});
