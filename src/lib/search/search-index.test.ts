// A query's best hits come in MiniSearch's own order (score, then the order found), picked without
// MiniSearch building and sorting a result for each of the thousands of documents a common word matches.
import fc from 'fast-check';
import MiniSearch from 'minisearch';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SearchDoc } from './documents';
import { bestMatches, CommunityIndex, OPTIONS, queryTree, SEARCH } from './search-index';
import { queryWords } from './tokenize';

const WORDS = ['brake', 'brakes', 'braking', 'wheel', 'chain', 'saddle', 'gear', 'gears', 'tyre', 'tubeless', '刹车片', '骑行', 'frame', 'fork'];

/** A corpus with repeated texts (equal scores, so ties), drawn from a small vocabulary. */
function corpus(seed: number, n: number): SearchDoc[] {
  let x = seed;
  const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const text = (words: number) => Array.from({ length: words }, () => WORDS[Math.floor(next() * WORDS.length)]).join(' ');
  const docs: SearchDoc[] = [];
  for (let i = 0; i < n; i++) {
    const repeat = i > 10 && next() < 0.3 ? docs[Math.floor(next() * i)] : null;
    const thread = next() < 0.3;
    docs.push({
      id: `d${i}`,
      cid: 'c',
      kind: thread ? 'thread' : 'reply',
      title: repeat ? repeat.title : thread ? text(3) : '',
      body: repeat ? repeat.body : text(1 + Math.floor(next() * 12)),
      context: '',
      parent: thread ? '' : 'd0',
      author: 'a',
      ts: i,
      tiers: []
    });
  }
  return docs;
}

/** What CommunityIndex.search answered before: MiniSearch's search, sorted whole, cut to `limit`. */
function reference(ms: MiniSearch, query: string, limit: number) {
  let results = ms.search(queryTree(query, 'AND')!, SEARCH);
  let partial = false;
  if (!results.length && queryWords(query).length > 1) {
    results = ms.search(queryTree(query, 'OR')!, SEARCH);
    partial = results.length > 0;
  }
  return { hits: results.slice(0, limit).map((r) => ({ id: String(r.id), score: r.score, terms: r.terms })), total: results.length, partial };
}

describe('search index', () => {
  afterEach(() => vi.restoreAllMocks());

  it("answers with MiniSearch's own best hits, scores, matched terms and order, equal scores in the order found", async () => {
    const docs = corpus(7, 600);
    const index = await CommunityIndex.build(docs);
    const ms = new MiniSearch(OPTIONS as never);
    ms.addAll(docs.map(({ id, title, body }) => ({ id, title, body })));
    for (const query of ['brake', 'brakes', 'wheel chain', 'brak', 'gear', 'gea', 'tubeless saddle fork', '刹车片', '骑行 frame', 'wheel nothing']) {
      for (const limit of [1, 20, 80, 1000]) expect(index.search(query, limit), `${query} / ${limit}`).toEqual(reference(ms, query, limit));
    }
  });

  it('picks the best hits without MiniSearch building and sorting a result for every match', async () => {
    const index = await CommunityIndex.build(corpus(11, 300));
    const search = vi.spyOn(MiniSearch.prototype, 'search');
    const sort = vi.spyOn(Array.prototype, 'sort');
    const outcome = index.search('brake', 5);
    expect(outcome.total).toBeGreaterThan(50);
    expect(outcome.hits).toHaveLength(5);
    expect(search).not.toHaveBeenCalled();
    expect(sort).not.toHaveBeenCalled();
  });

  it('keeps the best of any scores in the order a stable sort by score leaves them', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 200 }), fc.integer({ min: 0, max: 40 }), (scores, limit) => {
        const raw = new Map(scores.map((s, i) => [i, { score: s / 2, terms: i % 3 ? ['a'] : ['a', 'b'], match: { [`t${i}`]: ['body'] } }]));
        const expected = [...raw]
          .map(([short, r]) => ({ short, score: r.score * r.terms.length }))
          .sort((a, b) => b.score - a.score)
          .slice(0, limit);
        expect(bestMatches(raw, limit).map(({ short, score }) => ({ short, score }))).toEqual(expected);
      })
    );
  });
});
