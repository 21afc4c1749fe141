// Voice notes and videos prepared on the device: a voice note's length and waveform (64 peaks),
// a video's length and poster frame. Browser only.
import { toBase64Url } from '../crypto/encoding';
import { MAX_THUMB_CHARS } from '../domain/record';

export const MAX_VOICE_SECONDS = 10 * 60;
export const PEAKS = 64;

/** Whole seconds as m:ss (a recording's timer, a voice note's length). */
export function formatClock(seconds: number): string {
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

export function isAudio(type: string): boolean {
  return /^audio\//.test(type);
}

export function isVideo(type: string): boolean {
  return /^video\/(mp4|webm|ogg|quicktime)$/.test(type);
}

/** Length and waveform of a recording; null when the browser cannot decode it. */
export async function describeAudio(bytes: Uint8Array): Promise<{ duration: number; peaks: string } | null> {
  const Ctx = (globalThis as { OfflineAudioContext?: typeof OfflineAudioContext }).OfflineAudioContext;
  if (!Ctx) return null;
  try {
    const ctx = new Ctx(1, 1, 44_100);
    const audio = await ctx.decodeAudioData(bytes.slice().buffer);
    const data = audio.getChannelData(0);
    const peaks = new Uint8Array(PEAKS);
    const step = Math.max(1, Math.floor(data.length / PEAKS));
    let max = 0;
    const raw = Array.from({ length: PEAKS }, (_, i) => {
      let peak = 0;
      for (let j = i * step; j < Math.min(data.length, (i + 1) * step); j++) peak = Math.max(peak, Math.abs(data[j]));
      max = Math.max(max, peak);
      return peak;
    });
    raw.forEach((p, i) => (peaks[i] = max > 0 ? Math.round((p / max) * 255) : 0));
    return { duration: Math.round(audio.duration * 10) / 10, peaks: toBase64Url(peaks) };
  } catch {
    return null;
  }
}

/** A video's length and a poster frame (a small data URL); null when the browser cannot play it. */
export async function describeVideo(file: Blob): Promise<{ duration: number; width: number; height: number; thumb?: string } | null> {
  const url = URL.createObjectURL(file);
  const video = document.createElement('video');
  video.muted = true;
  video.preload = 'auto';
  video.src = url;
  try {
    await new Promise<void>((resolve, reject) => {
      video.onloadeddata = () => resolve();
      video.onerror = () => reject(new Error('video'));
      setTimeout(() => reject(new Error('video timeout')), 15_000);
    });
    const duration = Number.isFinite(video.duration) ? Math.round(video.duration * 10) / 10 : 0;
    const scale = Math.min(1, 240 / Math.max(video.videoWidth, video.videoHeight));
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(video.videoWidth * scale));
    canvas.height = Math.max(1, Math.round(video.videoHeight * scale));
    canvas.getContext('2d')?.drawImage(video, 0, 0, canvas.width, canvas.height);
    let thumb: string | undefined = canvas.toDataURL('image/webp', 0.6);
    if (!thumb.startsWith('data:image/webp') && !thumb.startsWith('data:image/jpeg')) thumb = canvas.toDataURL('image/jpeg', 0.6);
    if (thumb.length > MAX_THUMB_CHARS) thumb = undefined;
    return { duration, width: Math.min(2048, video.videoWidth || 1), height: Math.min(2048, video.videoHeight || 1), thumb };
  } catch {
    return null;
  } finally {
    URL.revokeObjectURL(url);
  }
}
