// The one queue a community's checks, projections and this member's writes run in, one job at a
// time: the projection is read and written by every job, so two jobs never run beside each other.
// A community held as one document has one queue; a community held in shards (docs/shards.md) has
// one for all its shard documents, so a month's check never projects beside the core's.
//
// A write of this member's own records is queued as any job, and also run at the next slice
// boundary of a check running or queued before it (`letWritesOvertake`), whichever comes first: a
// flood of 20,000 records took a check of tens of seconds, and the member's reply waited behind all
// of it; between two slices the projection is as consistent as between two jobs.
export class JobQueue {
  #tail: Promise<void> = Promise.resolve();
  /** Jobs queued or running. */
  pending = 0;
  /** This member's writes run so far (a check tells from it whether any came in between). */
  writes = 0;
  #overtaking: (() => Promise<void>)[] = [];

  enqueue<T>(job: () => Promise<T>): Promise<T> {
    this.pending++;
    const run = this.#tail.then(job).finally(() => this.pending--);
    this.#tail = run.then(
      () => undefined,
      () => undefined
    );
    return run;
  }

  /** A write of this member's: queued, and let through at the next slice boundary of a running check. */
  write(job: () => Promise<void>): Promise<void> {
    return this.#overtake(job, true);
  }

  /**
   * A job let through like a write, not counted as one: a newcomer's first pass of months' records
   * (sharded communities), which otherwise waits behind every month's check queued before it (a fast
   * transfer queued all of the real community's 143 before the first pass, and the feed stayed
   * empty to the end).
   */
  ahead(job: () => Promise<void>): Promise<void> {
    return this.#overtake(job, false);
  }

  #overtake(job: () => Promise<void>, write: boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let ran = false;
      const run = async () => {
        if (ran) return;
        ran = true;
        if (write) this.writes++;
        const at = this.#overtaking.indexOf(run);
        if (at >= 0) this.#overtaking.splice(at, 1);
        await job().then(resolve, reject);
      };
      if (this.pending) this.#overtaking.push(run);
      this.enqueue(run);
    });
  }

  /** Runs the writes waiting to overtake the running check (called between its slices). */
  async letWritesOvertake(): Promise<void> {
    while (this.#overtaking.length) await this.#overtaking[0]();
  }

  /** Settles when every job queued so far has ended. */
  idle(): Promise<void> {
    return this.#tail;
  }
}
