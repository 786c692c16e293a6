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

/** Collects background promises so a pipeline can await them all and fail on the first error. */
export class TaskGroup {
  readonly #pending = new Set<Promise<unknown>>();
  #error: unknown;
  #failed = false;

  add(task: Promise<unknown>): void {
    const tracked: Promise<void> = task.then(
      () => {
        this.#pending.delete(tracked);
      },
      (err: unknown) => {
        this.#pending.delete(tracked);
        if (!this.#failed) {
          this.#failed = true;
          this.#error = err;
        }
      },
    );
    this.#pending.add(tracked);
  }

  /** Throws the first error seen so far, so producers stop early instead of queueing more doomed work. */
  check(): void {
    if (this.#failed) throw this.#error;
  }

  get size(): number {
    return this.#pending.size;
  }

  /** Resolves once at most `n` tasks are pending (tracked promises never reject, so racing them is safe). */
  async waitBelow(n: number): Promise<void> {
    while (this.#pending.size > n) await Promise.race(this.#pending);
  }

  async wait(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
    this.check();
  }
}
