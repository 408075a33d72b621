// Sizes, dates and types as people read them.

export function bytes(n) {
  if (n === null || n === undefined) return 'no limit';
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

export function date(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

const TYPE_NAMES = {
  'image/png': 'PNG image',
  'image/jpeg': 'JPEG image',
  'image/gif': 'GIF image',
  'image/webp': 'WebP image',
  'application/pdf': 'PDF document',
  'audio/mpeg': 'MP3 audio',
  'audio/wav': 'WAV audio',
  'video/mp4': 'MP4 video',
  'application/zip': 'ZIP archive',
  'text/plain': 'Text',
  'text/csv': 'CSV table',
  'application/vnd.microsoft.portable-executable': 'Windows program',
  'application/x-msdownload': 'Windows program',
  'application/x-executable': 'Program',
  'application/x-elf': 'Program',
  'application/x-mach-binary': 'Program',
  'application/x-sh': 'Shell script',
};

export function typeName(t) {
  return TYPE_NAMES[t] ?? t ?? '';
}

// What to declare when the browser does not know a file's type.
const BY_EXTENSION = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  pdf: 'application/pdf',
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  mp4: 'video/mp4',
  zip: 'application/zip',
  txt: 'text/plain',
  csv: 'text/csv',
};

export function contentType(file) {
  if (file.type) return file.type;
  const ext = file.name.split('.').pop().toLowerCase();
  return BY_EXTENSION[ext] ?? 'application/octet-stream';
}
