// The account settings, driven by their labels: an email change waits for the code mailed to
// the new address (a wrong code changes nothing), a password change needs the current one and
// ends every session, sign out everywhere too; "Forgot password?" on the log-in form asks for a
// code; all of it usable at phone width.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { API, browser, context, signUp, email, PASSWORD } from './harness.mjs';

let b;
before(async () => {
  b = await browser();
});
after(async () => {
  await b?.close();
});

// A sign-out cut is the next whole second: a login in the same second is refused by design.
async function pastTheCut() {
  const target = Math.floor(Date.now() / 1000) + 1;
  for (let i = 0; i < 60 && Math.floor(Date.now() / 1000) < target; i += 1) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function logIn(page, address, password) {
  await page.locator('#login-form').getByLabel('Email').fill(address);
  await page.locator('#login-form').getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.getByRole('heading', { name: 'Files' }).waitFor();
}

for (const [name, viewport] of [['desktop', undefined], ['phone', { width: 360, height: 740 }]]) {
  test(`settings: email, password and sessions (${name})`, async () => {
    const ctx = await context(b, viewport);
    const page = await ctx.newPage();
    const address = email(`settings-${name}`);
    await signUp(page, address);
    const settings = page.getByRole('region', { name: 'Account settings' });
    await settings.getByText(address).waitFor();
    if (viewport) {
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(wide <= viewport.width, `the page is ${wide}px wide at ${viewport.width}px`);
    }

    // An email change: a code to the new address; a wrong code changes nothing.
    const next = email(`settings-new-${name}`);
    await page.getByLabel('New email').fill(next);
    await page.getByRole('button', { name: 'Send code' }).click();
    await page.getByLabel('Code from the mail').fill('000000');
    await page.getByRole('button', { name: 'Change email' }).click();
    await settings.getByText('That code is wrong. Check the mail we sent you.').waitFor();
    assert.equal(await page.locator('#whoami').textContent(), address);

    // A password change needs the current password, then ends this session too.
    await page.getByLabel('Current password').fill('Wrong1horse');
    await page.getByLabel('New password').fill('Another1horse');
    await page.getByRole('button', { name: 'Change password' }).click();
    await settings.getByText('That password is wrong.').waitFor();
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Your password is changed and every session has ended.', { exact: false }).waitFor();
    await pastTheCut();
    await logIn(page, address, 'Another1horse');

    // Sign out everywhere, after a question.
    await page.getByRole('button', { name: 'Sign out everywhere' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Sign out everywhere' }).click();
    await page.getByText('You are signed out everywhere.', { exact: false }).waitFor();
    await page.reload();
    await page.getByRole('tab', { name: 'Log in' }).waitFor();
    await ctx.close();
  });
}

test('"Forgot password?" asks for a code and a new password', async () => {
  const ctx = await context(b, { width: 360, height: 740 });
  const page = await ctx.newPage();
  await page.goto(API + '/');
  await page.getByRole('button', { name: 'Forgot password?' }).click();
  const address = email('forgot');
  await page.locator('#forgot-form').getByLabel('Email').fill(address);
  await page.getByRole('button', { name: 'Send code' }).click();
  await page.getByText(`If ${address} has an account, a code is on its way there.`).waitFor();
  await page.getByLabel('Code').fill('000000');
  await page.locator('#reset-form').getByLabel('New password').fill('Another1horse');
  await page.getByRole('button', { name: 'Set new password' }).click();
  await page.getByText('That code is wrong. Check the mail we sent you.').waitFor();
  await page.locator('#reset-form').getByRole('button', { name: 'Back to log in' }).click();
  await page.locator('#login-form').getByLabel('Email').waitFor();
  await ctx.close();
});
