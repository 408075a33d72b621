// Retention, driven by labels: the owner's default for new files (Account settings), a file's
// own date (set in a dialog, a past day refused by the server and said so, then removed), and
// an upload link's days (its form and its edit dialog); at phone width without sideways scroll.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { browser, context, signUp, email, fileRow, watchDialogs, PNG } from './harness.mjs';

let b;
before(async () => {
  b = await browser();
});
after(async () => {
  await b?.close();
});

// A day `days` from today as a date input takes it (YYYY-MM-DD, this machine's time zone, which
// is the browser's too), and as the page writes it (its medium date).
async function day(page, days) {
  return page.evaluate((n) => {
    const d = new Date();
    d.setHours(0, 0, 0, 0);
    d.setDate(d.getDate() + n);
    const pad = (x) => String(x).padStart(2, '0');
    return {
      input: `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`,
      shown: d.toLocaleDateString(undefined, { dateStyle: 'medium' }),
    };
  }, days);
}

async function noSidewaysScroll(page, viewport) {
  if (!viewport) return;
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(wide <= viewport.width, `the page is ${wide}px wide at ${viewport.width}px`);
}

for (const [name, viewport] of [['desktop', undefined], ['phone', { width: 375, height: 740 }]]) {
  test(`retention: the default, a file's date and a link's days (${name})`, async () => {
    const ctx = await context(b, viewport);
    const page = await ctx.newPage();
    const dialogs = watchDialogs(page);
    await signUp(page, email(`retention-${name}`));

    // The owner's default: saved, kept across a reload, then applied to a new file.
    const days = page.getByLabel('Keep new files for (days)');
    assert.equal(await days.inputValue(), '');
    await days.fill('30');
    await page.getByRole('button', { name: 'Save retention' }).click();
    await page.getByText('New files are deleted 30 days after they arrive.').waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Files' }).waitFor();
    await page.waitForFunction(() => document.querySelector('#retention-days').value === '30');

    const file = `kept <b>${name}.png`;
    await page.getByLabel('Choose files').setInputFiles([{ name: file, mimeType: 'image/png', buffer: PNG }]);
    const row = fileRow(page, file);
    await row.getByText('Accepted').waitFor();
    const note = row.getByText('Deleted on', { exact: false });
    await note.waitFor();
    // Counted from the upload, 30 days on: that day, or the next one across a midnight.
    const [in30, in31] = [await day(page, 30), await day(page, 31)];
    const said = await note.textContent();
    assert.ok([in30, in31].some((d) => said.startsWith(`Deleted on ${d.shown}`)), said);
    assert.equal(await row.locator('b').count(), 0, 'the name is text');
    await noSidewaysScroll(page, viewport);

    // Its own date: a past day is refused by the server, in words, in the dialog.
    await row.getByRole('button', { name: `Retention of ${file}` }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText(`Retention of ${file}`).waitFor();
    await dialog.getByText('Now deleted on', { exact: false }).waitFor();
    const date = dialog.getByLabel('Delete the file on');
    assert.ok([in30.input, in31.input].includes(await date.inputValue()), 'the dialog starts on the file\'s day');
    await date.fill((await day(page, -1)).input);
    await dialog.getByRole('button', { name: 'Save date' }).click();
    await dialog.getByRole('alert').getByText('Choose a day in the future', { exact: false }).waitFor();
    const in10 = await day(page, 10);
    await date.fill(in10.input);
    await dialog.getByRole('button', { name: 'Save date' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await row.getByText(`Deleted on ${in10.shown}`, { exact: false }).waitFor();
    await noSidewaysScroll(page, viewport);

    // Removed: kept until deleted, across a reload too.
    await row.getByRole('button', { name: `Retention of ${file}` }).click();
    await dialog.getByRole('button', { name: 'Keep until I delete it' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await row.getByText('Deleted on', { exact: false }).waitFor({ state: 'detached' });
    await page.reload();
    await fileRow(page, file).getByText('Accepted').waitFor();
    assert.equal(await fileRow(page, file).getByText('Deleted on', { exact: false }).count(), 0);

    // The default cleared: the box is empty and the page says what that means.
    await page.getByRole('button', { name: 'Clear retention' }).click();
    await page.getByText('New files are kept until you delete them.').waitFor();
    assert.equal(await page.getByLabel('Keep new files for (days)').inputValue(), '');

    // An upload link's days: on its form, shown on the link, changed and removed in its dialog.
    const label = `Kept ${name}`;
    await page.getByLabel('Link label').fill(label);
    await page.getByLabel('Keep received files for (days)').fill('90');
    await page.getByRole('button', { name: 'Create link' }).click();
    const link = page.locator('#links li', { hasText: label });
    await link.getByText('files kept 90 days', { exact: false }).waitFor();
    await page.getByRole('button', { name: `Edit link ${label}` }).click();
    const edit = dialog.getByLabel('Keep received files for (days)');
    assert.equal(await edit.inputValue(), '90');
    await edit.fill('7');
    await dialog.getByRole('button', { name: 'Save link' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await link.getByText('files kept 7 days', { exact: false }).waitFor();
    await page.getByRole('button', { name: `Edit link ${label}` }).click();
    await edit.fill('');
    await dialog.getByRole('button', { name: 'Save link' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await link.getByText("files kept as your account's default", { exact: false }).waitFor();
    await noSidewaysScroll(page, viewport);

    assert.deepEqual(dialogs, []);
    await ctx.close();
  });
}
