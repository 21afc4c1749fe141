// How e2e tests start Chromium: Debian's chromium (Playwright cannot download browsers here),
// overridable with CHROMIUM_PATH on other machines.
import { chromium, type BrowserContext } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function chromiumLaunch() {
  return {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--allow-loopback-in-peer-connection',
      // Voice notes: a fake microphone that needs no permission prompt.
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      '--disable-features=WebRtcHideLocalIpsWithMdns'
    ]
  };
}

/**
 * A browser with its own on-disk profile, like a person's device. Ephemeral contexts are
 * incognito to Chromium, which then refuses installability, so PWA tests need this.
 */
export async function launchDevice(baseURL: string): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-profile-'));
  const context = await chromium.launchPersistentContext(dir, { ...chromiumLaunch(), headless: true, baseURL, acceptDownloads: true });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    }
  };
}
