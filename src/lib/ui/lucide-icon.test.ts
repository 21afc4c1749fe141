// The light icon renders what lucide's own Icon renders: the same <svg> attributes and classes, the
// same shapes, hidden from assistive technology in the same cases.
import { render } from 'svelte/server';
import { describe, expect, it } from 'vitest';
import LightIcon from './lucide-icon.svelte';
// Lucide's own, by path (vite.config.ts sends only the icon components' `../Icon.svelte` elsewhere).
import LucideIcon from '../../../node_modules/@lucide/svelte/dist/Icon.svelte';
import ArrowLeft from '@lucide/svelte/icons/arrow-left';

const star = {
  name: 'star',
  size: 24,
  node: [
    [
      'path',
      {
        d: 'M11.525 2.295a.53.53 0 0 1 .95 0l2.31 4.679a2.123 2.123 0 0 0 1.595 1.16l5.166.756a.53.53 0 0 1 .294.904l-3.736 3.638a2.123 2.123 0 0 0-.611 1.878l.882 5.14a.53.53 0 0 1-.771.56l-4.618-2.428a2.122 2.122 0 0 0-1.973 0L6.396 21.01a.53.53 0 0 1-.77-.56l.881-5.139a2.122 2.122 0 0 0-.611-1.879L2.16 9.795a.53.53 0 0 1 .294-.906l5.165-.755a2.122 2.122 0 0 0 1.597-1.16z'
      }
    ]
  ],
  aliases: []
} as const;
const circles = {
  name: 'ellipsis',
  node: [
    ['circle', { cx: '12', cy: '12', r: '1' }],
    ['circle', { cx: '19', cy: '12', r: '1' }]
  ],
  aliases: ['more-horizontal']
} as const;

/** The <svg>'s attributes as a map, and its inner markup without Svelte's hydration comments. */
function parse(html: string): { attributes: Record<string, string>; inner: string } {
  const open = /<svg([^>]*)>/.exec(html);
  if (!open) throw new Error(`no svg in ${html}`);
  const attributes: Record<string, string> = {};
  for (const m of open[1].matchAll(/([\w:-]+)="([^"]*)"/g)) attributes[m[1]] = m[2];
  const inner = html.slice(open.index + open[0].length, html.lastIndexOf('</svg>')).replace(/<!--[^>]*-->/g, '');
  return { attributes, inner };
}

describe('the light lucide icon', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['a decorative icon', { icon: star, size: 18, 'aria-hidden': 'true' }],
    ['an icon with no accessibility attribute', { icon: star }],
    ['a named icon with a role and a class', { icon: star, size: 16, 'aria-label': 'Featured', role: 'img', class: 'brand-icon' }],
    ['an icon with aliases and several shapes', { icon: circles, strokeWidth: 1.5 }],
    ['an icon with an absolute stroke width', { icon: circles, size: 48, absoluteStrokeWidth: true }]
  ];
  for (const [what, props] of cases) {
    it(`renders ${what} as lucide's Icon does`, () => {
      const light = parse(render(LightIcon, { props }).body);
      const lucide = parse(render(LucideIcon, { props }).body);
      expect(light.attributes).toEqual(lucide.attributes);
      expect(light.inner).toBe(lucide.inner);
    });
  }

  it('is what the icon components render (the build points them at it)', () => {
    const html = render(ArrowLeft, { props: { size: 22, 'aria-hidden': 'true' } }).body;
    expect(parse(html).attributes).toMatchObject({ class: 'lucide lucide-arrow-left lucide-icon', width: '22', 'aria-hidden': 'true' });
    expect(parse(html).inner).toBe('<path d="m12 19-7-7 7-7"></path><path d="M19 12H5"></path>');
  });
});
