// A mailbox on the signaling server for linking a device: y-webrtc's server relays `publish`
// messages to every subscriber of a topic (the sender included), which is all two devices need to
// meet. Only sealed messages cross it (crypto/device-link); this file moves them and nothing else.

export interface LinkChannel {
  send(data: { from: string; m: string }): void;
  close(): void;
}

/**
 * Subscribes to `topic` on the first signaling server that answers and hands every message
 * published there (others' and this device's own) to `onMessage`. Reconnects while open.
 */
export function openLinkChannel(signaling: string[], topic: string, onMessage: (data: { from: string; m: string }) => void, onOpen?: () => void): LinkChannel {
  let socket: WebSocket | null = null;
  let closed = false;
  let attempt = 0;
  const queue: string[] = [];
  const connect = () => {
    if (closed || !signaling.length) return;
    const ws = new WebSocket(signaling[attempt++ % signaling.length]);
    socket = ws;
    ws.onopen = () => {
      ws.send(JSON.stringify({ type: 'subscribe', topics: [topic] }));
      for (const m of queue.splice(0)) ws.send(m);
      onOpen?.();
    };
    ws.onmessage = (event) => {
      try {
        const msg = JSON.parse(String(event.data)) as { type?: unknown; topic?: unknown; data?: { from?: unknown; m?: unknown } };
        if (msg.type === 'publish' && msg.topic === topic && typeof msg.data?.from === 'string' && typeof msg.data.m === 'string')
          onMessage({ from: msg.data.from, m: msg.data.m });
      } catch {
        // Not ours to read: the server also sends pings and other topics' traffic never reaches here.
      }
    };
    ws.onclose = () => {
      if (socket === ws) socket = null;
      if (!closed) setTimeout(connect, 1000);
    };
  };
  connect();
  return {
    send(data) {
      const text = JSON.stringify({ type: 'publish', topic, data });
      if (socket?.readyState === WebSocket.OPEN) socket.send(text);
      else queue.push(text);
    },
    close() {
      closed = true;
      socket?.close();
    }
  };
}
