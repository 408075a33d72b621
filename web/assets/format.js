// Sizes, dates and types as people read them.

// Binary units labelled as such (KiB, MiB, ...), one decimal, exactly as the CLI prints them
// (cli/src/units.rs; both are held to web/tests/size-units.json).
const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

// `v` to one decimal, a tie to the even digit, as Rust's `{:.1}` rounds.
function oneDecimal(v) {
  const tenths = v * 10;
  const floor = Math.floor(tenths);
  const rest = tenths - floor;
  const n = rest > 0.5 || (rest === 0.5 && floor % 2 === 1) ? floor + 1 : floor;
  return `${Math.trunc(n / 10)}.${n % 10}`;
}

export function bytes(n) {
  if (n === null || n === undefined) return 'no limit';
  if (n < 1024) return `${n} B`;
  let v = n / 1024;
  let i = 0;
  // 1023.96 KiB would print as "1024.0 KiB": move up a unit once rounding reaches 1024.
  while (v >= 1023.95 && i < UNITS.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${oneDecimal(v)} ${UNITS[i]}`;
}

// A transfer rate: `1.5 MiB/s`.
export function rate(bytesPerSecond) {
  return `${bytes(Math.max(0, Math.round(bytesPerSecond)))}/s`;
}

// A time left, rounded as people say it: `8 s`, `2 min 5 s`, `1 h 12 min`.
export function duration(seconds) {
  const s = Math.max(1, Math.ceil(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ''}`;
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
  'application/octet-stream': 'Other data',
  'image/heic': 'HEIC photo',
  'image/heif': 'HEIC photo',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'Word document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'Excel workbook',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'PowerPoint presentation',
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

// What to declare for a file, by its extension: the same on every browser and system (Windows
// calls a CSV `application/vnd.ms-excel`, Linux may know no type for a HEIC), and of the
// family the server's sniffer finds in the bytes.
const BY_EXTENSION = {
  heic: 'image/heic',
  heif: 'image/heic',
  hif: 'image/heic',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  bin: 'application/octet-stream',
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
  const dot = file.name.lastIndexOf('.');
  const ext = dot > 0 ? file.name.slice(dot + 1).toLowerCase() : '';
  return BY_EXTENSION[ext] ?? (file.type || 'application/octet-stream');
}
