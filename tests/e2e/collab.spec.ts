// Private surveys and shared notes between two people on two devices (separate browser contexts,
// connected only by WebRTC): answers only the creator can read, and a note co-edited live and
// offline that converges, while a member without edit rights cannot change it even by forging.
import { expect, test, type Browser, type Page } from '@playwright/test';
import * as Y from 'yjs';
import { loadIdentity } from '../../src/lib/crypto/identity';
import { sealRecord } from '../../src/lib/crypto/record-seal';
import { toBase64Url } from '../../src/lib/crypto/encoding';
import { createCommunity, createIdentity, joinFromLink, makeInvite, visit } from './journeys';

async function device(browser: Browser, baseURL: string) {
  const context = await browser.newContext({ baseURL });
  return { context, page: await context.newPage() };
}

/** Creator Alice and member Bob in one community; returns its id. */
async function twoMembers(alice: { page: Page }, bob: { page: Page }, name: string): Promise<string> {
  await createIdentity(alice.page, 'Alice');
  await createCommunity(alice.page, name);
  const cid = new URL(alice.page.url()).pathname.split('/')[2];
  const link = await makeInvite(alice.page, { label: 'bob' });
  await createIdentity(bob.page, 'Bob');
  await joinFromLink(bob.page, link, name);
  return cid;
}

/** Reads rows of one Dexie table straight from the device's IndexedDB. */
function readTable(page: Page, table: string) {
  return page.evaluate(
    (table) =>
      new Promise<unknown[]>((resolve, reject) => {
        const open = indexedDB.open('hearth');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          // Records: core kinds are rows of `records`, content is packed in `recordPages` (store/record-store).
          const tables = table === 'records' ? ['records', 'recordPages'] : [table];
          const tx = open.result.transaction(tables);
          const out: unknown[][] = [];
          tables.forEach((name, i) => {
            const req = tx.objectStore(name).getAll();
            req.onsuccess = () => (out[i] = name === 'recordPages' ? req.result.flatMap((p: { records: unknown[] }) => p.records) : req.result);
            req.onerror = () => reject(req.error);
          });
          tx.oncomplete = () => resolve(out.flat());
        };
      }),
    table
  );
}

test('a member answers a private survey: the creator sees the results and the CSV, the other member cannot read them', async ({ browser, baseURL }) => {
  const alice = await device(browser, baseURL!);
  const bob = await device(browser, baseURL!);
  try {
    const cid = await twoMembers(alice, bob, 'Feedback Club');

    // Alice asks three questions: a choice, a scale and a text.
    await visit(alice.page, `/c/${cid}/surveys`);
    await alice.page.getByLabel('Survey title').fill('Ride feedback');
    await alice.page.getByLabel('Question 1 text').fill('Best day?');
    await alice.page.getByLabel('Question 1 options, one per line').fill('Saturday\nSunday');
    await alice.page.getByRole('button', { name: 'Add question' }).click();
    await alice.page.getByLabel('Question 2 text').fill('How happy are you?');
    await alice.page.getByLabel('Question 2 answer type').selectOption('scale');
    await alice.page.getByRole('button', { name: 'Add question' }).click();
    await alice.page.getByLabel('Question 3 text').fill('What should change?');
    await alice.page.getByLabel('Question 3 answer type').selectOption('text');
    await alice.page.getByRole('button', { name: 'Create survey' }).click();
    await expect(alice.page.getByRole('heading', { level: 1, name: 'Ride feedback' })).toBeVisible();
    await expect(alice.page.getByTestId('survey-response-count')).toHaveText('Answers: 0');

    // Bob answers; he is told it was sent and to whom, and sees no results.
    await visit(bob.page, `/c/${cid}/surveys`);
    await bob.page.getByRole('link', { name: /Ride feedback/ }).click({ timeout: 20_000 });
    await bob.page.getByRole('radio', { name: 'Sunday' }).check();
    await bob.page
      .getByRole('group', { name: /How happy/ })
      .getByRole('radio', { name: '4' })
      .check();
    await bob.page.getByLabel(/What should change/).fill('Longer Sunday loops');
    await bob.page.getByRole('button', { name: 'Send answers' }).click();
    await expect(bob.page.getByTestId('survey-sent')).toContainText('Only Alice can read them');
    await expect(bob.page.getByTestId('survey-results')).toHaveCount(0);

    // Alice's device opens Bob's answer.
    await expect(alice.page.getByTestId('survey-response-count')).toHaveText('Answers: 1', { timeout: 20_000 });
    await expect(alice.page.getByTestId('survey-texts')).toHaveText('Longer Sunday loops');
    await expect(alice.page.getByTestId('survey-counts').first()).toContainText('Sunday 1');
    await expect(alice.page.getByText('Average: 4.0')).toBeVisible();
    await expect(alice.page.getByRole('img', { name: /Best day\?: Saturday 0 and Sunday 1/ })).toBeVisible();

    // Alice answers too. Bob's device holds both sealed responses and can read neither.
    await alice.page.getByRole('radio', { name: 'Saturday' }).check();
    await alice.page.getByLabel(/What should change/).fill('Coffee stop at the lake');
    await alice.page.getByRole('button', { name: 'Send answers' }).click();
    await expect(alice.page.getByTestId('survey-response-count')).toHaveText('Answers: 2');
    await expect
      .poll(async () => (await readTable(bob.page, 'records')).filter((r) => (r as { kind: string }).kind === 'survey-response').length, { timeout: 20_000 })
      .toBe(2);
    const stored = JSON.stringify(await readTable(bob.page, 'records'));
    expect(stored).not.toContain('Coffee stop');
    expect(stored).not.toContain('Longer Sunday');
    await bob.page.reload();
    await expect(bob.page.getByTestId('survey-sent')).toBeVisible();
    await expect(bob.page.getByText('Coffee stop at the lake')).toHaveCount(0);
    await expect(bob.page.getByTestId('survey-results')).toHaveCount(0);

    // The creator exports the answers as CSV.
    const download = alice.page.waitForEvent('download');
    await alice.page.getByRole('button', { name: 'Export CSV' }).click();
    const file = await (await download).path();
    const csv = (await import('node:fs')).readFileSync(file, 'utf8');
    expect(csv).toContain('Best day?,How happy are you?,What should change?');
    expect(csv).toMatch(/Bob,[^,]+,Sunday,4,Longer Sunday loops/);
    expect(csv).toMatch(/Alice,[^,]+,Saturday,,Coffee stop at the lake/);
  } finally {
    await alice.context.close();
    await bob.context.close();
  }
});

const editorOf = (page: Page) => page.getByRole('textbox', { name: 'Note text' });
const textOf = async (page: Page) => (await editorOf(page).innerText()).trim();

async function typeAtEnd(page: Page, text: string) {
  await editorOf(page).click();
  await page.keyboard.press('Control+End');
  await page.keyboard.press('Enter');
  await page.keyboard.type(text, { delay: 15 });
}

test('two members co-edit a note live and offline and converge; a member without rights reads only and a forged edit is not applied', async ({
  browser,
  baseURL
}) => {
  const alice = await device(browser, baseURL!);
  const bob = await device(browser, baseURL!);
  try {
    const cid = await twoMembers(alice, bob, 'Trip Planners');

    // Through links, not loads: the pages stay open from the moment the devices met, as a member's would
    // while the network comes and goes (scripts/patch-deps.js: the glare that lost the offline edits).
    await visit(alice.page, `/c/${cid}/notes`);
    await alice.page.getByLabel('Note title').fill('Trip plan');
    await alice.page.getByRole('button', { name: 'Create note' }).click();
    await expect(alice.page.getByRole('heading', { level: 1, name: 'Trip plan' })).toBeVisible();
    await expect(alice.page.getByTestId('note-access')).toHaveText('Every member can edit');
    await editorOf(alice.page).click();
    await alice.page.keyboard.type('Alice: bring water', { delay: 15 });
    const noteUrl = alice.page.url();

    // Live: Bob opens the note and sees Alice's text, then both type at once.
    await visit(bob.page, noteUrl);
    await expect(editorOf(bob.page)).toContainText('Alice: bring water', { timeout: 20_000 });
    await Promise.all([typeAtEnd(alice.page, 'Alice: tent and stove'), typeAtEnd(bob.page, 'Bob: maps for the ridge')]);
    for (const page of [alice.page, bob.page]) {
      await expect(editorOf(page)).toContainText('Alice: tent and stove', { timeout: 15_000 });
      await expect(editorOf(page)).toContainText('Bob: maps for the ridge', { timeout: 15_000 });
    }
    await expect.poll(() => textOf(bob.page)).toBe(await textOf(alice.page));

    // Offline: Bob's device loses the network; both keep editing.
    await bob.context.setOffline(true);
    await expect(bob.page.getByText('Offline — everything you write is kept on this device.')).toBeVisible();
    await Promise.all([typeAtEnd(alice.page, 'Alice: online while Bob is away'), typeAtEnd(bob.page, 'Bob: written offline')]);
    await expect(bob.page.getByTestId('note-save-state')).toHaveText('Saved');
    await alice.page.waitForTimeout(1500);
    await expect(editorOf(alice.page)).not.toContainText('Bob: written offline');
    await expect(editorOf(bob.page)).not.toContainText('Alice: online while Bob is away');

    // Back online: the edits merge and both devices show the same text.
    await bob.context.setOffline(false);
    await expect(editorOf(alice.page)).toContainText('Bob: written offline', { timeout: 30_000 });
    await expect(editorOf(bob.page)).toContainText('Alice: online while Bob is away', { timeout: 30_000 });
    await expect.poll(() => textOf(bob.page)).toBe(await textOf(alice.page));
    const merged = await textOf(alice.page);
    for (const line of ['Alice: bring water', 'Alice: tent and stove', 'Bob: maps for the ridge', 'Alice: online while Bob is away', 'Bob: written offline']) {
      expect(merged).toContain(line);
    }

    // A note only its author may edit: Bob reads it, cannot type, and a forged edit does not count.
    await visit(alice.page, `/c/${cid}/notes`);
    await alice.page.getByLabel('Note title').fill('Budget');
    await alice.page.getByRole('radio', { name: 'Named members' }).check();
    await alice.page.getByRole('button', { name: 'Create note' }).click();
    await expect(alice.page.getByRole('heading', { level: 1, name: 'Budget' })).toBeVisible();
    await editorOf(alice.page).click();
    await alice.page.keyboard.type('Total: 300', { delay: 15 });
    await expect(alice.page.getByTestId('note-save-state')).toHaveText('Saved');
    const budgetUrl = alice.page.url();
    const budgetId = new URL(budgetUrl).pathname.split('/').pop()!;

    // From the first note to this one through a link: the note page starts again for the new note.
    await visit(bob.page, budgetUrl);
    await expect(editorOf(bob.page)).toContainText('Total: 300', { timeout: 20_000 });
    await expect(bob.page.getByTestId('note-read-only')).toBeVisible();
    await expect(editorOf(bob.page)).toHaveAttribute('contenteditable', 'false');
    await expect(bob.page.getByRole('button', { name: 'Bold' })).toHaveCount(0);

    // Bob's device signs a note-edit with his own key and slips it into its copy of the community doc.
    const [keys] = (await readTable(bob.page, 'identity')) as { publicKey: string; privateKeyPkcs8: string }[];
    const loaded = await loadIdentity(keys);
    if (!loaded.ok) throw new Error(loaded.reason);
    const forgedText = new Y.Doc();
    const p = new Y.XmlElement('paragraph');
    p.insert(0, [new Y.XmlText('Total: 9000 (forged)')]);
    forgedText.getXmlFragment('body').push([p]);
    const forged = await sealRecord(loaded.value, {
      kind: 'note-edit',
      cid,
      ts: Date.now(),
      body: { note: budgetId, update: toBase64Url(Y.encodeStateAsUpdate(forgedText)) }
    });
    const carrier = new Y.Doc();
    carrier.getMap('records').set(forged.id, forged);
    const update = Array.from(Y.encodeStateAsUpdate(carrier));
    // Stored as the device stores its own updates: under the record's month when the community is held in shards.
    await bob.page.evaluate(
      ({ cid, update, month }) =>
        new Promise<void>((resolve, reject) => {
          const open = indexedDB.open('hearth');
          open.onsuccess = () => {
            const tx = open.result.transaction(['communities', 'docUpdates'], 'readwrite');
            const row = tx.objectStore('communities').get(cid);
            row.onsuccess = () => {
              const sharded = (row.result as { shards?: string } | undefined)?.shards === 'month';
              tx.objectStore('docUpdates').add({ cid, update: new Uint8Array(update), ...(sharded ? { shard: month } : {}) });
            };
            tx.oncomplete = () => resolve();
            tx.onerror = () => reject(tx.error);
          };
        }),
      { cid, update, month: new Date(forged.ts).toISOString().slice(0, 7) }
    );
    await bob.page.reload();

    // The record reaches Alice (it is validly signed) but its edit is not applied, on either device.
    await expect(alice.page.getByTestId('note-refused')).toHaveText('1 edit by a member who may not edit this note was not applied.', { timeout: 30_000 });
    await expect(bob.page.getByTestId('note-refused')).toBeVisible();
    await expect(editorOf(alice.page)).toHaveText('Total: 300');
    await expect(editorOf(bob.page)).toHaveText('Total: 300');
    await alice.page.reload();
    await expect(editorOf(alice.page)).toHaveText('Total: 300');
    await expect(alice.page.getByTestId('note-refused')).toBeVisible();
  } finally {
    await alice.context.close();
    await bob.context.close();
  }
});
