// The markup of a lucide icon's shapes and its classes, as lucide's own Icon component builds them
// (lucide-icon.svelte renders them). Shapes come from the icon package, never from peers.

/** One shape of an icon: its tag and attributes (`['path', { d: '…' }]`). */
export type IconShape = [tag: string, attributes: Record<string, string | number>, ...rest: unknown[]];

const markupCache = new WeakMap<IconShape[], string>();

function escapeAttribute(value: string | number): string {
  return String(value).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

/** `<path d="…"></path><circle …></circle>`: each shape once, cached per icon. */
export function shapesMarkup(node: IconShape[], nonScalingStroke = false): string {
  if (!nonScalingStroke) {
    const cached = markupCache.get(node);
    if (cached !== undefined) return cached;
  }
  const markup = node
    .map(([tag, attributes]) => {
      const all = nonScalingStroke ? { 'vector-effect': 'non-scaling-stroke', ...attributes } : attributes;
      const text = Object.entries(all)
        .map(([name, value]) => ` ${name}="${escapeAttribute(value)}"`)
        .join('');
      return `<${tag}${text}></${tag}>`;
    })
    .join('');
  if (!nonScalingStroke) markupCache.set(node, markup);
  return markup;
}

/** "lucide lucide-arrow-left lucide-icon" and the caller's class, in lucide's order. */
export function iconClass(icon: { name?: string; aliases?: string[] } | undefined, className?: string): string {
  const names = [
    'lucide',
    ...(icon?.name ? [`lucide-${icon.name}`] : []),
    ...(icon?.aliases ?? []).filter((a) => typeof a === 'string' && a.trim() !== '').map((a) => `lucide-${a}`),
    'lucide-icon',
    ...(className ? [className] : [])
  ];
  return names.filter((name, i) => names.indexOf(name) === i).join(' ');
}
