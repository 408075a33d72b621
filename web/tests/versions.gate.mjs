// A file's versions in the owner's app, at 360 px and on a desktop. Run by its own test
// (local/tests/stack/e2e_web.rs) against a stack of its own: a new version is uploaded from
// the file's Versions dialog, becomes current once accepted (the file's row follows), an older
// one is restored (a pointer moves, nothing is copied), and each downloads its own bytes.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { SHOTS, browser, context, signUp, email, fileRow, watchDialogs, PNG } from './harness.mjs';

const SIZES = [
  ['phone', { width: 360, height: 740 }],
  ['desktop', { width: 1200, height: 900 }],
];

// A second version: the same picture with bytes after its end (still a PNG).
const PNG2 = Buffer.concat([PNG, Buffer.alloc(130, 7)]);

let b;
before(async () => {
  b = await browser();
  await mkdir(SHOTS, { recursive: true });
});
after(async () => {
  await b?.close();
});

function version(dialog, n) {
  return dialog.getByRole('list', { name: 'Versions' }).getByRole('listitem').filter({ hasText: `Version ${n}` });
}

async function downloaded(page, button) {
  const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
  assert.equal(download.suggestedFilename(), 'report.png');
  return readFile(await download.path());
}

for (const [size, viewport] of SIZES) {
  test(`${size}: a new version becomes current once accepted, an older one is restored`, async () => {
    const ctx = await context(b, viewport);
    const page = await ctx.newPage();
    const dialogs = watchDialogs(page);
    await signUp(page, email(`versions-${size}`));
    await page.getByLabel('Choose files').setInputFiles([{ name: 'report.png', mimeType: 'image/png', buffer: PNG }]);
    const row = fileRow(page, 'report.png');
    await row.getByText('Accepted').waitFor();

    await row.getByRole('button', { name: 'Versions of report.png' }).click();
    const dialog = page.getByRole('dialog', { name: 'Versions of report.png' });
    await dialog.waitFor();
    await version(dialog, 1).getByText('Version 1 (current)').waitFor();
    assert.equal(await dialog.getByRole('button', { name: 'Restore version 1 of report.png' }).count(), 0, 'the current one is not restored');

    await dialog.getByLabel('Upload new version').setInputFiles([{ name: 'report-v2.png', mimeType: 'image/png', buffer: PNG2 }]);
    await version(dialog, 2).getByText(/Version 2 \(current\) · 200 B · Accepted/).waitFor();
    await version(dialog, 1).getByText(/^Version 1 · 70 B · Accepted/).waitFor();
    await page.screenshot({ path: `${SHOTS}/versions-${size}.png` });
    // The file's row follows its current version.
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await row.locator('td.size', { hasText: '200 B' }).waitFor();
    assert.deepEqual(await downloaded(page, row.getByRole('button', { name: 'Download report.png' })), PNG2);
    await row.getByRole('button', { name: 'Versions of report.png' }).click();
    await version(dialog, 2).getByText('Version 2 (current)').waitFor();

    // Restore: version 1 is current again, and the file serves its bytes.
    await dialog.getByRole('button', { name: 'Restore version 1 of report.png' }).click();
    await version(dialog, 1).getByText('Version 1 (current)').waitFor();
    await page.getByRole('alert').filter({ hasText: 'Version 1 of “report.png” is current again.' }).waitFor();
    assert.deepEqual(await downloaded(page, dialog.getByRole('button', { name: 'Download version 2 of report.png' })), PNG2);
    assert.deepEqual(await downloaded(page, dialog.getByRole('button', { name: 'Download version 1 of report.png' })), PNG);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await row.locator('td.size', { hasText: '70 B' }).waitFor();
    assert.deepEqual(await downloaded(page, row.getByRole('button', { name: 'Download report.png' })), PNG);

    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= viewport.width, `${wide} px wide at ${viewport.width} px`);
    assert.deepEqual(dialogs, []);
    await ctx.close();
  });
}
