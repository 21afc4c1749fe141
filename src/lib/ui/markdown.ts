// Markdown for posts: rendered by marked, then sanitised by DOMPurify before it touches the DOM.
// Posts come from other members' devices, so everything here treats input as hostile:
// scripts, event handlers, javascript: URLs, SVG and MathML payloads and forms are removed.
import DOMPurify from 'dompurify';
import { Marked } from 'marked';

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

export function renderMarkdown(source: string, memberNames: string[] = []): string {
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

/**
 * Renders a small post once and drops it. The first render in a page compiles marked's rules and
 * DOMPurify's configuration: 10–13 ms of the task that showed a new thread's page (its body one
 * line), on top of rendering the page. Called ahead of need, in an idle moment of its own.
 */
export function warmMarkdown(): void {
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
