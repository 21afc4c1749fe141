// Words of a text for the search index, the same way for documents, queries and highlighting:
// scripts written without spaces (Chinese, Japanese, Thai…) are cut into words by
// Intl.Segmenter('zh', {granularity: 'word'}); other scripts by a regular expression, which is
// about twenty times faster than the segmenter on English text. Latin words are lower-cased and
// Porter-stemmed ("brakes" and "braking" both index as "brake").
import { stemmer } from 'stemmer';

/** A word of a text: where it is, and the term it indexes as (null: a stopword, never indexed). */
export interface WordSpan {
  start: number;
  end: number;
  term: string | null;
}

// Runs of scripts that need a dictionary to find word boundaries.
const UNSPACED = '\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Thai}\\p{Script=Lao}\\p{Script=Khmer}\\p{Script=Myanmar}';
// One pass over the text: either a run of unspaced script, or a word of letters, marks and digits
// (inner apostrophes and decimal points kept: "don't", "3.5mm"), never swallowing unspaced script.
const LETTER = `(?:(?![${UNSPACED}])[\\p{L}\\p{M}\\p{N}])`;
const WORD = new RegExp(`([${UNSPACED}](?:[${UNSPACED}\\u30FC])*)|(${LETTER}+(?:(?:['’]|(?<=\\d)\\.(?=\\d))${LETTER}+)*)`, 'gu');
const ASCII_WORD = /^[a-z][a-z']*$/;

/** Frequent words that say nothing about a post; dropped from documents and queries alike. */
const STOPWORDS = new Set(
  (
    'a an and are as at be but by for from has have i if in into is it its of on or so that the their them then there these they ' +
    'this to was we were what when which who will with you your 的 了 是 在 和 也 就 都 而 及 与 着 吗 呢 吧 啊'
  ).split(' ')
);

let segmenter: Intl.Segmenter | null = null;
function zhSegmenter(): Intl.Segmenter {
  return (segmenter ??= new Intl.Segmenter('zh', { granularity: 'word' }));
}

/** The index term of one word as written: NFKC, lower case, stemmed when it is an English word. */
export function normalizeWord(word: string): string | null {
  const lower = word.normalize('NFKC').toLowerCase().replace(/’/g, "'");
  if (STOPWORDS.has(lower)) return null;
  // Single Latin letters and digits carry no meaning alone; single Chinese characters do.
  if (lower.length < 2 && !new RegExp(`[${UNSPACED}]`, 'u').test(lower)) return null;
  if (ASCII_WORD.test(lower)) {
    const base = lower.endsWith("'s") ? lower.slice(0, -2) : lower;
    return base.length > 2 ? stemmer(base) : base;
  }
  return lower;
}

/**
 * Every word of `text` with its position, in order, found as they are asked for: a snippet stops at
 * its first match rather than stemming every word of a long post.
 */
export function* eachWordSpan(text: string): Generator<WordSpan> {
  for (const m of text.matchAll(WORD)) {
    const at = m.index ?? 0;
    if (m[1] !== undefined) {
      for (const s of zhSegmenter().segment(m[1])) {
        if (!s.isWordLike) continue;
        yield { start: at + s.index, end: at + s.index + s.segment.length, term: normalizeWord(s.segment) };
      }
    } else {
      yield { start: at, end: at + m[0].length, term: normalizeWord(m[0]) };
    }
  }
}

/** Every word of `text` with its position, in order. */
export function wordSpans(text: string): WordSpan[] {
  return [...eachWordSpan(text)];
}

/** The terms a text is indexed under (stopwords left out), in order, repeats kept for term frequency. */
export function indexTerms(text: string): string[] {
  const out: string[] = [];
  for (const s of wordSpans(text)) if (s.term) out.push(s.term);
  return out;
}

/** One word of a query: the term it must match, and the form typed, for prefix matching as you type. */
export interface QueryWord {
  term: string;
  /** Lower-cased as typed, when prefix matching applies to it (the last word: 4+ letters, 2+ Chinese characters). */
  prefix: string | null;
}

/**
 * The words of a query. Only the last word is matched as a prefix (the one still being typed), and
 * on its unstemmed form: "bicy" stems to "bici" but is a prefix of the indexed "bicycl".
 */
export function queryWords(query: string): QueryWord[] {
  const spans = wordSpans(query.slice(0, 500));
  const words: QueryWord[] = [];
  spans.forEach((s, i) => {
    const typed = query.slice(s.start, s.end).normalize('NFKC').toLowerCase();
    const last = i === spans.length - 1 && !/\s$/.test(query);
    // Chinese words are short; a Latin prefix of three letters would expand to thousands of
    // words and documents (pro-, des-), so prefixes count from the fourth letter.
    const unspaced = new RegExp(`^[${UNSPACED}]`, 'u').test(typed);
    const prefix = last && typed.length >= (unspaced ? 2 : 4) ? typed : null;
    if (s.term === null && prefix === null) return;
    if (!words.some((w) => w.term === s.term && w.prefix === prefix)) words.push({ term: s.term ?? typed, prefix });
  });
  return words.slice(0, 12);
}
