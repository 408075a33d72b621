// The event types a webhook can be sent (docs/EVENTS.md, "Types"), each with its words: the one
// list of the web client, so a new type is one line here. No route lists them.

export const EVENT_TYPES = [
  ['file.accepted', 'A file was accepted'],
  ['file.rejected', 'A file was rejected'],
  ['file.held', 'A file was held for review'],
  ['file.expired', 'A file never arrived'],
  ['file.deleted', 'A file was deleted'],
  ['file.downloaded', 'A share was downloaded'],
  ['share.locked', 'A share was locked'],
];

// A type in words; one this page does not know (newer than it) as it is spelled.
export function eventWords(type) {
  if (type === 'ping') return 'Test (ping)';
  return EVENT_TYPES.find(([t]) => t === type)?.[1] ?? type;
}
