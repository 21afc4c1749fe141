// Token buckets, per socket and per member key: messages and bytes. A member's first sync of a large community is
// one big message, so bytes get a generous burst; a steady flood runs dry within seconds.
export interface RateLimits {
  messagesPerSecond: number;
  messageBurst: number;
  bytesPerSecond: number;
  byteBurst: number;
}

export const DEFAULT_LIMITS: RateLimits = {
  messagesPerSecond: 50,
  messageBurst: 300,
  bytesPerSecond: 1024 * 1024,
  byteBurst: 32 * 1024 * 1024
};

export class RateLimiter {
  #messages: number;
  #bytes: number;
  #at: number;
  /** Messages refused since the connection opened. */
  refused = 0;

  constructor(
    readonly limits: RateLimits = DEFAULT_LIMITS,
    now = Date.now()
  ) {
    this.#messages = limits.messageBurst;
    this.#bytes = limits.byteBurst;
    this.#at = now;
  }

  /** True when both buckets have refilled to their bursts (nothing spent that still counts). */
  full(now = Date.now()): boolean {
    const seconds = Math.max(0, now - this.#at) / 1000;
    return (
      this.#messages + seconds * this.limits.messagesPerSecond >= this.limits.messageBurst &&
      this.#bytes + seconds * this.limits.bytesPerSecond >= this.limits.byteBurst
    );
  }

  /** Takes one message of `bytes`; false when the connection is over its rate (the message is refused). */
  take(bytes: number, now = Date.now()): boolean {
    const seconds = Math.max(0, now - this.#at) / 1000;
    this.#at = now;
    this.#messages = Math.min(this.limits.messageBurst, this.#messages + seconds * this.limits.messagesPerSecond);
    this.#bytes = Math.min(this.limits.byteBurst, this.#bytes + seconds * this.limits.bytesPerSecond);
    if (this.#messages < 1 || this.#bytes < bytes) {
      this.refused++;
      return false;
    }
    this.#messages -= 1;
    this.#bytes -= bytes;
    return true;
  }
}
