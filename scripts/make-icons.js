// Draws Hearth's app icons (a flame on a warm disc) as PNGs with no image library:
// run once with `node scripts/make-icons.js`; the PNGs in static/icons are committed.
import { deflateSync } from 'node:zlib';
import { mkdirSync, writeFileSync } from 'node:fs';

const CRC = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = CRC[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
function png(size, pixel) {
  const raw = Buffer.alloc((size * 4 + 1) * size);
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    for (let x = 0; x < size; x++) {
      const [r, g, b, a] = pixel(x / size, y / size);
      const o = y * (size * 4 + 1) + 1 + x * 4;
      raw[o] = r;
      raw[o + 1] = g;
      raw[o + 2] = b;
      raw[o + 3] = a;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  ihdr[10] = 0;
  ihdr[11] = 0;
  ihdr[12] = 0;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

// Flame: a teardrop (circle below, tapering point above), inner flame lighter.
function inFlame(x, y, cx, cy, r) {
  const dx = x - cx,
    dy = y - cy;
  if (dy >= 0) return dx * dx + dy * dy <= r * r;
  const h = r * 2.2; // height of the taper
  const t = -dy / h;
  if (t > 1) return false;
  const half = r * (1 - t) ** 1.4 * (1 + 0.15 * Math.sin(t * Math.PI));
  return Math.abs(dx - r * 0.25 * t * t) <= half;
}
function icon(scale, background) {
  return (x, y) => {
    const cx = 0.5,
      cy = 0.62;
    const inDisc = (x - 0.5) ** 2 + (y - 0.5) ** 2 <= 0.5 ** 2;
    const bg = background === 'full' || inDisc ? [194, 65, 12, 255] : [0, 0, 0, 0];
    if (inFlame(x, y, cx, cy, 0.2 * scale)) {
      if (inFlame(x, y, cx, cy + 0.06 * scale, 0.1 * scale)) return [255, 214, 102, 255];
      return [255, 247, 237, 255];
    }
    return bg;
  };
}
mkdirSync('static/icons', { recursive: true });
writeFileSync('static/icons/icon-192.png', png(192, icon(1, 'disc')));
writeFileSync('static/icons/icon-512.png', png(512, icon(1, 'disc')));
// Maskable: full-bleed background, artwork inside the 80 % safe zone.
writeFileSync('static/icons/maskable-512.png', png(512, icon(0.8, 'full')));
writeFileSync('static/icons/maskable-192.png', png(192, icon(0.8, 'full')));
writeFileSync('static/favicon.png', png(64, icon(1, 'disc')));
console.log('icons written');
