// The owner's page sending one upload's bytes, as the API's answer to a create said: one
// presigned PUT, or parts through the routes of the upload's own id (a new file's, or a new
// version's: a version's id answers its parts and completion as a file's does). Shared by the
// upload list (uploads.js) and a file's Versions dialog (versions.js), so both go the same way.

import * as api from './api.js';
import { put } from './upload.js';
import { sendParts } from './multipart.js';

// The part routes of an upload of the owner's, by its id.
export function partRoutes(id) {
  const base = `/files/${encodeURIComponent(id)}`;
  return {
    presign: (numbers) => api.call('POST', `${base}/parts`, { part_numbers: numbers }),
    list: () => api.call('GET', `${base}/parts`),
    complete: (parts) => api.call('POST', `${base}/complete`, { parts }),
  };
}

// Whether `upload` (the create's answer, or a remembered plan) goes in parts.
export function inParts(upload) {
  return upload.method === 'multipart' || (upload.method === undefined && upload.part_count > 0);
}

// Sends `file` for the upload `id` as `upload` says ({method: 'PUT', url, headers} or
// {method: 'multipart', part_size, part_count}, or a remembered plan with `resume`),
// reporting `onProgress(loaded, total)`. Returns {done, cancel}; `done` resolves with what the
// completion answered ({file}) for parts, with nothing for a PUT.
export function sendUpload(file, id, upload, onProgress, { resume = false } = {}) {
  if (resume || inParts(upload)) {
    const plan = { part_size: upload.part_size, part_count: upload.part_count };
    return sendParts(file, plan, partRoutes(id), onProgress, { resume });
  }
  return put(upload, file, onProgress);
}
