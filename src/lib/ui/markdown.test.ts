import { describe, expect, it } from 'vitest';
import { Lexer } from 'marked';
import { RenderedPosts, warmMarkdown } from './markdown';

describe('warming Markdown ahead of need', () => {
  it('runs every rule three times (bytecode, machine code, two-byte text), a few rules per idle moment, then offers the render its own', async () => {
    const rules = [Lexer.rules.block.gfm, Lexer.rules.inline.breaks].flatMap((set) => Object.values(set).filter((r) => r instanceof RegExp));
    const runs = new Map<RegExp, string[]>();
    const exec = RegExp.prototype.exec;
    RegExp.prototype.exec = function (this: RegExp, subject: string) {
      runs.set(this, [...(runs.get(this) ?? []), subject]);
      return exec.call(this, subject);
    };
    const slots: number[] = [];
    const twoByteRuns = () => rules.filter((re) => runs.get(re)?.some((s) => [...s].some((c) => c.charCodeAt(0) > 0xff))).length;
    try {
      // Node has no document, so the render would throw: the slot after the last rule refuses it.
      await warmMarkdown(async () => {
        slots.push(twoByteRuns());
        return twoByteRuns() < rules.length;
      });
    } finally {
      RegExp.prototype.exec = exec;
    }
    expect(rules.every((re) => (runs.get(re)?.length ?? 0) >= 3)).toBe(true);
    // Never every rule's runs in one task: several slots, the render's the last and on its own.
    expect(slots.length).toBeGreaterThanOrEqual(4);
    expect(slots.at(-1)).toBe(rules.length);
    expect(slots.at(-2)).toBeLessThan(rules.length);
  });

  it('stops at the first idle moment the page no longer wants', async () => {
    let slots = 0;
    await warmMarkdown(async () => (slots++, false));
    expect(slots).toBe(1);
  });
});

describe('rendered posts kept for the next read of their thread', () => {
  it('renders a post once however often it is asked for, and again when its text or mentions change', () => {
    const posts = new RenderedPosts();
    let renders = 0;
    const render = (text: string) => () => (renders++, `<p>${text}</p>`);
    for (let read = 0; read < 5; read++) for (let i = 0; i < 200; i++) posts.get(`reply ${i}`, render(`reply ${i}`));
    expect(renders).toBe(200);
    posts.get('reply 7 edited', render('reply 7 edited'));
    expect(renders).toBe(201);
  });

  it('drops the least recently used posts past its budget, and keeps none larger than the whole budget', () => {
    const posts = new RenderedPosts(100);
    const html = (n: number) => () => 'x'.repeat(n);
    posts.get('a', html(29)); // 30 with its key
    posts.get('b', html(29));
    posts.get('c', html(29));
    posts.get('a', html(29)); // a is used again: b is now the oldest
    posts.get('d', html(29)); // 120 > 100: b goes
    let rendered = false;
    posts.get('a', () => ((rendered = true), ''));
    expect(rendered).toBe(false);
    posts.get('b', () => ((rendered = true), 'x'.repeat(29)));
    expect(rendered).toBe(true);
    expect(posts.count).toBe(3);
    expect(posts.get('huge', html(500))).toHaveLength(500);
    expect(posts.count).toBe(3);
  });
});
