// The relay's WebSocket, as handed to the Hocuspocus provider: a message that throws while the
// provider reads it (garbage relayed by the server) is counted for the community instead of
// escaping the socket's handler as an uncaught page error. The provider listens with
// addEventListener; `onmessage` is guarded too for any other reader.
import type * as Y from 'yjs';
import { countMalformed } from './message-faults';

type MessageHandler = ((this: WebSocket, ev: MessageEvent) => unknown) | null;
type Listener = EventListenerOrEventListenerObject;
type Add = (type: string, listener: Listener | null, options?: boolean | AddEventListenerOptions) => void;
type Remove = (type: string, listener: Listener | null, options?: boolean | EventListenerOptions) => void;

export function guardedWebSocket(doc: Y.Doc): typeof WebSocket {
  return class GuardedWebSocket extends WebSocket {
    #handler: MessageHandler = null;
    #guards = new Map<Listener, EventListener>();

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

    override addEventListener(type: string, listener: Listener | null, options?: boolean | AddEventListenerOptions): void {
      const add = super.addEventListener.bind(this) as Add;
      if (type !== 'message' || !listener) {
        add(type, listener, options);
        return;
      }
      const guard: EventListener = (event) => {
        try {
          if (typeof listener === 'function') listener.call(this, event);
          else listener.handleEvent(event);
        } catch {
          countMalformed(doc);
        }
      };
      this.#guards.set(listener, guard);
      add(type, guard, options);
    }

    override removeEventListener(type: string, listener: Listener | null, options?: boolean | EventListenerOptions): void {
      const guard = listener && type === 'message' ? this.#guards.get(listener) : undefined;
      if (guard && listener) this.#guards.delete(listener);
      (super.removeEventListener.bind(this) as Remove)(type, guard ?? listener, options);
    }
  };
}
