// Legal holds in the browser, on the console's stack (its scanner judges nothing, so every file
// waits for review; `--admin` for ADMIN). Run by its own test (local/tests/stack/e2e_web.rs):
// the admin holds a client's file from the review queue, with a reason; the client sees a
// "Legal hold" badge in words (never the reason) and cannot delete the file; the admin releases
// the hold and the badge goes.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { API, PNG, SHOTS, browser, context, signUp, email, fileRow } from './harness.mjs';

// As in admin.gate.mjs (not imported: its tests would run here too).
const ADMIN = 'console-admin@example.com';
const ADMIN_PASSWORD = 'Console1admin';

let b;
before(async () => {
  b = await browser();
  await mkdir(SHOTS, { recursive: true });
});
after(async () => {
  await b?.close();
});

test('an admin holds a file, its owner sees it held and cannot delete it, the hold is released', async () => {
  const owner = await context(b);
  const client = await owner.newPage();
  const address = email('hold-client');
  await signUp(client, address);
  const name = 'evidence.png';
  await client.getByLabel('Choose files').setInputFiles([{ name, mimeType: 'image/png', buffer: PNG }]);
  await fileRow(client, name).getByText('Held for review').waitFor();
  assert.equal(await fileRow(client, name).getByText('Legal hold').count(), 0);

  const ops = await context(b);
  const page = await ops.newPage();
  await page.goto(API + '/');
  await page.locator('#login-form').getByLabel('Email').fill(ADMIN);
  await page.locator('#login-form').getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Files' }).waitFor();
  await page.goto(API + '/admin');
  await page.getByRole('heading', { name: 'Review queue' }).waitFor();
  await page.getByRole('button', { name: 'Show files' }).click();
  const row = page.locator('#review tr', { hasText: address });
  await row.waitFor();
  await row.getByRole('button', { name: `Put ${name} under a legal hold` }).click();
  const dialog = page.getByRole('dialog', { name: `Put ${name} under a legal hold` });
  await dialog.getByLabel('Reason (admins only)').fill('Case 7 <b>subpoena</b>');
  await dialog.getByRole('button', { name: 'Hold', exact: true }).click();
  await page.getByText(`${name} is under a legal hold.`).waitFor();
  await row.getByText('Legal hold', { exact: true }).waitFor();
  await row.getByText('Hold: Case 7 <b>subpoena</b>').waitFor();
  assert.equal(await page.locator('#review b').count(), 0, 'the reason is text, never markup');
  await page.screenshot({ path: `${SHOTS}admin-hold.png`, fullPage: true });

  // The owner: a badge in words, no reason, and a delete refused in words.
  await client.reload();
  await fileRow(client, name).getByText('Legal hold', { exact: true }).waitFor();
  assert.equal(await client.getByText('subpoena').count(), 0, 'the owner never sees why');
  await fileRow(client, name).getByRole('button', { name: `Delete ${name}` }).click();
  const ask = client.getByRole('dialog');
  await ask.getByRole('button', { name: 'Delete', exact: true }).click();
  await client.getByText('This file is under a legal hold', { exact: false }).waitFor();
  await fileRow(client, name).waitFor();
  await client.screenshot({ path: `${SHOTS}app-hold.png`, fullPage: true });

  // Released: the badge goes on both sides.
  await row.getByRole('button', { name: `Release the legal hold on ${name}` }).click();
  const release = page.getByRole('dialog', { name: `Release the legal hold on ${name}? It can be deleted again, by its owner, an admin or its retention.` });
  await release.getByRole('button', { name: 'Release hold', exact: true }).click();
  await page.getByText(`The legal hold on ${name} is released.`).waitFor();
  await row.getByText('Legal hold', { exact: true }).waitFor({ state: 'detached' });
  await client.reload();
  await fileRow(client, name).getByText('Held for review').waitFor();
  assert.equal(await fileRow(client, name).getByText('Legal hold', { exact: true }).count(), 0);
  await owner.close();
  await ops.close();
});
