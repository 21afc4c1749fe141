// Markdown for posts: rendered by marked, then sanitised by DOMPurify before it touches the DOM.
// Posts come from other members' devices, so everything here treats input as hostile:
// scripts, event handlers, javascript: URLs, SVG and MathML payloads and forms are removed.
import DOMPurify from 'dompurify';
import { Lexer, Marked } from 'marked';
import { Lru } from '../domain/lru';

const marked = new Marked({ gfm: true, breaks: true, async: false });

let hooked = false;
function purifier() {
  if (!hooked) {
    // Links open outside the app and do not hand our window to the target.
    DOMPurify.addHook('afterSanitizeAttributes', (node) => {
      if (node.tagName === 'A') {
        node.setAttribute('target', '_blank');
        node.setAttribute('rel', 'noopener noreferrer nofollow ugc');
      }
      if (node.tagName === 'IMG') {
        node.setAttribute('loading', 'lazy');
        node.setAttribute('referrerpolicy', 'no-referrer');
      }
    });
    hooked = true;
  }
  return DOMPurify;
}

/**
 * Rendered posts, least recently used first, within a budget of characters (source and HTML): a
 * thread's replies are read again on every new reply, reaction or edit, and each Post derived its
 * HTML again from the new row. In the latency bench a reply took 128 ms to show in a thread's first 50
 * replies and 290 ms by its last 50, rendering every reply before it each time.
 */
export class RenderedPosts {
  #html: Lru<string, string>;

  constructor(readonly budget = 4_000_000) {
    this.#html = new Lru(budget, (key, html) => key.length + html.length);
  }

  /** The HTML for `key`, made by `render` when not held; a value larger than the whole budget is not kept. */
  get(key: string, render: () => string): string {
    const held = this.#html.get(key);
    if (held !== undefined) return held;
    const html = render();
    this.#html.set(key, html);
    return html;
  }

  get count(): number {
    return this.#html.count;
  }
}

const rendered = new RenderedPosts();

/** A post's Markdown as sanitised HTML, with "@name" of the given members marked; the same inputs give the same HTML, kept. */
export function renderMarkdown(source: string, memberNames: string[] = []): string {
  return rendered.get(`${memberNames.join('\u0001')}\u0000${source}`, () => renderFresh(source, memberNames));
}

function renderFresh(source: string, memberNames: string[]): string {
  const fragment = purifier().sanitize(marked.parse(source) as string, {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'iframe', 'object', 'embed'],
    FORBID_ATTR: ['style'],
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|#|\/(?!\/))/i,
    RETURN_DOM_FRAGMENT: true
  });
  highlightMentions(fragment, memberNames);
  const holder = document.createElement('div');
  holder.append(fragment);
  return holder.innerHTML;
}

/** CPU one idle moment of warming may take: whole regexes at a time, so one may run over. */
const WARM_SLICE_MS = 8;
/**
 * Subjects each rule is run on: V8 compiles a regex to bytecode on its first run and to machine
 * code on its second, and again for two-byte strings (any post with Chinese in it).
 */
const WARM_SUBJECTS = ['warm up\n', 'warm up\n', '暖 up\n'];

/**
 * Readies Markdown rendering ahead of need, a piece per idle moment: `slot` resolves once the page
 * is idle, to false when the page no longer wants it. A post's first render compiles marked's rules,
 * about 35 regexes: in one task that was 56–74 ms of CPU in Chromium (the longest task of opening a
 * 10k community), 14 ms for the largest rule alone (`lheading`); in Node 41 ms for the bytecode, 11
 * for machine code and 16 for two-byte strings. So the rules are run a few at a time, then a small
 * post is rendered once (the renderer's and DOMPurify's own first run) and dropped.
 */
export async function warmMarkdown(slot: () => Promise<boolean>): Promise<void> {
  const rules = Lexer.rules;
  const regexes = [rules.block.gfm, rules.inline.breaks].flatMap((set) => Object.values(set).filter((r): r is RegExp => r instanceof RegExp));
  for (const subject of WARM_SUBJECTS) {
    for (let i = 0; i < regexes.length; ) {
      if (!(await slot())) return;
      const start = performance.now();
      do {
        const re = regexes[i++];
        re.exec(subject);
        re.lastIndex = 0;
      } while (i < regexes.length && performance.now() - start < WARM_SLICE_MS);
    }
  }
  if (!(await slot())) return;
  renderMarkdown('# Title\n\nSome *text* with `code`, a [link](https://example.org) and @name.\n\n> quoted\n\n- item', ['name']);
}

/** Wraps "@name" of known members in text nodes (never in attributes, code or links) in a span. */
function highlightMentions(root: DocumentFragment, memberNames: string[]): void {
  const names = [...new Set(memberNames.filter(Boolean))].sort((a, b) => b.length - a.length);
  if (!names.length) return;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const texts: Text[] = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.parentElement?.closest('code, pre, a') && n.nodeValue?.includes('@')) texts.push(n as Text);
  }
  for (const text of texts) {
    let node: Text | null = text;
    while (node) {
      const value: string = node.nodeValue ?? '';
      let best: { at: number; name: string } | null = null;
      for (const name of names) {
        const at = value.indexOf('@' + name);
        if (at >= 0 && (!best || at < best.at)) best = { at, name };
      }
      if (!best) break;
      const mention = node.splitText(best.at);
      const rest = mention.splitText(best.name.length + 1);
      const span = document.createElement('span');
      span.className = 'mention';
      span.textContent = mention.nodeValue;
      mention.replaceWith(span);
      node = rest;
    }
  }
}
