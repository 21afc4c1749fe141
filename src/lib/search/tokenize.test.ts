import { describe, expect, it } from 'vitest';
import { markTerms, plainText, snippet } from './highlight';
import { CommunityIndex } from './search-index';
import { indexTerms, normalizeWord, queryWords } from './tokenize';
import type { SearchDoc } from './documents';

const doc = (id: string, title: string, body: string): SearchDoc => ({
  id,
  cid: 'c',
  kind: 'thread',
  title,
  body,
  context: '',
  parent: '',
  author: 'a',
  ts: 0,
  tiers: []
});

async function indexOf(...docs: SearchDoc[]) {
  return CommunityIndex.build(docs);
}

describe('tokenizer', () => {
  it('cuts Chinese text into words with Intl.Segmenter and keeps Latin words whole beside it', () => {
    const terms = indexTerms('周末骑自行车去西湖，iPhone手机很好用');
    expect(terms.join('')).toContain('自行');
    expect(terms).toContain('iphon');
    expect(terms.some((t) => t.includes('手机') || t === '手')).toBe(true);
    // No term mixes scripts: "iPhone手机" is two words.
    expect(terms.every((t) => !/[a-z]/.test(t) || !/\p{Script=Han}/u.test(t))).toBe(true);
  });

  it('stems English words so that plural, gerund and base form meet', () => {
    expect(normalizeWord('Brakes')).toBe(normalizeWord('braking'));
    expect(normalizeWord('bicycles')).toBe(normalizeWord('bicycle'));
    expect(normalizeWord('The')).toBeNull();
    expect(indexTerms('Tom’s 3.5mm cable, don’t')).toEqual(['tom', '3.5mm', 'cabl', "don't"]);
  });

  it('matches only the last query word as a prefix, on its form as typed', () => {
    expect(queryWords('brake bicy')).toEqual([
      { term: 'brake', prefix: null },
      { term: 'bici', prefix: 'bicy' }
    ]);
    expect(queryWords('brake ')).toEqual([{ term: 'brake', prefix: null }]);
  });
});

describe('search index', () => {
  it('finds a Chinese phrase, whichever way the segmenter cuts it', async () => {
    const index = await indexOf(doc('1', '周末骑行计划', '我们周末去骑自行车，路线经过西湖。'), doc('2', 'Brake pads', 'Replacing worn pads.'));
    expect(index.search('自行车').hits.map((h) => h.id)).toEqual(['1']);
    expect(index.search('骑自行车去西湖').hits.map((h) => h.id)).toEqual(['1']);
    expect(index.search('西湖路线').hits.map((h) => h.id)).toEqual(['1']);
  });

  it('finds English words by stem and by prefix while typing', async () => {
    const index = await indexOf(doc('1', 'Brake maintenance', 'How often do you replace brake pads on a touring bicycle?'), doc('2', '周末', '骑行'));
    expect(index.search('braking').hits.map((h) => h.id)).toEqual(['1']);
    expect(index.search('bicycles').hits.map((h) => h.id)).toEqual(['1']);
    expect(index.search('tour bicy').hits.map((h) => h.id)).toEqual(['1']);
    expect(index.search('maint').hits.map((h) => h.id)).toEqual(['1']);
    expect(index.search('unicycle').hits).toEqual([]);
  });

  it('requires every word, and falls back to any word (marked partial) when none has all', async () => {
    const index = await indexOf(doc('1', 'Chain lube', 'wax or oil'), doc('2', 'Chain wear', 'measure it'));
    expect(index.search('chain wax').hits.map((h) => h.id)).toEqual(['1']);
    const partial = index.search('chain unicorn');
    expect(partial.partial).toBe(true);
    expect(partial.hits.map((h) => h.id).sort()).toEqual(['1', '2']);
  });

  it('replaces an edited document and forgets a removed one', async () => {
    const index = await indexOf(doc('1', 'Old title', 'saddle height'));
    expect(index.put(doc('1', 'New title', 'handlebar tape'))).toBe(true);
    expect(index.put(doc('1', 'New title', 'handlebar tape'))).toBe(false);
    expect(index.search('saddle').hits).toEqual([]);
    expect(index.search('handlebar').hits.map((h) => h.id)).toEqual(['1']);
    expect(index.remove('1')).toBe(true);
    expect(index.search('handlebar').hits).toEqual([]);
    expect(index.size).toBe(0);
  });

  it('survives serialisation with its documents and fingerprints', async () => {
    const index = await indexOf(doc('1', '自行车刹车', 'brake cable'), doc('2', 'Tyres', 'tubeless'));
    const again = await CommunityIndex.fromBytes(await index.toBytes());
    expect(again.size).toBe(2);
    expect(again.search('刹车').hits.map((h) => h.id)).toEqual(['1']);
    expect(again.put(doc('2', 'Tyres', 'tubeless'))).toBe(false);
  });
});

describe('highlighting', () => {
  it('marks the matched words, and adjacent Chinese words as one', () => {
    const parts = markTerms('Replace the brake pads, braking gets better', new Set(['brake']));
    expect(parts.filter((p) => p.hit).map((p) => p.text)).toEqual(['brake', 'braking']);
    const zh = markTerms('我们骑自行车', new Set(indexTerms('自行车')));
    expect(zh.filter((p) => p.hit).map((p) => p.text)).toEqual(['自行车']);
  });

  it('keeps markup as text: a peer’s HTML is never interpreted', () => {
    const parts = markTerms('<img src=x onerror=alert(1)> brake', new Set(['brake']));
    expect(parts.map((p) => p.text).join('')).toBe('<img src=x onerror=alert(1)> brake');
  });

  it('cuts a snippet around the first match', () => {
    const text = 'lorem '.repeat(100) + 'the derailleur hanger bent ' + 'ipsum '.repeat(100);
    const parts = snippet(text, new Set(['derailleur']), 120);
    expect(parts[0]).toEqual({ text: '…', hit: false });
    expect(parts.find((p) => p.hit)?.text).toBe('derailleur');
    expect(parts.map((p) => p.text).join('').length).toBeLessThanOrEqual(124);
  });

  it('strips Markdown link targets and syntax before indexing and showing', () => {
    expect(plainText('## Title\n**bold** [a link](https://example.com/x) `code`')).toBe('Title bold a link code');
  });
});
