// A link's QR code, drawn in the page as SVG (one path of dark modules), for handing a link to
// a phone. Nothing is sent anywhere: the encoder is vendored (qrcode.js).

import { QRCode, QRErrorCorrectLevel } from './qrcode.js';

const SVG = 'http://www.w3.org/2000/svg';
// The quiet zone the standard asks for around the code, in modules.
const QUIET = 4;

export function qrSvg(text, label) {
  const code = new QRCode(-1, QRErrorCorrectLevel.M);
  code.addData(text);
  code.make();
  const n = code.getModuleCount();
  let d = '';
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (code.isDark(r, c)) d += `M${c + QUIET} ${r + QUIET}h1v1h-1z`;
    }
  }
  const size = n + 2 * QUIET;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${size} ${size}`);
  svg.setAttribute('class', 'qr');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  svg.dataset.text = text;
  const bg = document.createElementNS(SVG, 'rect');
  bg.setAttribute('width', String(size));
  bg.setAttribute('height', String(size));
  bg.setAttribute('fill', '#fff');
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', d);
  path.setAttribute('fill', '#000');
  svg.append(bg, path);
  return svg;
}

// Copies `url`, or selects it in `fallback` (an input) when the clipboard is refused.
export async function copyUrl(url, message, what) {
  try {
    await navigator.clipboard.writeText(url);
    message(`${what} copied.`, 'info');
  } catch {
    message(`Copy this ${what.toLowerCase()}: ${url}`, 'info');
  }
}
