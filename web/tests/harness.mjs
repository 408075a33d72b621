// What every browser test shares: the stack's address (the Rust test that starts the stack
// passes it in DROPGATE_API), Debian's Chromium driven by playwright-core, sample files, and a
// bounded wait.

import { chromium } from 'playwright-core';

export const API = process.env.DROPGATE_API;
if (!API) throw new Error('DROPGATE_API is not set: run these through `cargo test -p dropgate-local --test stack e2e_web::`');

export const SHOTS = process.env.DROPGATE_SCREENSHOTS ?? new URL('../../target/screenshots/', import.meta.url).pathname;

export async function browser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

// A new browser profile: no cookies, nothing stored (a stranger's phone, say).
export async function context(b, viewport = { width: 1200, height: 900 }) {
  const ctx = await b.newContext({ viewport, acceptDownloads: true });
  ctx.setDefaultTimeout(20_000);
  return ctx;
}

// Collects what the page would alert; a test asserts none fired.
export function watchDialogs(page) {
  const seen = [];
  page.on('dialog', (d) => {
    seen.push(d.message());
    d.dismiss().catch(() => {});
  });
  return seen;
}

// A 1x1 PNG: real PNG bytes.
export const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

// The start of a Windows executable (MZ, then the PE header), whatever its name says.
export function exe() {
  const b = Buffer.alloc(512);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(0x80, 0x3c);
  b.write('PE\0\0', 0x80, 'latin1');
  return b;
}

export const PDF = Buffer.from(
  '%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n',
  'latin1',
);

let n = 0;
export function email(tag) {
  n += 1;
  return `${tag}-${process.pid}-${Date.now()}-${n}@example.com`;
}

export const PASSWORD = 'Correct1horse';

// Signs up through the page and waits for the app.
export async function signUp(page, address) {
  await page.goto(API + '/');
  await page.getByRole('tab', { name: 'Sign up' }).click();
  await page.locator('#signup-form').getByLabel('Email').fill(address);
  await page.locator('#signup-form').getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Files' }).waitFor();
}

// The row of the file list that holds `name`.
export function fileRow(page, name) {
  return page.locator('#files tbody tr').filter({ has: page.locator('td.name', { hasText: name }) });
}
