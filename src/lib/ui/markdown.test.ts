import { describe, expect, it } from 'vitest';
import { Lexer } from 'marked';
import { warmMarkdown } from './markdown';

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
