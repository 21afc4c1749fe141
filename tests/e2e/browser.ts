// How e2e tests start Chromium: Debian's chromium (Playwright cannot download browsers here),
// overridable with CHROMIUM_PATH on other machines, and Debian's chromium-headless-shell for the
// journeys' shared browser (CHROMIUM_HEADLESS_SHELL_PATH).
import { chromium, type BrowserContext } from '@playwright/test';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const FULL_CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The full browser: benchmarks and `launchDevice` (installability is judged by its browser layer). */
export function chromiumLaunch(executablePath = FULL_CHROMIUM) {
  return {
    executablePath,
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
 * The browser the journeys share (playwright.config.ts): the headless shell, the same Blink, V8 and
 * WebRTC as Chromium without its browser layer. Setting up and running a journey costs about a third
 * less CPU in it (invites and standing, 6 tests one at a time: 102–118 s of CPU against 165–181 s
 * in the full browser), and the suite is bound by CPU on two cores. Without the shell installed,
 * the full browser. Not for installability: the shell answers Page.getInstallabilityErrors with no
 * error even for a page without a manifest, so PWA checks use `launchDevice`.
 */
export function journeysLaunch() {
  return chromiumLaunch(journeysBrowser());
}

function journeysBrowser(): string {
  if (process.env.CHROMIUM_HEADLESS_SHELL_PATH) return process.env.CHROMIUM_HEADLESS_SHELL_PATH;
  // Another Chromium or Chrome named by CHROMIUM_PATH is used for everything.
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  return existsSync('/usr/bin/chromium-headless-shell') ? '/usr/bin/chromium-headless-shell' : FULL_CHROMIUM;
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

/**
 * A device whose tabs are shown and hidden as the member switches between them, and whose hidden tabs
 * the browser can freeze (Page Lifecycle; `setLifecycle` in journeys.ts): the full browser (the
 * headless shell shows every tab), started on its own and reached over CDP without Playwright's
 * defaults. Playwright emulates focus in every page it opens, which Chromium does by capturing the tab
 * as if it were shown, and a shown tab is never frozen (`Page.setWebLifecycleState` then does
 * nothing: no `freeze` event, its workers run on). Its context has no baseURL: give pages full addresses.
 */
export async function launchFreezableDevice(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-freezable-'));
  const { executablePath, args } = chromiumLaunch();
  // Port 0: the browser picks a free one and writes it to DevToolsActivePort.
  const browserProcess = spawn(executablePath, [...args, '--headless', '--remote-debugging-port=0', `--user-data-dir=${dir}`, 'about:blank'], {
    stdio: 'ignore'
  });
  const exited = new Promise((done) => browserProcess.once('exit', done));
  const portFile = join(dir, 'DevToolsActivePort');
  const written = () => existsSync(portFile) && readFileSync(portFile, 'utf8').includes('\n');
  for (let i = 0; i < 200 && !written(); i++) await new Promise((r) => setTimeout(r, 50));
  const port = readFileSync(portFile, 'utf8').split('\n')[0];
  // `noDefaults` (not in the typed options): Playwright then leaves the default context's pages unemulated.
  const unemulated: Record<string, unknown> = { noDefaults: true };
  const browser = await chromium.connectOverCDP(`http://127.0.0.1:${port}`, unemulated);
  return {
    context: browser.contexts()[0],
    close: async () => {
      await browser.close();
      // Closed over CDP it exits by itself, its helper processes first; killed only if it lingers.
      const lingering = setTimeout(() => browserProcess.kill(), 5_000);
      await exited;
      clearTimeout(lingering);
      try {
        rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
      } catch (error) {
        console.warn(`profile ${dir} left behind`, error);
      }
    }
  };
}
