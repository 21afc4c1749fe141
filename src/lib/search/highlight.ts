// What a search result shows: the text of a post without Markdown syntax, cut to a snippet around
// the first match, as plain-text parts marked hit or not. The UI renders the parts as text nodes
// (never as HTML), so a peer's post cannot inject markup through a result.
import { eachWordSpan, wordSpans } from './tokenize';

export interface TextPart {
  text: string;
  hit: boolean;
}

/** Plain text of a Markdown post, as indexed and shown: link targets, images and syntax removed. */
export function plainText(markdown: string): string {
  return markdown
    .replace(/```[^\n]*\n?/g, ' ')
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>\n]{1,200}>/g, ' ')
    .replace(/^\s{0,3}(?:#{1,6}|>|[-*+]|\d+\.)\s+/gm, '')
    .replace(/[*_~`]+/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Splits `text` into parts, marking the words whose index term is one of `terms`. */
export function markTerms(text: string, terms: ReadonlySet<string>): TextPart[] {
  const parts: TextPart[] = [];
  let at = 0;
  for (const w of wordSpans(text)) {
    if (!w.term || !terms.has(w.term)) continue;
    if (w.start > at) parts.push({ text: text.slice(at, w.start), hit: false });
    // Adjacent hits (two Chinese words of one phrase) become one mark.
    const prev = parts[parts.length - 1];
    if (prev?.hit && w.start === at) prev.text += text.slice(w.start, w.end);
    else parts.push({ text: text.slice(w.start, w.end), hit: true });
    at = w.end;
  }
  if (at < text.length) parts.push({ text: text.slice(at), hit: false });
  return parts;
}

/**
 * About `length` characters of `text` around its first matching word, with the matches marked;
 * the start of the text when nothing matches.
 */
export function snippet(text: string, terms: ReadonlySet<string>, length = 180): TextPart[] {
  if (text.length <= length) return markTerms(text, terms);
  let first = -1;
  for (const w of eachWordSpan(text)) {
    if (w.term && terms.has(w.term)) {
      first = w.start;
      break;
    }
  }
  let start = first < 0 ? 0 : Math.max(0, first - Math.floor(length / 3));
  // Start at a word boundary, so the snippet does not begin in the middle of a word.
  if (start > 0) {
    const space = text.indexOf(' ', start);
    if (space >= 0 && space < first) start = space + 1;
  }
  const end = Math.min(text.length, start + length);
  const parts = markTerms(text.slice(start, end), terms);
  if (start > 0) parts.unshift({ text: '…', hit: false });
  if (end < text.length) parts.push({ text: '…', hit: false });
  return parts;
}
