// Content similarity for items that have no interactions yet: TF-IDF vectors of each thread's
// title and body. Chinese has no spaces, so Han runs are cut with Intl.Segmenter and also into
// character bigrams (robust where the runtime's dictionary segments poorly); other scripts are
// lowercased words with light English stemming.
import type { Feedback, Scorer } from './feedback';

const HAN = /\p{Script=Han}+/gu;
const WORD = /[\p{L}\p{N}]+/gu;
const STOP = new Set(
  (
    'a an and are as at be but by can could do does for from has have how i if in into is it its me my no not of on or our ' +
    'so than that the their them then there these they this those to was we were what when where which who why will with ' +
    'would you your about also any just more should some such very been being would had did here only other out up get ' +
    'one all like use used using question questions answer answers'
  ).split(' ')
);
const HAN_STOP = new Set(['的', '了', '是', '在', '和', '有', '我', '你', '他', '她', '也', '就', '都', '吗', '吧', '呢', '啊']);

/** Light suffix stripping: plurals, -ing, -ed. Enough to join "brakes"/"brake", "riding"/"ride". */
export function stem(word: string): string {
  if (word.length <= 3 || /\d/.test(word)) return word;
  if (word.endsWith('ies') && word.length > 4) return word.slice(0, -3) + 'y';
  if (word.endsWith('sses')) return word.slice(0, -2);
  if (/(?:ches|shes|xes|zes)$/.test(word)) return word.slice(0, -2);
  if (word.endsWith('s') && !/(?:ss|us|is)$/.test(word)) word = word.slice(0, -1);
  if (word.endsWith('ing') && word.length > 5) return word.slice(0, -3);
  if (word.endsWith('ed') && word.length > 4) return word.slice(0, -2);
  if (word.endsWith('e') && word.length > 3) return word.slice(0, -1);
  return word;
}

let segmenter: Intl.Segmenter | null = null;

/** Index terms of a text: stemmed lowercase words, Chinese words and Chinese character bigrams. */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  const normal = text.normalize('NFKC').toLowerCase();
  for (const run of normal.matchAll(HAN)) {
    const han = run[0];
    segmenter ??= new Intl.Segmenter('zh', { granularity: 'word' });
    for (const s of segmenter.segment(han)) if (s.isWordLike && s.segment.length > 1 && ![...s.segment].some((c) => HAN_STOP.has(c))) out.push(s.segment);
    const chars = [...han].filter((c) => !HAN_STOP.has(c));
    if (chars.length === 1) out.push(chars[0]);
    for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i] + chars[i + 1]);
  }
  for (const m of normal.replace(HAN, ' ').matchAll(WORD)) {
    const w = m[0];
    if (w.length < 2 || STOP.has(w)) continue;
    out.push(stem(w));
  }
  return out;
}

function l2(values: Iterable<number>): number {
  let s = 0;
  for (const x of values) s += x * x;
  return Math.sqrt(s);
}

export interface SparseVector {
  terms: Int32Array;
  weights: Float64Array;
}

export class TfIdf {
  readonly vocabulary = new Map<string, number>();
  readonly idf: Float64Array;
  /** One L2-normalised vector per document. */
  readonly vectors: SparseVector[];
  /** term -> documents containing it, with their weights. */
  private readonly postings: { doc: Int32Array; w: Float64Array }[];

  constructor(docs: readonly string[]) {
    const counted = docs.map((d) => {
      const tf = new Map<number, number>();
      for (const token of tokenize(d)) {
        let id = this.vocabulary.get(token);
        if (id === undefined) this.vocabulary.set(token, (id = this.vocabulary.size));
        tf.set(id, (tf.get(id) ?? 0) + 1);
      }
      return tf;
    });
    const v = this.vocabulary.size;
    const df = new Float64Array(v);
    for (const tf of counted) for (const id of tf.keys()) df[id]++;
    const n = docs.length;
    this.idf = df.map((d) => Math.log((1 + n) / (1 + d)) + 1);
    this.vectors = counted.map((tf) => {
      const terms = Int32Array.from([...tf.keys()].sort((a, b) => a - b));
      // Sublinear term frequency: a word repeated ten times is not ten times the topic.
      const weights = Float64Array.from(terms, (t) => (1 + Math.log(tf.get(t)!)) * this.idf[t]);
      const norm = l2(weights) || 1;
      for (let i = 0; i < weights.length; i++) weights[i] /= norm;
      return { terms, weights };
    });
    const lengths = new Int32Array(v);
    for (const vec of this.vectors) for (const t of vec.terms) lengths[t]++;
    this.postings = Array.from(lengths, (len) => ({ doc: new Int32Array(len), w: new Float64Array(len) }));
    const fill = new Int32Array(v);
    this.vectors.forEach((vec, d) =>
      vec.terms.forEach((t, a) => {
        const at = fill[t]++;
        this.postings[t].doc[at] = d;
        this.postings[t].w[at] = vec.weights[a];
      })
    );
  }

  get size(): number {
    return this.vectors.length;
  }

  /** Cosine similarity of a (normalised or not) query vector with every document. */
  scoreAll(query: Map<number, number>): Float64Array {
    const out = new Float64Array(this.vectors.length);
    for (const [t, q] of query) {
      const p = this.postings[t];
      for (let a = 0; a < p.doc.length; a++) out[p.doc[a]] += q * p.w[a];
    }
    return out;
  }

  /** Cosine similarity of document d with every document. */
  similarTo(d: number): Float64Array {
    const v = this.vectors[d];
    return this.scoreAll(new Map(Array.from(v.terms, (t, a) => [t, v.weights[a]])));
  }

  /** Cosine similarity of two documents (a merge of their sorted terms). */
  cosine(a: number, b: number): number {
    const x = this.vectors[a];
    const y = this.vectors[b];
    let i = 0;
    let j = 0;
    let s = 0;
    while (i < x.terms.length && j < y.terms.length) {
      if (x.terms[i] === y.terms[j]) s += x.weights[i++] * y.weights[j++];
      else if (x.terms[i] < y.terms[j]) i++;
      else j++;
    }
    return s;
  }

  /** Weighted sum of document vectors, normalised: what a member's threads are about. */
  profile(docs: ArrayLike<number>, weights?: ArrayLike<number>): Map<number, number> {
    const sum = new Map<number, number>();
    for (let a = 0; a < docs.length; a++) {
      const v = this.vectors[docs[a]];
      const w = weights ? weights[a] : 1;
      v.terms.forEach((t, b) => sum.set(t, (sum.get(t) ?? 0) + w * v.weights[b]));
    }
    const norm = l2(sum.values()) || 1;
    for (const [t, x] of sum) sum.set(t, x / norm);
    return sum;
  }

  /** The query's strongest terms, for explanations ("about brakes, tyres"). */
  topTerms(query: Map<number, number>, n: number): string[] {
    const names = [...this.vocabulary.keys()];
    return [...query]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([t]) => names[t]);
  }
}

/** Content-profile recommender: items like the ones the member touched. Items index the TF-IDF documents. */
export function fitContent(train: Feedback, index: TfIdf): Scorer {
  if (index.size !== train.items) throw new Error('one document per item is needed');
  return {
    name: 'content',
    score: (member) =>
      index.scoreAll(
        index.profile(
          train.itemsOf(member),
          train.weightsOf(member).map((w) => Math.log1p(w))
        )
      )
  };
}

/** The reference TF-IDF tokens: `[a-z][a-z0-9-]+` words and CJK runs as overlapping bigrams (a lone CJK character stays). */
export function referenceTokens(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/[a-z][a-z0-9-]{1,}|[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]+/g)) {
    const w = m[0];
    if (/^[a-z]/.test(w)) out.push(w);
    else if (w.length === 1) out.push(w);
    else for (let i = 0; i + 1 < w.length; i++) out.push(w.slice(i, i + 2));
  }
  return out;
}

/**
 * The plain TF-IDF profile of EVALUATION.md: words with df ≥ 2 over all threads, weight
 * (1 + ln count) · ln(N / df), vectors L2-normalised, a member's profile the sum of their
 * threads' vectors. Beside `content` (smoothed idf, stemming, weighted profile) because on new
 * threads the plain one ranks better (Bicycles temporal 0.307 against 0.288).
 */
export function fitPlainTfIdf(train: Feedback, text: readonly string[]): Scorer {
  const counted = text.map((t) => {
    const m = new Map<string, number>();
    for (const w of referenceTokens(t.toLowerCase())) m.set(w, (m.get(w) ?? 0) + 1);
    return m;
  });
  const df = new Map<string, number>();
  for (const m of counted) for (const w of m.keys()) df.set(w, (df.get(w) ?? 0) + 1);
  const n = text.length;
  const vectors = counted.map((m) => {
    const v = new Map<string, number>();
    let norm = 0;
    for (const [w, c] of m) {
      const d = df.get(w)!;
      if (d < 2) continue;
      const x = (1 + Math.log(c)) * Math.log(n / d);
      v.set(w, x);
      norm += x * x;
    }
    norm = Math.sqrt(norm);
    if (norm > 0) for (const [w, x] of v) v.set(w, x / norm);
    return v;
  });
  return {
    name: 'tfidf',
    score(member) {
      const profile = new Map<string, number>();
      for (const i of train.itemsOf(member)) for (const [w, x] of vectors[i]) profile.set(w, (profile.get(w) ?? 0) + x);
      return Float64Array.from(vectors, (v) => {
        let s = 0;
        for (const [w, x] of v) {
          const p = profile.get(w);
          if (p) s += x * p;
        }
        return s;
      });
    }
  };
}

/** BM25's constants: the usual k1 = 1.2 and b = 0.75. */
const BM25_K1 = 1.2;
const BM25_B = 0.75;

/**
 * BM25 over words (stemmed) and CJK character bigrams (`tokenize`): the member's threads are the
 * query, each term weighed ln(1 + times it occurs in them), so one long thread does not drown the
 * rest. Unlike TF-IDF's cosine, a long thread is not diluted by its length beyond b, and a term
 * in one thread only (df 1) links nothing and is dropped. The same formula as the feed ranker's
 * `bm25` feature (rolling.ts), there computed over the threads before each week.
 */
export function fitBm25(train: Feedback, text: readonly string[]): Scorer {
  const counted = text.map((t) => {
    const m = new Map<string, number>();
    for (const w of tokenize(t.toLowerCase())) m.set(w, (m.get(w) ?? 0) + 1);
    return m;
  });
  const length = counted.map((m) => [...m.values()].reduce((a, b) => a + b, 0));
  const average = length.reduce((a, b) => a + b, 0) / Math.max(1, length.length);
  const postings = new Map<string, { item: number; count: number }[]>();
  counted.forEach((m, item) => {
    for (const [w, count] of m) {
      let p = postings.get(w);
      if (!p) postings.set(w, (p = []));
      p.push({ item, count });
    }
  });
  const n = text.length;
  return {
    name: 'bm25',
    score(member) {
      const query = new Map<string, number>();
      for (const i of train.itemsOf(member)) for (const w of counted[i].keys()) query.set(w, (query.get(w) ?? 0) + 1);
      const out = new Float64Array(train.items);
      for (const [w, q] of query) {
        const p = postings.get(w)!;
        if (p.length < 2) continue;
        const idf = Math.log(1 + (n - p.length + 0.5) / (p.length + 0.5));
        for (const { item, count } of p) {
          const norm = BM25_K1 * (1 - BM25_B + BM25_B * (length[item] / average));
          out[item] += Math.log1p(q) * idf * ((count * (BM25_K1 + 1)) / (count + norm));
        }
      }
      return out;
    }
  };
}
