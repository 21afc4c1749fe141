// The relay's WebSocket, as handed to y-websocket: a message that throws while y-websocket reads it
// (garbage from a member relayed by the server) is counted for the community instead of escaping
// the socket's handler as an uncaught page error.
import type * as Y from 'yjs';
import { countMalformed } from './message-faults';

type MessageHandler = ((this: WebSocket, ev: MessageEvent) => unknown) | null;

export function guardedWebSocket(doc: Y.Doc): typeof WebSocket {
  return class GuardedWebSocket extends WebSocket {
    #handler: MessageHandler = null;

    override get onmessage(): MessageHandler {
      return this.#handler;
    }

    override set onmessage(handler: MessageHandler) {
      this.#handler = handler;
      super.onmessage = handler
        ? (event: MessageEvent) => {
            try {
              handler.call(this, event);
            } catch {
              countMalformed(doc);
            }
          }
        : null;
    }
  };
}
