// Every page at phone width (360x740), on a tablet (768x1024) and on a desktop: no sideways
// scrolling, no layout shift while files upload, and screenshots of each, light and dark
// (target/screenshots/, `{page}-{size}.png` and `{page}-{size}-dark.png`; copied to
// docs/screenshots/ for the README).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { browser, context, signUp, email, fileRow, SHOTS, PNG, PDF, exe } from './harness.mjs';

const PHONE = { width: 360, height: 740 };
const TABLET = { width: 768, height: 1024 };
const DESKTOP = { width: 1280, height: 860 };

let b;
before(async () => {
  b = await browser();
  await mkdir(SHOTS, { recursive: true });
});
after(async () => {
  await b?.close();
});

// Sums the layout shifts the page reports from now on (Chromium's Layout Instability API).
async function watchShifts(page) {
  await page.evaluate(() => {
    window.__shifts = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (!e.hadRecentInput) window.__shifts += e.value;
    }).observe({ type: 'layout-shift' });
  });
}

// The page as it is, then in the system's dark mode.
async function shoot(page, file) {
  await page.screenshot({ path: `${SHOTS}/${file}.png`, fullPage: true });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: `${SHOTS}/${file}-dark.png`, fullPage: true });
  await page.emulateMedia({ colorScheme: 'light' });
}

async function noSidewaysScroll(page, what) {
  const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scroll <= width, `${what}: content ${scroll}px wide in a ${width}px window`);
}

for (const [name, viewport] of [['phone', PHONE], ['tablet', TABLET], ['desktop', DESKTOP]]) {
  test(`the app and the drop page on a ${name}`, async () => {
    const ctx = await context(b, viewport);
    const page = await ctx.newPage();
    await page.goto(new URL('/', process.env.DROPGATE_API).href);
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    await noSidewaysScroll(page, `${name} login`);
    await shoot(page, `login-${name}`);

    await signUp(page, email(`shots-${name}`));
    await page.getByLabel('Link label').fill('Client documents');
    await page.getByLabel("Ask for the uploader's name").check();
    await page.getByRole('button', { name: 'Create link' }).click();
    const box = page.getByLabel('Upload link to send');
    await box.waitFor();
    const url = await box.inputValue();

    await watchShifts(page);
    await page.getByLabel('Choose files').setInputFiles([
      { name: 'holiday photo.png', mimeType: 'image/png', buffer: PNG },
      { name: 'quarterly report.pdf', mimeType: 'application/pdf', buffer: PDF },
      { name: 'not really a picture.png', mimeType: 'image/png', buffer: exe() },
    ]);
    await fileRow(page, 'holiday photo.png').getByText('Accepted').waitFor();
    await fileRow(page, 'quarterly report.pdf').getByText('Accepted').waitFor();
    await fileRow(page, 'not really a picture.png').getByText(/^Rejected/).waitFor();
    const shift = await page.evaluate(() => window.__shifts);
    assert.ok(shift < 0.1, `layout shift while uploading: ${shift.toFixed(3)} (budget 0.1, "good" in Web Vitals)`);
    await noSidewaysScroll(page, `${name} app`);
    // The name keeps room to be read, whatever the columns beside it.
    const nameBox = await fileRow(page, 'holiday photo.png').locator('td.name').boundingBox();
    assert.ok(nameBox.width >= 120, `${name}: the name column is ${nameBox.width}px wide`);
    const tableBox = await page.locator('table.files').boundingBox();
    const deleteBox = await fileRow(page, 'holiday photo.png').getByRole('button', { name: 'Delete holiday photo.png' }).boundingBox();
    assert.ok(deleteBox.x + deleteBox.width <= tableBox.x + tableBox.width + 0.5, `${name}: Delete sticks out of the table`);
    await shoot(page, `app-${name}`);

    const stranger = await context(b, viewport);
    const drop = await stranger.newPage();
    await drop.goto(url);
    await drop.getByLabel('Your name (required)').fill('Grace Hopper');
    await drop.getByLabel('Choose files').setInputFiles([
      { name: 'passport scan.pdf', mimeType: 'application/pdf', buffer: PDF },
      { name: 'signature.png', mimeType: 'image/png', buffer: PNG },
    ]);
    await drop.locator('#uploads li', { hasText: 'passport scan.pdf' }).getByText('Accepted').waitFor();
    await drop.locator('#uploads li', { hasText: 'signature.png' }).getByText('Accepted').waitFor();
    await noSidewaysScroll(drop, `${name} drop page`);
    await shoot(drop, `drop-${name}`);

    await fileRow(page, 'holiday photo.png').getByRole('button', { name: 'Share holiday photo.png' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Create share' }).click();
    const shareBox = page.getByLabel('Share link to send');
    await shareBox.waitFor();
    await drop.goto(await shareBox.inputValue());
    await drop.getByRole('heading', { name: 'holiday photo.png' }).waitFor();
    await noSidewaysScroll(drop, `${name} share page`);
    await shoot(drop, `share-${name}`);

    const missing = await drop.goto(new URL('/no/such/page', process.env.DROPGATE_API).href);
    assert.equal(missing.status(), 404);
    await drop.getByRole('heading', { name: 'Page not found' }).waitFor();
    await noSidewaysScroll(drop, `${name} unknown address`);
    await shoot(drop, `notfound-${name}`);
    await stranger.close();
    await ctx.close();
  });
}
