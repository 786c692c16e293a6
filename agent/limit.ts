// A counting semaphore: at most `n` tasks run at once; `run` waits for a slot before starting the task.
export class Limit {
  readonly #n: number;
  #active = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(n: number) {
    this.#n = n;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active >= this.#n) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#active++;
    try {
      return await task();
    } finally {
      this.#active--;
      this.#waiting.shift()?.();
    }
  }
}

/**
 * Collects background promises so a pipeline can await them all and fail on the first error. Waiters are
 * woken by the tasks that finish, never by racing the pending set: Promise.race over many long-lived
 * promises leaves a reaction on each of them per call, which grew the agent's heap with every file.
 */
export class TaskGroup {
  #pending = 0;
  #error: unknown;
  #failed = false;
  readonly #waiters: Array<{ below: number; resolve: () => void }> = [];

  add(task: Promise<unknown>): void {
    this.#pending++;
    task.then(
      () => this.#settle(),
      (err: unknown) => {
        if (!this.#failed) {
          this.#failed = true;
          this.#error = err;
        }
        this.#settle();
      },
    );
  }

  #settle(): void {
    this.#pending--;
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const waiter = this.#waiters[i]!;
      if (this.#pending <= waiter.below) {
        this.#waiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }

  /** Throws the first error seen so far, so producers stop early instead of queueing more doomed work. */
  check(): void {
    if (this.#failed) throw this.#error;
  }

  get size(): number {
    return this.#pending;
  }

  /** Resolves once at most `n` tasks are pending. */
  waitBelow(n: number): Promise<void> {
    if (this.#pending <= n) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ below: n, resolve }));
  }

  /** Resolves when every task has settled (tasks added meanwhile included); throws the first error. */
  async wait(): Promise<void> {
    await this.waitBelow(0);
    this.check();
  }
}
