// The operator console (/admin) in the browser, at 360 px and on a desktop. Run by its own test
// (local/tests/stack/e2e_web.rs) against a stack started with `--admin` for ADMIN (password in
// DROPGATE_LOCAL_ADMIN_PASSWORD): a person who is not an admin is told the page is not theirs;
// the admin finds a user by email, raises their quota, disables and enables them (their upload
// link stops answering while they are disabled), releases the file of theirs the scanner could
// not judge (the stack holds every file: `--scanner-faults unsupported=1`,
// `UNSCANNABLE_POLICY=hold`) from the review queue, sees their upload link among all links, and
// exports the audit log, which names each of those actions and whose chain holds; the admin
// erases an account behind typing its email.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { API, PNG, SHOTS, browser, context, signUp, email, fileRow, watchDialogs } from './harness.mjs';

export const ADMIN = 'console-admin@example.com';
export const ADMIN_PASSWORD = 'Console1admin';

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

async function logIn(page, address, password) {
  await page.goto(API + '/');
  await page.locator('#login-form').getByLabel('Email').fill(address);
  await page.locator('#login-form').getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Files' }).waitFor();
}

async function answer(page, question, button) {
  const dialog = page.getByRole('dialog', { name: question });
  await dialog.waitFor();
  await dialog.getByRole('button', { name: button, exact: true }).click();
  await dialog.waitFor({ state: 'detached' });
}

// A client with an account, one file the scanner could not judge (held for review) named
// with markup, and an upload link.
async function client(size) {
  const ctx = await context(b);
  const page = await ctx.newPage();
  const address = email(`client-${size}`);
  await signUp(page, address);
  const name = `<b>held-${size}.png`;
  await page.getByLabel('Choose files').setInputFiles([{ name, mimeType: 'image/png', buffer: PNG }]);
  await fileRow(page, name).getByText('Held for review').waitFor();
  // The app's own API module (the same instance, so the same session) makes the link.
  const made = await page.evaluate(async (label) => {
    const { call } = await import('/assets/api.js');
    return call('POST', '/links', { label });
  }, `inbox-${size}`);
  await ctx.close();
  return { address, name, link: made.link.id };
}

test('a person who is not an admin is told the console is not theirs', async () => {
  const ctx = await context(b);
  const page = await ctx.newPage();
  await signUp(page, email('not-admin'));
  await page.goto(API + '/admin');
  await page.getByRole('heading', { name: 'For admins only' }).waitFor();
  assert.equal(await page.locator('#console').isVisible(), false);
  await ctx.close();
});

test('without a session the console asks to log in first', async () => {
  const ctx = await context(b);
  const page = await ctx.newPage();
  await page.goto(API + '/admin');
  await page.getByRole('heading', { name: 'Log in first' }).waitFor();
  await ctx.close();
});

for (const [size, viewport] of SIZES) {
  test(`${size}: an admin finds a user, changes their quota, stops and restores them, releases a held file, exports the log`, async () => {
    const { address, name, link } = await client(size);
    const ctx = await context(b, viewport);
    const page = await ctx.newPage();
    const dialogs = watchDialogs(page);
    await logIn(page, ADMIN, ADMIN_PASSWORD);
    await page.goto(API + '/admin');
    await page.getByRole('heading', { name: 'Users' }).waitFor();

    // Find the user by the start of their address.
    await page.getByLabel('Search by email').fill(address.slice(0, address.indexOf('@') - 3));
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const row = page.locator('#users tr', { hasText: address });
    await page.waitForFunction(() => document.querySelectorAll('#users tr').length === 1);
    await row.waitFor();

    // Raise their quota.
    await page.getByRole('button', { name: `Set quota for ${address}` }).click();
    const quota = page.getByRole('dialog', { name: `Quota for ${address}` });
    await quota.getByLabel(`New quota for ${address}`).fill('20 GiB');
    await quota.getByRole('button', { name: 'Save quota' }).click();
    await page.getByText(`${address} may now store 20.0 GiB.`).waitFor();
    await row.getByText('of 20.0 GiB (own quota)', { exact: false }).waitFor();

    // Stop the account, then let it back in.
    await page.getByRole('button', { name: `Disable ${address}` }).click();
    await answer(page, `Disable ${address}? They are signed out at once, and their upload links and shares stop answering until you enable the account again.`, 'Disable');
    await row.getByText('Disabled', { exact: true }).waitFor();
    await page.getByRole('button', { name: `Enable ${address}` }).click();
    await row.getByText('Active', { exact: true }).waitFor();

    // The review queue: the held file, its name as text; released after a confirmation.
    await page.getByRole('heading', { name: 'Review queue' }).waitFor();
    await page.getByRole('button', { name: 'Show files' }).click();
    const held = page.locator('#review tr', { hasText: name });
    await held.waitFor();
    assert.equal(await page.locator('#review b').count(), 0, 'names are text, never markup');
    await held.getByText(address).waitFor();
    await page.getByRole('button', { name: `Release ${name}` }).click();
    await answer(page, `Release ${name}? Its owner can download and share it at once, and is told.`, 'Release');
    await page.getByText(`${name} is released.`).waitFor();
    await held.waitFor({ state: 'detached' });
    await page.getByLabel('Status').selectOption('accepted');
    await page.getByRole('button', { name: 'Show files' }).click();
    await page.locator('#review tr', { hasText: name }).getByText('Accepted').waitFor();

    // Every link: the client's is there with its owner.
    await page.getByRole('button', { name: 'Reload links' }).click();
    await page.locator(`#all-links tr[data-id="${link}"]`, { hasText: address }).waitFor();

    // The audit log names what was done, and exports as JSONL.
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.locator('#audit tr', { hasText: 'user.disabled' }).first().waitFor();
    await page.screenshot({ path: `${SHOTS}admin-${size}.png`, fullPage: true });
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export the audit log' }).click()]);
    const lines = (await readFile(await download.path(), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const actions = new Set(lines.map((e) => e.action));
    for (const a of ['user.quota_changed', 'user.disabled', 'user.enabled', 'file.released']) assert.ok(actions.has(a), `${a} in ${[...actions]}`);
    for (let i = 1; i < lines.length; i += 1) assert.equal(lines[i].prev_hash, lines[i - 1].hash, `chain at ${lines[i].seq}`);
    await page.getByText(/Exported \d+ entr/).waitFor();
    assert.deepEqual(dialogs, []);
    await ctx.close();
  });
}

test('an admin erases an account only once its email is typed', async () => {
  const { address } = await client('erase');
  const ctx = await context(b, { width: 360, height: 740 });
  const page = await ctx.newPage();
  await logIn(page, ADMIN, ADMIN_PASSWORD);
  await page.goto(API + '/admin');
  await page.getByRole('heading', { name: 'Users' }).waitFor();
  await page.getByLabel('Search by email').fill(address);
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  const row = page.locator('#users tr', { hasText: address });
  await row.waitFor();

  await page.getByRole('button', { name: `Erase ${address}` }).click();
  const dialog = page.getByRole('dialog', { name: `Erase ${address}` });
  await dialog.getByLabel(`Type ${address} to confirm`).fill('someone-else@example.com');
  await dialog.getByRole('button', { name: 'Erase account' }).click();
  await dialog.getByText(`Type ${address} exactly.`).waitFor();
  await dialog.getByLabel(`Type ${address} to confirm`).fill(address);
  await dialog.getByRole('button', { name: 'Erase account' }).click();
  // The client's held file and upload link go with the account.
  await page.getByText(`${address} is erased: 1 file (`, { exact: false }).waitFor();
  await page.getByText('1 upload link and 0 shares removed', { exact: false }).waitFor();
  await row.waitFor({ state: 'detached' });

  // Gone: a new search finds nobody, and the account cannot log in.
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.locator('#users-empty').waitFor();
  const r = await fetch(`${API}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: address, password: 'Correct1horse' }) });
  assert.equal(r.status, 401);
  await ctx.close();
});
