// What people send and what a link takes, as people see it. Run by its own test
// (local/tests/stack/e2e_web.rs) against a stack whose quota is 4000 bytes, so that an owner's
// free space is the smallest limit of a link: the drop page shows it as the largest file, and a
// larger file is refused in words for the uploader ("This link can take files up to …"), never
// as anyone's quota. A Word document, an iPhone photo (which Linux's Chromium gives no type) and
// bytes of no known type are accepted, with the scanner on.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { browser, context, signUp, email, fileRow, watchDialogs, exe } from './harness.mjs';
import { bytes } from '../assets/format.js';

let b;
before(async () => {
  b = await browser();
});
after(async () => {
  await b?.close();
});

// Bytes no sniffer recognises (a fixed pseudo-random sequence, as encrypted data looks).
function randomBytes(n, seed) {
  let x = seed >>> 0;
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i += 1) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x >>> 24;
  }
  return out;
}

// A ZIP whose first entry is an Office document's `[Content_Types].xml`.
function docx() {
  const entry = Buffer.from('[Content_Types].xml', 'latin1');
  const data = Buffer.from('<Types/>word/document.xml', 'latin1');
  const head = Buffer.alloc(30);
  head.write('PK\x03\x04\x14', 0, 'latin1');
  head.writeUInt32LE(data.length, 18);
  head.writeUInt32LE(data.length, 22);
  head.writeUInt16LE(entry.length, 26);
  return Buffer.concat([head, entry, data, Buffer.alloc(64)]);
}

// What an iPhone writes: an ISO media file of brand `heic`.
function heic() {
  const b = Buffer.alloc(256);
  b.write('\0\0\0\x18ftypheic\0\0\0\0mif1heic', 0, 'latin1');
  return b;
}

const WORD = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

test('the largest file is the owner free space; a larger one is refused in words for the uploader', async () => {
  const owner = await context(b);
  const page = await owner.newPage();
  const dialogs = watchDialogs(page);
  await signUp(page, email('limits'));

  // The owner's own ordinary files: accepted by default; a program is refused with what is allowed.
  await page.getByLabel('Choose files').setInputFiles([
    { name: 'backup.bin', mimeType: 'application/octet-stream', buffer: randomBytes(1500, 7) },
    { name: 'tool.exe', mimeType: 'application/x-msdownload', buffer: exe() },
  ]);
  await fileRow(page, 'backup.bin').getByText('Accepted').waitFor();
  await page
    .locator('.upload')
    .getByText('This type of file is not allowed here. Allowed here: Anything but programs and scripts.')
    .waitFor();

  await page.getByLabel('Link label').fill('Holiday photos');
  await page.getByRole('button', { name: 'Create link' }).click();
  const url = await page.getByLabel('Upload link to send').inputValue();

  // A stranger on a phone: 4000 - 1500 bytes are free, less than the link's own limits.
  const stranger = await context(b, { width: 360, height: 740 });
  const drop = await stranger.newPage();
  const strangerDialogs = watchDialogs(drop);
  await drop.goto(url);
  await drop.getByRole('heading', { name: 'Holiday photos' }).waitFor();
  const limits = drop.locator('#limits');
  assert.equal(await limits.getByRole('term').filter({ hasText: 'Largest file' }).count(), 1);
  assert.equal(await drop.locator('#max-file').textContent(), bytes(2500));
  assert.equal(await drop.locator('#allowed-types').textContent(), 'Anything but programs and scripts');
  assert.doesNotMatch(await limits.innerText(), /Space left|No total limit/);

  await drop.getByLabel('Choose files').setInputFiles([
    { name: 'film.bin', mimeType: 'application/octet-stream', buffer: randomBytes(3000, 11) },
  ]);
  const sent = drop.getByRole('list', { name: 'Your files' });
  await sent.locator('li', { hasText: 'film.bin' }).getByText(`This link can take files up to ${bytes(2500)}.`).waitFor();
  assert.doesNotMatch(await drop.locator('body').innerText(), /quota|storage is full/i);

  // What people actually have fits, and passes.
  await drop.getByLabel('Choose files').setInputFiles([
    { name: 'cv.docx', mimeType: WORD, buffer: docx() },
    { name: 'IMG_0001.HEIC', mimeType: '', buffer: heic() },
    { name: 'keys.bin', mimeType: '', buffer: randomBytes(700, 13) },
  ]);
  for (const name of ['cv.docx', 'IMG_0001.HEIC', 'keys.bin']) {
    await sent.locator('li', { hasText: name }).getByText('Accepted').waitFor();
  }
  assert.deepEqual(dialogs, []);
  assert.deepEqual(strangerDialogs, []);
  await stranger.close();
  await owner.close();
});
