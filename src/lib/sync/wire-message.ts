// A document's bytes as they cross from the community worker to a page's peers. The worker frames
// each update and each sync answer as y-webrtc's sync message and transfers its buffer: the page
// neither copies (a structured clone) nor frames (two more copies) what it only passes on. At a
// flood's 7 MB that was a 170–190 ms task on the page, most of it allocating (garbage collection);
// a newcomer's history crosses the same way in 8 MiB parts.
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { writeUpdate } from './gated-sync-protocol';

/** y-webrtc's message type for sync messages. */
export const MESSAGE_SYNC = 0;

/** A sync protocol message (step 1, step 2 or update) framed as y-webrtc sends it. */
export function wireSync(message: Uint8Array): Uint8Array {
  const framed = new Uint8Array(message.length + 1);
  framed[0] = MESSAGE_SYNC; // one byte: a varUint below 128
  framed.set(message, 1);
  return framed;
}

/** A document update framed as y-webrtc's broadcast of it (a sync message of type update). */
export function wireUpdate(update: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE_SYNC);
  writeUpdate(encoder, update);
  return encoding.toUint8Array(encoder);
}

/** The update inside `wireUpdate`'s message: a view of its bytes, not a copy. */
export function updateOfWire(message: Uint8Array): Uint8Array {
  const decoder = decoding.createDecoder(message);
  decoding.readVarUint(decoder); // MESSAGE_SYNC
  decoding.readVarUint(decoder); // update
  return decoding.readVarUint8Array(decoder);
}

/**
 * The origin of an update as the page is told of it: the peer whose message it was (`peer`, one of
 * this page's; none for another tab's or the relay's), or none at all for this device's own write
 * (`remote` unset); and always its bytes framed for peers (`message`, sent as they are: no-echo.ts).
 */
export type FramedUpdate = ({ remote: 'peers'; peer?: object } | { remote?: undefined; peer?: undefined }) & { message: Uint8Array };

/** Whether an update's origin is this device's own write, as the page is told of it. */
export function isOwnUpdate(origin: unknown): boolean {
  return (
    origin === null ||
    (typeof origin === 'object' && (origin as Partial<FramedUpdate>).message instanceof Uint8Array && (origin as FramedUpdate).remote === undefined)
  );
}
