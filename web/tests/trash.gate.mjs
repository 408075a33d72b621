// The trash in the owner's app, at 360 px and on a desktop. Run by its own test
// (local/tests/stack/e2e_web.rs) against a stack whose trash is on (`TRASH_DAYS=7`): the main
// suite's stack deletes at once. A deleted file leaves the list for the trash, where it is
// restored (back in the list, its share revoked for good) or deleted forever (gone for good).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { SHOTS, browser, context, signUp, email, fileRow, watchDialogs, PNG } from './harness.mjs';

const SIZES = [
  ['phone', { width: 360, height: 740 }],
  ['desktop', { width: 1200, height: 900 }],
];

let b;
before(async () => {
  b = await browser();
  await mkdir(SHOTS, { recursive: true });
});
after(async () => {
  await b?.close();
});

async function upload(page, names) {
  await page.getByLabel('Choose files').setInputFiles(names.map((name) => ({ name, mimeType: 'image/png', buffer: PNG })));
  for (const name of names) await fileRow(page, name).getByText('Accepted').waitFor();
}

function trashed(page, name) {
  return page.getByRole('list', { name: 'Files in the trash' }).getByRole('listitem').filter({ hasText: name });
}

async function answer(page, question, button) {
  const dialog = page.getByRole('dialog', { name: question });
  await dialog.waitFor();
  await dialog.getByRole('button', { name: button, exact: true }).click();
  await dialog.waitFor({ state: 'detached' });
}

for (const [size, viewport] of SIZES) {
  test(`${size}: delete moves a file to the trash, restore brings it back, delete forever ends it`, async () => {
    const ctx = await context(b, viewport);
    const page = await ctx.newPage();
    const dialogs = watchDialogs(page);
    await signUp(page, email(`trash-${size}`));
    await page.getByRole('heading', { name: 'Trash' }).waitFor();
    await page.getByText('The trash is empty.').waitFor();
    await page.getByText('Deleted files are kept here for 7 days, then deleted for good.', { exact: false }).waitFor();
    await upload(page, ['report.png']);
    // A share of it, which the trash ends for good.
    await fileRow(page, 'report.png').getByRole('button', { name: 'Share report.png' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Share label (optional)').fill('For Bo');
    await dialog.getByRole('button', { name: 'Create share' }).click();
    const share = page.locator('#shares li', { hasText: 'For Bo' });
    await share.getByText('Active').waitFor();

    // Delete: the question says where the file goes and for how long.
    await fileRow(page, 'report.png').getByRole('button', { name: 'Delete report.png' }).click();
    await answer(page, 'Move “report.png” to the trash? It can be restored from the trash for 7 days, then it is deleted for good.', 'Delete');
    await page.getByRole('alert').filter({ hasText: 'Moved “report.png” to the trash: restore it there within 7 days.' }).waitFor();
    assert.equal(await fileRow(page, 'report.png').count(), 0, 'gone from the file list');
    const item = trashed(page, 'report.png');
    await item.waitFor();
    await item.getByText(/^70 B · deleted for good on .+/).waitFor();
    assert.equal(await page.getByText('The trash is empty.').isVisible(), false);

    // Restore: back in the list, and the page says its shares stay revoked.
    await item.getByRole('button', { name: 'Restore report.png' }).click();
    await page.getByRole('alert').filter({ hasText: 'Restored “report.png” to your files. Its shares stay revoked' }).waitFor();
    await fileRow(page, 'report.png').getByText('Accepted').waitFor();
    assert.equal(await item.count(), 0, 'gone from the trash');
    await page.getByText('The trash is empty.').waitFor();
    await page.getByLabel('Show ended shares').check();
    await share.getByText('Revoked').waitFor();

    // Delete again, then forever: behind its own question, and gone for good.
    await fileRow(page, 'report.png').getByRole('button', { name: 'Delete report.png' }).click();
    await answer(page, 'Move “report.png” to the trash? It can be restored from the trash for 7 days, then it is deleted for good.', 'Delete');
    await item.waitFor();
    await item.getByRole('button', { name: 'Delete report.png forever' }).click();
    // Cancelled first: nothing happens.
    const purgeQuestion = 'Delete “report.png” forever? This cannot be undone.';
    await answer(page, purgeQuestion, 'Cancel');
    assert.equal(await item.count(), 1, 'a cancelled purge keeps the file');
    await item.getByRole('button', { name: 'Delete report.png forever' }).click();
    await answer(page, purgeQuestion, 'Delete forever');
    await page.getByRole('alert').filter({ hasText: 'Deleted “report.png” forever.' }).waitFor();
    assert.equal(await item.count(), 0);
    await page.getByText('The trash is empty.').waitFor();

    // Several at once go to the trash together.
    await upload(page, ['a.png', 'b.png']);
    await page.getByLabel('Select a.png').check();
    await page.getByLabel('Select b.png').check();
    await page.getByRole('button', { name: 'Delete selected' }).click();
    await answer(page, 'Move 2 files to the trash? They can be restored from the trash for 7 days, then they are deleted for good.', 'Delete');
    await trashed(page, 'a.png').waitFor();
    await trashed(page, 'b.png').waitFor();

    // After a reload the server's state shows: the purged file nowhere, the others in the trash.
    await page.reload();
    await page.getByRole('heading', { name: 'Files' }).waitFor();
    await trashed(page, 'a.png').waitFor();
    await trashed(page, 'b.png').waitFor();
    assert.equal(await trashed(page, 'report.png').count(), 0, 'purged for good');
    assert.equal(await fileRow(page, 'report.png').count(), 0, 'purged for good');
    await page.getByText('No files yet.').waitFor();
    await page.getByRole('heading', { name: 'Trash' }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/trash-${size}.png` });

    // Nothing is wider than the screen.
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= viewport.width, `${wide} px wide at ${viewport.width} px`);
    assert.deepEqual(dialogs, []);
    await ctx.close();
  });
}
