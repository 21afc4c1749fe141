import { describe, expect, it } from 'vitest';
import type { DocHandle } from './doc-handle';
import { askFirstPage } from './first-page-exchange';
import { linkedPair } from './linked-peers';
import { onSideMessage, sendSide, sideMessage, sideRequestId } from './webrtc-chunking';

describe('asking a mesh peer for its first page', () => {
  it('says the answer arrived before the page is checked, so the held step 1 can go meanwhile', async () => {
    const [asker, server] = linkedPair();
    const page = Uint8Array.of(1, 2, 3);
    // The serving end answers an ask (op 4) with a page (op 5) under the same request id.
    const stop = onSideMessage((peer, bytes) => {
      if (peer === server && bytes[1] === 4) sendSide(server, sideMessage(5, sideRequestId(bytes), page));
    });
    const events: string[] = [];
    let check: (taken: boolean) => void = () => {};
    const doc = {
      takeFirstPage: (bytes: Uint8Array) => {
        events.push(`checking ${bytes.length} bytes`);
        return new Promise<boolean>((resolve) => (check = resolve));
      }
    } as unknown as DocHandle;
    try {
      const taken = askFirstPage(doc, asker, () => events.push('arrived'));
      await expect.poll(() => events).toEqual(['arrived', 'checking 3 bytes']);
      check(true);
      expect(await taken).toBe(true);
    } finally {
      stop();
    }
  });

  it('never says so for a peer that does not answer', async () => {
    const [asker] = linkedPair();
    asker._channel = { readyState: 'closed' } as unknown as RTCDataChannel;
    let arrived = false;
    const doc = { takeFirstPage: async () => true } as unknown as DocHandle;
    expect(await askFirstPage(doc, asker, () => (arrived = true))).toBe(false);
    expect(arrived).toBe(false);
  });
});
