// What the owner's page sections share: what is on screen (files, links, uploads in parts),
// the page's message line and the busy state of a form. A leaf: it imports no section.

import { $, say } from './dom.js';

export const POLL_MS = 1500;
export const PAGE = 20;

export const state = {
  files: new Map(), // id -> file, in the order shown
  cursor: null,
  links: new Map(), // id -> link (labels for the "From" column)
  linkCursor: null,
  polling: null,
  interrupted: new Set(), // ids of files whose upload in parts was interrupted
  sending: new Set(), // ids of files whose bytes are going out from this page now
  selected: new Set(), // ids of files ticked for an action on several at once
  awaiting: new Map(), // id -> the upload row (a live status) that tells its verdict when it comes
  trashDays: null, // how long the trash keeps a deleted file (0: off; null: not known yet)
  trashCursor: null,
};

// Large files go in parts; an unfinished one is remembered (multipart.js) and offered again.
export const big = {
  store: null, // this account's remembered uploads
  list: null, // the interrupted uploads on screen
  active: new Set(), // file keys being sent in parts now
};

export function message(text, kind = 'error') {
  say($('#app-message'), text, kind);
}

export async function busy(form, work) {
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    await work();
  } finally {
    button.disabled = false;
  }
}
