// Steps people take in Hearth, shared by the e2e journeys.
import { expect, type Page } from '@playwright/test';

export async function createIdentity(page: Page, name: string) {
  await page.goto('/');
  await page.getByLabel(/Language|语言/).selectOption('en');
  await page.getByLabel('Display name').fill(name);
  await page.getByRole('button', { name: 'Create my identity' }).click();
  await expect(page.getByRole('heading', { name: 'My communities' })).toBeVisible();
}

export async function createCommunity(page: Page, name: string, description = '') {
  await page.getByRole('button', { name: /Create a community/ }).click();
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Description').fill(description);
  await page.getByRole('button', { name: 'Create community' }).click();
  await expect(page.getByRole('heading', { name: new RegExp(name) })).toBeVisible();
}

export async function startThread(page: Page, title: string, body: string) {
  await page.getByRole('link', { name: /New thread/ }).click();
  await page.getByLabel('Title', { exact: true }).fill(title);
  await page.getByLabel(/Write in Markdown/).fill(body);
  await page.getByRole('button', { name: 'Post thread' }).click();
  await expect(page.getByRole('heading', { level: 1, name: title })).toBeVisible();
}

export async function sendReply(page: Page, text: string) {
  await page.locator('#reply-body').fill(text);
  await page.getByRole('button', { name: 'Send reply' }).click();
  await expect(page.getByTestId('post').filter({ hasText: text })).toBeVisible();
}
