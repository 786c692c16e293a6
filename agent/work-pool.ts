// A pool of jobs that may enqueue more jobs (directories finding subdirectories), at most `concurrency` at
// once, depth first so the queue of a deep tree stays short. On the first failure, or when the signal
// aborts, it starts nothing new and waits for the jobs in flight before rejecting: a job's side effects
// (index writes, a checkpoint line) then end whole, and nothing still runs after the caller has returned
// and released its lock.
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
