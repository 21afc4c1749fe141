// Real WebRTC for Node peers (hostile-peer tests, the benches, PeerSync unit tests): @roamhq/wrtc, plus
// what it lacks next to a browser. A process that made a peer connection does not exit by itself
// afterwards (wrtc's native threads): scripts call process.exit.
import { createRequire } from 'node:module';

// CommonJS packages, required as such (neither ships a default export's types).
const requireCjs = createRequire(import.meta.url);
export const wrtc = requireCjs('@roamhq/wrtc') as typeof import('@roamhq/wrtc');
// Node 20 has no global WebSocket; lib0's websocket client (y-webrtc's signaling) needs one.
(globalThis as { WebSocket?: unknown }).WebSocket ??= requireCjs('ws');

// wrtc's data channels never fire 'bufferedamountlow' (nor know bufferedAmountLowThreshold). The chunking pauses on
// that event once 4 MB are queued, so a large send (the flood) would stall for good: the event is emulated by polling.
const channelProto = wrtc.RTCDataChannel.prototype as unknown as {
  addEventListener(type: string, listener: (e: unknown) => void, options?: unknown): void;
  __hearthPolled?: true;
};
if (!channelProto.__hearthPolled) {
  channelProto.__hearthPolled = true;
  const addListener = channelProto.addEventListener;
  channelProto.addEventListener = function (this: RTCDataChannel, type, listener, options) {
    if (type !== 'bufferedamountlow') return addListener.call(this, type, listener, options);
    // Always once, as webrtc-chunking.ts asks for it.
    const timer = setInterval(() => {
      if (this.readyState !== 'open') clearInterval(timer);
      else if (this.bufferedAmount <= (this.bufferedAmountLowThreshold ?? 0)) {
        clearInterval(timer);
        listener.call(this, { type });
      }
    }, 10);
  };
}

/**
 * Makes wrtc the global RTCPeerConnection, as a browser has it, for code that does not pass `wrtc`
 * to simple-peer itself (the app's PeerSync).
 */
export function installGlobalWebRtc(): void {
  const g = globalThis as Record<string, unknown>;
  g.RTCPeerConnection ??= wrtc.RTCPeerConnection;
  g.RTCSessionDescription ??= wrtc.RTCSessionDescription;
  g.RTCIceCandidate ??= wrtc.RTCIceCandidate;
}
