import { expect, test } from '@playwright/test';
import { createCommunity, createIdentity, documentsHeld, startThread, withoutSharedWorker } from './journeys';
import { launchFreezableDevice } from './browser';
test('dbg', async ({ baseURL }) => {
  const device = await launchFreezableDevice();
  await withoutSharedWorker(device.context);
  try {
    const first = await device.context.newPage();
    first.on('console', (m) => console.log('first:', m.type(), m.text().slice(0, 200)));
    await createIdentity(first, 'Alice', baseURL);
    await createCommunity(first, 'Sleepy Club');
    await startThread(first, 'Held by a tab that sleeps', 'The leader tab wrote this');
    await first.evaluate(() => {
      const b = new BroadcastChannel('hearth:community-bridge');
      b.onmessage = (e) => console.log('bridge', JSON.stringify(e.data));
      document.addEventListener('visibilitychange', () => console.log('vis', document.visibilityState));
    });
    const second = await device.context.newPage();
    second.on('console', (m) => console.log('second:', m.type(), m.text().slice(0, 200)));
    await second.bringToFront();
    await second.goto(first.url());
    await second.waitForTimeout(5000);
    console.log('held', await documentsHeld(first), await documentsHeld(second), await first.evaluate(() => document.visibilityState));
  } finally {
    await device.close();
  }
});
