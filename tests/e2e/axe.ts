// axe-core in a page, injected once per page load and run as often as asked: what
// `new AxeBuilder({ page }).setLegacyMode(true).analyze()` does (axe.run in the page, same-origin
// frames reached by axe itself, configured as the builder configures it), without evaluating axe's
// 1.3 MB source twice on every call. The accessibility journeys check each page twice on one load
// (every rule in the light theme, the colour rules in the dark one): 4 evaluations of the source
// per page with the builder, 1 here.
import axe from 'axe-core';
import type { AxeResults, RunOptions } from 'axe-core';
import type { Frame, Page } from '@playwright/test';

type WithAxe = { axe?: typeof axe };

/** Puts axe into the frame's document unless this document already has it (a navigation starts a new one). */
async function inject(frame: Frame): Promise<void> {
  if (await frame.evaluate(() => typeof (window as unknown as WithAxe).axe?.run === 'function')) return;
  await frame.evaluate(axe.source);
  // The builder's configuration in legacy mode.
  await frame.evaluate(() =>
    (window as unknown as Required<WithAxe>).axe.configure({ allowedOrigins: ['<same_origin>'], branding: { application: 'playwright' } })
  );
}

/** axe.run on the page's document with these options (the builder's withTags / withRules set `runOnly`). */
export async function runAxe(page: Page, options: RunOptions): Promise<AxeResults> {
  // As the builder's legacy mode: every frame gets axe; a child frame that cannot (detached, cross-origin) is skipped.
  await inject(page.mainFrame());
  for (const frame of page.frames()) if (frame !== page.mainFrame()) await inject(frame).catch(() => {});
  // The builder's context when nothing is included or excluded.
  return page.evaluate((options) => (window as unknown as Required<WithAxe>).axe.run({ exclude: [], include: [] }, options), options);
}
