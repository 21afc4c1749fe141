import { describe, expect, it } from 'vitest';
import { Feedback } from './feedback';
import { fitBm25, fitContent, fitPlainTfIdf, stem, TfIdf, tokenize } from './tfidf';

describe('tokenize', () => {
  it('cuts Chinese into words and character bigrams, without particles', () => {
    const tokens = tokenize('我的自行车刹车坏了');
    expect(tokens).toContain('刹车');
    expect(tokens).toContain('自行');
    expect(tokens.some((t) => t.includes('的'))).toBe(false);
  });

  it('lowercases English, drops stop words and joins plural and -ing forms', () => {
    expect(tokenize('The Brakes and the brake')).toEqual(['brak', 'brak']);
    expect(stem('riding')).toBe(stem('rides'));
    expect(tokenize('Tyres 700c')).toEqual(['tyr', '700c']);
  });

  it('keeps English words inside Chinese text', () => {
    expect(tokenize('怎么调整 Shimano 变速器')).toEqual(expect.arrayContaining(['shimano', '变速', '速器', '调整']));
  });
});

describe('TF-IDF', () => {
  const docs = ['自行车刹车片磨损', '刹车片怎么更换', '变速器调整方法', '周末骑行路线推荐', '骑行路线：城市到郊区'];
  const index = new TfIdf(docs);

  it('finds the Chinese thread about the same topic as most similar', () => {
    const sims = index.similarTo(0);
    const others = [1, 2, 3, 4].sort((a, b) => sims[b] - sims[a]);
    expect(sims[0]).toBeCloseTo(1, 10);
    expect(others[0]).toBe(1); // 刹车 (brakes) is shared with doc 1
    expect(sims[3]).toBe(0);
  });

  it('gives rare terms more weight than common ones', () => {
    const id = (t: string) => index.vocabulary.get(t)!;
    expect(index.idf[id('骑行')]).toBeLessThan(index.idf[id('郊区')]);
  });

  it('recommends to a member the threads like the ones they touched', () => {
    const train = new Feedback(1, docs.length, [{ member: 0, item: 3, weight: 1, ts: 0 }]);
    const scores = fitContent(train, index).score(0);
    expect(scores[4]).toBeGreaterThan(scores[0]);
    expect(scores[4]).toBeGreaterThan(scores[2]);
  });
});

describe('plain TF-IDF profile', () => {
  it('keeps only words in two or more threads and scores a thread by its cosine with the sum of the member’s threads', () => {
    // "hops" is in threads 0 and 1, "yeast" in 1 and 2, "barrel" only in 2 (df 1: dropped).
    const text = ['hops hops', 'hops yeast', 'yeast barrel'];
    const train = new Feedback(1, 3, [{ member: 0, item: 0, ts: 0, weight: 1 }]);
    const s = fitPlainTfIdf(train, text).score(0);
    // Thread 0 is (hops) alone; thread 1 is (hops, yeast) with equal weights; thread 2 is (yeast).
    expect(s[0]).toBeCloseTo(1, 12);
    expect(s[1]).toBeCloseTo(Math.SQRT1_2, 12);
    expect(s[2]).toBe(0);
  });
});

describe("BM25 over the member's threads", () => {
  it("scores a thread sharing a word with the member's thread by ln 2 · idf and one sharing nothing 0", () => {
    // "hops" (stem "hop") is in threads 0 and 1 (df 2 of N 3): idf = ln(1 + 1.5 / 2.5); every
    // thread has 2 tokens, the average, so the term factor is 1 · 2.2 / (1 + 1.2) = 1. "citra"
    // is in thread 0 only and links nothing.
    const train = new Feedback(1, 3, [{ member: 0, item: 0, weight: 3, ts: 1 }]);
    const scores = fitBm25(train, ['Hops citra', 'hops lager', 'stout porter']).score(0);
    expect(scores[1]).toBeCloseTo(Math.log(2) * Math.log(1.6), 12);
    expect(scores[2]).toBe(0);
  });

  it('matches Chinese threads by shared character bigrams', () => {
    const train = new Feedback(1, 3, [{ member: 0, item: 0, weight: 3, ts: 1 }]);
    const scores = fitBm25(train, ['喜欢啤酒花', '这个啤酒好喝', '自行车刹车']).score(0);
    expect(scores[1]).toBeGreaterThan(0);
    expect(scores[2]).toBe(0);
  });

  it('ranks the shorter of two threads with the same shared word higher (length normalisation)', () => {
    const train = new Feedback(1, 3, [{ member: 0, item: 0, weight: 3, ts: 1 }]);
    const scores = fitBm25(train, ['stout', 'stout lager', 'stout porter barley malt yeast water']).score(0);
    expect(scores[1]).toBeGreaterThan(scores[2]);
  });
});
