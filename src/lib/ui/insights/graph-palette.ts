// The graph view's group colours (group n gets GROUP_COLOURS[n % 12]), distinct on light and dark
// surfaces; the e2e journey looks for them in the drawn pixels.
export const GROUP_COLOURS = [
  '#c2410c',
  '#2563eb',
  '#15803d',
  '#9333ea',
  '#ca8a04',
  '#0891b2',
  '#db2777',
  '#4b5563',
  '#65a30d',
  '#7c3aed',
  '#0f766e',
  '#b45309'
];

export const groupColour = (group: number): string => GROUP_COLOURS[group % GROUP_COLOURS.length];

/** Ties: grey at a third opacity, so nodes stay visible where hundreds of ties cross. */
export const TIE_COLOUR = 'rgba(120, 120, 120, 0.3)';
