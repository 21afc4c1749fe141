// A photo prepared on the device before it is shared: scaled to at most 2048 px on its long side,
// turned upright, re-encoded (WebP, JPEG where the browser cannot write WebP), which leaves EXIF,
// GPS position and every other metadata behind, and a small thumbnail shown first. Browser only.
import { MAX_THUMB_CHARS } from '../domain/record';

export const MAX_IMAGE_SIDE = 2048;
const THUMB_SIDE = 240;

export interface PreparedImage {
  bytes: Uint8Array;
  type: string;
  width: number;
  height: number;
  thumb?: string;
}

/** Types re-encoded as photos; anything else (SVG, HEIC the browser cannot decode…) is attached as a file. */
export function isPhoto(type: string): boolean {
  return /^image\/(jpeg|png|webp|gif|bmp|avif)$/.test(type);
}

function canvasOf(width: number, height: number): OffscreenCanvas | HTMLCanvasElement {
  if (typeof OffscreenCanvas !== 'undefined') return new OffscreenCanvas(width, height);
  const c = document.createElement('canvas');
  c.width = width;
  c.height = height;
  return c;
}

async function encode(canvas: OffscreenCanvas | HTMLCanvasElement, quality: number): Promise<Blob> {
  const as = async (type: string) =>
    'convertToBlob' in canvas
      ? canvas.convertToBlob({ type, quality })
      : new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('encode failed'))), type, quality));
  const webp = await as('image/webp');
  return webp.type === 'image/webp' ? webp : as('image/jpeg');
}

function draw(bitmap: ImageBitmap, side: number) {
  const scale = Math.min(1, side / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = canvasOf(width, height);
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
  if (!ctx) throw new Error('no 2d context');
  ctx.drawImage(bitmap, 0, 0, width, height);
  return { canvas, width, height };
}

async function dataUrl(blob: Blob): Promise<string> {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return `data:${blob.type};base64,${btoa(binary)}`;
}

/** Decodes, scales, re-encodes; throws when the browser cannot decode the image. */
export async function prepareImage(file: Blob): Promise<PreparedImage> {
  const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  try {
    const full = draw(bitmap, MAX_IMAGE_SIDE);
    const blob = await encode(full.canvas, 0.85);
    let thumb: string | undefined;
    for (const [side, quality] of [
      [THUMB_SIDE, 0.6],
      [160, 0.5],
      [96, 0.4]
    ] as const) {
      const t = await dataUrl(await encode(draw(bitmap, side).canvas, quality));
      if (t.length <= MAX_THUMB_CHARS) {
        thumb = t;
        break;
      }
    }
    return { bytes: new Uint8Array(await blob.arrayBuffer()), type: blob.type, width: full.width, height: full.height, thumb };
  } finally {
    bitmap.close();
  }
}
