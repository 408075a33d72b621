// Every error code and rejection reason the API has, in words. A person never sees a status
// code.

import { bytes, typeName } from './format.js';

const ERRORS = {
  invalid_credentials: 'Wrong email or password.',
  user_exists: 'An account with this email already exists. Log in instead.',
  weak_password:
    'That password is too weak: use at least 8 characters with a lowercase letter, an uppercase letter and a digit.',
  invalid_email: 'That does not look like an email address.',
  user_not_confirmed: 'Your account is not confirmed yet: enter the code we mailed you.',
  invalid_code: 'That code is wrong. Check the mail we sent you.',
  email_taken: 'Another account uses that email.',
  invalid_access_token: 'Your session has ended. Please log in again.',
  token_revoked: 'Your session has ended. Please log in again.',
  expired_code: 'That code has expired. Sign up again to get a new one.',
  challenge_required: 'Your account needs a sign-in step this page does not offer.',
  invalid_session: 'That sign-in took too long. Log in again.',
  totp_not_enabled: 'Two-factor authentication is not on.',
  mfa_required:
    'Admins must use two-factor authentication: turn it on in Account settings, then log in again.',
  invalid_token: 'Your session has ended. Please log in again.',
  unauthorized: 'Your session has ended. Please log in again.',
  quota_exceeded: 'Not enough storage left: this file does not fit in your quota.',
  unsupported_type: 'This type of file is not allowed here.',
  invalid_name:
    'The name contains characters that are not allowed (control or invisible characters).',
  invalid_size: 'Empty files cannot be uploaded.',
  not_ready: 'This file cannot be downloaded: it has not been accepted.',
  not_found: 'It no longer exists.',
  conflict: 'The file changed while we worked on it. Try again.',
  legal_hold: 'This file is under a legal hold: nobody can delete it until an administrator lifts the hold.',
  not_holdable: 'Only an accepted file, or one held for review, can be put under a legal hold.',
  invalid_reason: 'Say why the file is held (at most 500 characters).',
  link_not_found: 'This upload link does not exist. Check that you have the whole address.',
  link_expired: 'This upload link has expired.',
  link_revoked: 'This upload link has been withdrawn by its owner.',
  link_used_up: 'This upload link has been used up: it takes no more files.',
  link_busy: 'This upload link has other uploads in progress. Try again later.',
  uploader_name_required: 'Please enter your name first.',
  invalid_note:
    'The note can have up to 500 characters, and no control characters other than line breaks.',
  invalid_display_name:
    'Your name on shares can have up to 80 characters, with no control, invisible or direction-changing characters.',
  receipt_not_found: 'This file is no longer there: its owner may have deleted it.',
  rate_limited: 'Too many attempts from your network. Wait a minute and try again.',
  unavailable: 'Dropgate cannot reach its storage right now. Try again in a moment.',
  throttled: 'Dropgate is busy right now. Try again in a moment.',
  invalid_expires_in: 'Choose how long the link should work.',
  invalid_max_uploads: 'The number of uploads must be between 1 and 1000.',
  invalid_max_file_bytes: 'The size limit per file is not valid.',
  invalid_max_total_bytes: 'The total size limit is not valid.',
  invalid_max_pending_bytes: 'The limit on bytes in progress is not valid.',
  invalid_allowed_types: 'Choose file types this service allows.',
  body_too_large: 'That is too much text.',
  share_not_found: 'This share does not exist.',
  link_ended: 'This link has ended (revoked, expired or used up): its settings can no longer change.',
  link_active: 'This link is still active: revoke it before removing it.',
  share_ended: 'This share has ended (revoked, expired or used up): its settings can no longer change.',
  share_active: 'This share is still active: revoke it before removing it.',
  share_expired: 'This share has expired.',
  share_revoked: 'This share was withdrawn by its owner.',
  share_exhausted: 'This share has no downloads left.',
  file_gone: 'The shared file no longer exists.',
  password_required: 'Enter the password you were given.',
  wrong_password: 'That password is wrong.',
  share_locked: 'This share is locked after too many wrong passwords. Try again later.',
  invalid_password: 'The password must be 1 to 1024 characters.',
  invalid_max_downloads: 'The number of downloads must be between 1 and 100000, or empty for no limit.',
  incomplete_upload: 'Some parts of the file did not arrive. Choose the same file again to resume.',
  invalid_part_number: 'The upload went wrong (a part that does not exist was asked for). Start it again.',
  upload_gone: 'This upload can no longer be resumed: it was deleted or it expired. Start it again.',
  object_exists: 'This file was already stored. Start the upload again.',
  invalid_delete_after: 'Choose a day in the future (at most 100 years ahead).',
  invalid_file_retention_days: 'Keep new files for a whole number of days, 1 to 36500, or leave it empty.',
  invalid_retain_days: 'Keep received files for a whole number of days, 1 to 36500, or leave it empty.',
  invalid_event_type: 'Choose at least one event to send, among the ones listed.',
  invalid_description: 'The description can have up to 200 characters, with no control characters.',
  webhook_limit: 'You have as many webhooks as this service allows: delete one first.',
  webhook_url_refused: 'This URL cannot receive webhooks.',
  invalid_state: 'A webhook is either active or paused.',
  network: 'The connection failed. Check your network and try again.',
  upload_failed: 'The upload failed. Try again.',
  cancelled: 'Cancelled.',
  internal: 'Something went wrong on our side. Try again.',
};

// What a deployment or a link allows, in words: a list of types, or everything but active
// content (`all_but_active_content`).
export function allowedWords(allowed) {
  if (allowed === 'all_but_active_content') return 'Anything but programs and scripts';
  if (!Array.isArray(allowed) || allowed.length === 0) return '';
  return allowed.map(typeName).join(', ');
}

export function errorWords(e, what) {
  const code = e?.code;
  // A code from an authenticator app is not a mailed one.
  if (code === 'invalid_code' && what === 'totp') {
    return 'That code is wrong. Enter the code your authenticator app shows now.';
  }
  if (code === 'unsupported_type' && e.extra?.allowed !== undefined) {
    return `This type of file is not allowed here. Allowed here: ${allowedWords(e.extra.allowed)}.`;
  }
  if (code === 'invalid_allowed_types' && e.extra?.allowed !== undefined) {
    return `Choose file types this service allows. Allowed here: ${allowedWords(e.extra.allowed)}.`;
  }
  if (code === 'file_too_large' && e.extra?.max_file_bytes !== undefined) {
    return `This file is too large: at most ${bytes(e.extra.max_file_bytes)} is allowed here.`;
  }
  if (code === 'link_busy' && e.extra?.retry_after) {
    return `This upload link has other uploads in progress. Try again in ${e.extra.retry_after} seconds.`;
  }
  if (code === 'rate_limited' && e.extra?.retry_after) {
    return `Too many attempts from your network. Try again in ${e.extra.retry_after} seconds.`;
  }
  // The server says why an address is refused (a private range, not https, ...).
  if (code === 'webhook_url_refused' && e.message && e.message !== code) {
    return e.message.charAt(0).toUpperCase() + e.message.slice(1);
  }
  return ERRORS[code] ?? 'Something went wrong. Try again.';
}

// Short enough to fit two lines of the status column: a verdict never moves the page.
const REASONS = {
  size_mismatch: 'its size is not the one announced',
  type_unrecognized: 'its content is of no known type',
  type_not_allowed: 'a kind of file not allowed here',
  type_mismatch: 'its content is not the type it claims',
  active_content: 'a page, script or program: not allowed here',
  content_encoding: 'stored encoded, not as the bytes checked',
  content_changed: 'its content was replaced after acceptance',
  upload_timeout: 'the upload never finished',
  malware_found: 'malware found',
  refused_for_safety: 'refused for safety',
  scan_failed: 'the malware scan could not read it',
  scan_unsupported: 'the malware scan cannot check this kind of file',
  scan_timeout: 'the malware scan did not answer in time',
};

export function reasonWords(reason) {
  return REASONS[reason] ?? 'it did not pass the checks';
}

// The threats a scan named, for the owner: plain text, however the scanner spelled them.
function threatWords(file) {
  const threats = file.scan?.threats ?? [];
  return threats.length ? ` (${threats.map((t) => String(t)).join(', ')})` : '';
}

// A file's status in words, with the reason when it was turned down (and, for the owner, the
// threats a malware scan found).
export function statusWords(file) {
  switch (file.status) {
    case 'pending':
      return 'Checking…';
    case 'scanning':
      return 'Scanning for malware…';
    case 'held':
      return 'Held for review';
    case 'accepted':
      return 'Accepted';
    case 'rejected':
      if (file.reason === 'refused_for_safety') return 'Refused for safety';
      return `Rejected: ${reasonWords(file.reason)}${file.reason === 'malware_found' ? threatWords(file) : ''}`;
    case 'expired':
      return `Expired: ${reasonWords(file.reason ?? 'upload_timeout')}`;
    default:
      return file.status;
  }
}

// What an uploader (a stranger) reads of their file: malware is only "refused for safety", and
// never named.
export function dropStatusWords(file) {
  switch (file.status) {
    case 'scanning':
      return 'Scanning…';
    case 'rejected':
      if (['refused_for_safety', 'malware_found'].includes(file.reason)) return 'Refused for safety';
      // A receipt refused for its type says what the link takes.
      if (file.reason === 'type_not_allowed' && file.allowed !== undefined) {
        return `Rejected: ${reasonWords(file.reason)}. Allowed here: ${allowedWords(file.allowed)}`;
      }
      return `Rejected: ${reasonWords(file.reason)}`;
    default:
      return statusWords(file);
  }
}

// Not judged for good yet: the type's verdict, then the malware scan's, are to come.
export function judging(file) {
  return file.status === 'pending' || file.status === 'scanning';
}

const LINK_STATES = {
  active: 'Active',
  expired: 'Expired',
  used_up: 'Used up',
  revoked: 'Revoked',
};

export function linkStateWords(state) {
  return LINK_STATES[state] ?? state;
}

// The "Legal hold" badge of a held file (in words, not colour only); nothing for other files.
export function holdBadge(f) {
  if (!f.legal_hold) return null;
  const badge = document.createElement('span');
  badge.className = 'badge hold';
  badge.title = 'An administrator has put this file under a legal hold: it cannot be deleted until the hold is lifted.';
  badge.textContent = 'Legal hold';
  return badge;
}
