// Concurrency, in one place and with one failure rule: on the first failure nothing new starts, every job
// already in flight is waited for, and only then is the first error thrown. A caller that returns (and
// releases its lock, or answers its invocation) therefore never leaves work running behind it, and a
// job's side effects — an index write, a checkpoint line — end whole.

/** A counting semaphore: at most `n` tasks run at once; `run` waits for a slot before starting the task. */
export class Limit {
  readonly #n: number;
  #active = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(n: number) {
    this.#n = Math.max(1, n);
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
 * `fn` over `items`, at most `concurrency` at once, results in the items' order. On a failure no further
 * item starts; the ones in flight are awaited; then the first error is thrown.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  return mapLimitWhile(items, concurrency, () => true, fn);
}

/**
 * mapLimit that starts item `i` only while `more(i)` holds: it returns the results of the items it started,
 * always a prefix of `items` (a step out of time hands the rest to its next invocation).
 */
export async function mapLimitWhile<T, R>(
  items: readonly T[],
  concurrency: number,
  more: (index: number) => boolean,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let stopped = false;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && !stopped && next < items.length) {
      if (!more(next)) {
        stopped = true;
        return;
      }
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, concurrency), items.length) }, worker));
  if (failure !== undefined) throw failure.error;
  results.length = next;
  return results;
}

/**
 * A pool of jobs that may enqueue more jobs (directories finding subdirectories), at most `concurrency` at
 * once, depth first so the queue of a deep tree stays short. Stops starting jobs on the first failure or
 * when the signal aborts, waits for the jobs in flight, then rejects.
 */
export async function runPool<J>(
  first: J[],
  concurrency: number,
  work: (job: J, enqueue: (job: J) => void) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const queue = [...first];
  let active = 0;
  let failure: { error: unknown } | undefined;
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      if (failure === undefined && signal?.aborted) failure = { error: signal.reason };
      while (failure === undefined && active < concurrency && queue.length > 0) {
        const job = queue.pop()!;
        active++;
        work(job, (next) => queue.push(next)).then(
          () => {
            active--;
            pump();
          },
          (error: unknown) => {
            active--;
            failure ??= { error };
            pump();
          },
        );
      }
      if (active > 0) return;
      if (failure !== undefined) reject(failure.error);
      else resolve();
    };
    pump();
  });
}

/**
 * Background tasks a pipeline starts as it goes and awaits at the end. Waiters are woken by the tasks that
 * finish, never by racing the pending set: Promise.race over many long-lived promises leaves a reaction on
 * each of them per call, which grew the agent's heap with every file.
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

  /** Resolves once at most `n` tasks are pending (never throws). */
  waitBelow(n: number): Promise<void> {
    if (this.#pending <= n) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ below: n, resolve }));
  }

  /** Resolves when every task has settled (tasks added meanwhile included); then throws the first error. */
  async wait(): Promise<void> {
    await this.waitBelow(0);
    this.check();
  }
}

/**
 * Gathers single requests into batches for a bulk operation: a batch goes when it holds `max` items or
 * `delayMs` after its first item, whichever comes first, so a caller awaiting its own answer never waits
 * for items that will not come. Each item's promise settles with its slot of the batch's result.
 */
export class Batcher<T, R> {
  readonly #max: number;
  readonly #delayMs: number;
  readonly #flush: (items: T[]) => Promise<R[]>;
  #items: Array<{ item: T; resolve: (value: R) => void; reject: (error: unknown) => void }> = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(max: number, delayMs: number, flush: (items: T[]) => Promise<R[]>) {
    this.#max = Math.max(1, max);
    this.#delayMs = delayMs;
    this.#flush = flush;
  }

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#items.push({ item, resolve, reject });
      if (this.#items.length >= this.#max) this.#send();
      else this.#timer ??= setTimeout(() => this.#send(), this.#delayMs);
    });
  }

  #send(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#items;
    this.#items = [];
    this.#flush(batch.map((b) => b.item)).then(
      (results) => {
        for (const [i, b] of batch.entries()) b.resolve(results[i]!);
      },
      (error: unknown) => {
        for (const b of batch) b.reject(error);
      },
    );
  }
}
