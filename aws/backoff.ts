// Retries for the partial failures the SDK cannot see: a BatchWriteItem that returns UnprocessedItems, a
// SendMessageBatch or DeleteObjects with failed entries. Exponential backoff with full jitter, bounded.
import { RetryableError } from "../core/errors.ts";

export interface BackoffOptions {
  attempts: number;
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { attempts: 10, baseMs: 50, maxMs: 5_000 };

/**
 * For reading a response body whole: the SDK retried the request, but not a body the connection cut short.
 * A few quick attempts; past them the caller's own retry (SQS redelivery, the state machine) takes over.
 */
export const BODY_READS: BackoffOptions = { attempts: 4, baseMs: 100, maxMs: 2_000 };

export function backoffDelay(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF): number {
  const cap = Math.min(options.maxMs, options.baseMs * 2 ** attempt);
  return Math.floor(Math.random() * cap);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `step` on the pending items until none are left. `step` returns the items that still need doing
 * (e.g. UnprocessedItems); after `attempts` rounds the remainder is an error, never silently dropped.
 */
export async function drainWithBackoff<T>(
  items: T[],
  step: (pending: T[]) => Promise<T[]>,
  what: string,
  options: BackoffOptions = DEFAULT_BACKOFF,
): Promise<void> {
  let pending = items;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt >= options.attempts) {
      throw new RetryableError(`${what}: ${pending.length} item(s) still failing after ${options.attempts} attempts`);
    }
    if (attempt > 0) await sleep(backoffDelay(attempt, options));
    try {
      pending = await step(pending);
    } catch (err) {
      // A throttled or timed-out call leaves every item still to do; anything else is for the caller.
      if (!isRetryableAwsError(err) || attempt + 1 >= options.attempts) throw err;
    }
  }
}

/**
 * Runs `call` again while it fails with a retryable error, backing off between attempts. For what the SDK
 * cannot retry itself: reading a response body that the connection cut short.
 */
export async function retrying<T>(call: () => Promise<T>, options: BackoffOptions = DEFAULT_BACKOFF): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (!isRetryableAwsError(err) || attempt + 1 >= options.attempts) throw err;
    }
    await sleep(backoffDelay(attempt + 1, options));
  }
}

/** True for errors worth retrying: throttling, 5xx, timeouts, dropped connections. */
export function isRetryableAwsError(err: unknown): boolean {
  if (err instanceof RetryableError) return true;
  const e = err as { name?: string; code?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  if (e?.$retryable) return true;
  const status = e?.$metadata?.httpStatusCode;
  // Stryker disable next-line ConditionalExpression: equivalent, undefined is neither >= 500 nor 429
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  // Both: a connection cut mid-body is a plain Error whose code alone says ECONNRESET.
  // Stryker disable next-line StringLiteral: equivalent, any text matching no retryable name does as well as ""
  return RETRYABLE_NAMES.test(e?.name ?? "") || RETRYABLE_NAMES.test(e?.code ?? "");
}

const RETRYABLE_NAMES = new RegExp(
  [
    "Throttl|TooManyRequests|SlowDown|RequestTimeout|ProvisionedThroughputExceeded|RequestLimitExceeded",
    "InternalError|ServiceUnavailable|ECONNRESET|ETIMEDOUT|EPIPE|ECONNREFUSED|TimeoutError",
  ].join("|"),
);
