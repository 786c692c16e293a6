// Retry classification and the partial-failure drain (aws/backoff.ts), case by case: which errors are worth
// another attempt, including what the SDK leaves to its callers (a body cut short mid-read is a plain Error
// whose code alone says what happened); a batch whose entries keep failing ends in an error, never with
// entries dropped; a call that keeps failing is retried up to its attempts, a permanent error never.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { BODY_READS, backoffDelay, drainWithBackoff, isRetryableAwsError, retrying } from "../../aws/backoff.ts";
import { PermanentError, RetryableError } from "../../core/errors.ts";

const named = (name: string) => Object.assign(new Error("x"), { name });
/** A batch call that always throws an error of this name, counting how often it was called. */
function alwaysThrowing(name: string) {
  const counted = {
    calls: 0,
    call: async (): Promise<string[]> => {
      counted.calls++;
      throw named(name);
    },
  };
  return counted;
}
const withCode = (code: string) => Object.assign(new Error("aborted"), { code });
const status = (httpStatusCode: number) => ({ name: "Unknown", $metadata: { httpStatusCode } });

describe("isRetryableAwsError", () => {
  const retryable: Array<[string, unknown]> = [
    ["a RetryableError", new RetryableError("again")],
    ["an error the SDK marked retryable", { name: "Unknown", $retryable: { throttling: true } }],
    ["HTTP 500", status(500)],
    ["HTTP 503", status(503)],
    ["HTTP 429", status(429)],
    ...[
      "ThrottlingException",
      "TooManyRequestsException",
      "SlowDown",
      "RequestTimeout",
      "ProvisionedThroughputExceededException",
      "RequestLimitExceeded",
      "InternalError",
      "ServiceUnavailable",
      "TimeoutError",
    ].map((name): [string, unknown] => [name, named(name)]),
    ...["ECONNRESET", "ETIMEDOUT", "EPIPE", "ECONNREFUSED"].map((code): [string, unknown] => [code, withCode(code)]),
  ];
  const permanent: Array<[string, unknown]> = [
    ["a PermanentError", new PermanentError("no")],
    ["HTTP 400", status(400)],
    ["HTTP 404", status(404)],
    ["HTTP 499", status(499)],
    ["a validation error", named("ValidationException")],
    ["a conditional check", { name: "ConditionalCheckFailedException", $metadata: { httpStatusCode: 400 } }],
    ["an unmarked SDK error", { name: "AccessDenied", $retryable: undefined, $metadata: {} }],
    ["undefined", undefined],
    ["null", null],
    ["a string", "ThrottlingException"],
  ];
  for (const [why, err] of retryable) test(`${why}: retryable`, () => assert.equal(isRetryableAwsError(err), true));
  for (const [why, err] of permanent)
    test(`${why}: not retryable`, () => assert.equal(isRetryableAwsError(err), false));

  test("a connection cut mid-body (code ECONNRESET on a plain Error) is retryable; a missing key is not", () => {
    assert.equal(isRetryableAwsError(withCode("ECONNRESET")), true);
    assert.equal(isRetryableAwsError(withCode("EPIPE")), true);
    assert.equal(isRetryableAwsError(named("SlowDown")), true);
    assert.equal(isRetryableAwsError({ name: "NoSuchKey", $metadata: { httpStatusCode: 404 } }), false);
    assert.equal(isRetryableAwsError(new PermanentError("bad")), false);
  });
});

describe("backoffDelay", () => {
  test("full jitter below the exponential cap, never above maxMs", (t) => {
    t.mock.method(Math, "random", () => 0.9999999);
    const options = { attempts: 10, baseMs: 50, maxMs: 5_000 };
    assert.equal(backoffDelay(1, options), 99);
    assert.equal(backoffDelay(3, options), 399);
    assert.equal(backoffDelay(20, options), 4_999);
    t.mock.method(Math, "random", () => 0);
    assert.equal(backoffDelay(3, options), 0);
  });
});

describe("drainWithBackoff", () => {
  const fast = { attempts: 4, baseMs: 1, maxMs: 2 };

  test("retries exactly the entries still failing until none are left", async () => {
    const seen: number[][] = [];
    await drainWithBackoff(
      [1, 2, 3, 4],
      async (pending) => {
        seen.push(pending);
        return pending.filter((n) => n > seen.length);
      },
      "a batch",
      fast,
    );
    assert.deepEqual(seen, [[1, 2, 3, 4], [2, 3, 4], [3, 4], [4]]);
  });

  test("entries still failing after the last attempt are an error naming how many, not dropped", async () => {
    let calls = 0;
    await assert.rejects(
      drainWithBackoff(
        ["a", "b", "c"],
        async (pending) => {
          calls++;
          return pending.slice(1);
        },
        "SendMessageBatch",
        { attempts: 2, baseMs: 1, maxMs: 1 },
      ),
      (err: unknown) =>
        err instanceof RetryableError && err.message === "SendMessageBatch: 1 item(s) still failing after 2 attempts",
    );
    assert.equal(calls, 2);
  });

  test("nothing to do calls nothing", async () => {
    let calls = 0;
    await drainWithBackoff([], async () => [calls++], "nothing", fast);
    assert.equal(calls, 0);
  });

  test("a throttled call is tried again with every entry; a permanent error at once ends the drain", async () => {
    const seen: string[][] = [];
    await drainWithBackoff(
      ["a", "b"],
      async (pending) => {
        seen.push(pending);
        if (seen.length === 1) throw named("ThrottlingException");
        return [];
      },
      "a batch",
      fast,
    );
    assert.deepEqual(seen, [
      ["a", "b"],
      ["a", "b"],
    ]);
    const refused = alwaysThrowing("ValidationException");
    await assert.rejects(drainWithBackoff(["a"], refused.call, "a batch", fast), { name: "ValidationException" });
    assert.equal(refused.calls, 1);
  });

  test("a call still throttled at the last attempt fails with that error", async () => {
    const throttled = alwaysThrowing("ThrottlingException");
    await assert.rejects(drainWithBackoff(["a"], throttled.call, "a batch", fast), { name: "ThrottlingException" });
    assert.equal(throttled.calls, fast.attempts);
  });

  test("the first attempt goes at once; later ones back off", async (t) => {
    t.mock.method(Math, "random", () => 0.9999999);
    const slow = { attempts: 3, baseMs: 400, maxMs: 10_000 };
    let started = Date.now();
    await drainWithBackoff(["a"], async () => [], "a batch", { ...slow, baseMs: 3_000 });
    assert.ok(Date.now() - started < 1_500, "no wait before the first attempt");
    started = Date.now();
    let calls = 0;
    await drainWithBackoff(["a"], async (p) => (calls++ === 0 ? p : []), "a batch", slow);
    assert.ok(Date.now() - started >= 790, "a wait of up to baseMs * 2 before the second");
  });
});

describe("the default budgets", () => {
  test("a drain gives up after 10 attempts; a body is read at most 4 times", async (t) => {
    t.mock.method(Math, "random", () => 0);
    let calls = 0;
    await assert.rejects(
      drainWithBackoff(
        ["a"],
        async (pending) => {
          calls++;
          return pending;
        },
        "a batch",
      ),
      /a batch: 1 item\(s\) still failing after 10 attempts/,
    );
    assert.equal(calls, 10);
    calls = 0;
    await assert.rejects(
      retrying(async () => {
        calls++;
        throw withCode("ECONNRESET");
      }, BODY_READS),
      { code: "ECONNRESET" },
    );
    assert.equal(calls, 4);
  });
});

describe("retrying", () => {
  test("tries again while the error is retryable, up to its attempts, and never a permanent one", async () => {
    let calls = 0;
    const fast = { attempts: 3, baseMs: 1, maxMs: 1 };
    assert.equal(
      await retrying(async () => {
        calls += 1;
        if (calls < 3) throw withCode("ECONNRESET");
        return "read";
      }, fast),
      "read",
    );
    calls = 0;
    await assert.rejects(
      retrying(async () => {
        calls += 1;
        throw new RetryableError("still cut short");
      }, fast),
      /still cut short/,
    );
    assert.equal(calls, 3, "gives up after its attempts");
    calls = 0;
    await assert.rejects(
      retrying(async () => {
        calls += 1;
        throw new PermanentError("refused");
      }, fast),
      /refused/,
    );
    assert.equal(calls, 1, "a permanent error is not retried");
  });

  test("backs off between attempts, more after each", async (t) => {
    t.mock.method(Math, "random", () => 0.9999999);
    let calls = 0;
    const started = Date.now();
    const value = await retrying(
      async () => {
        if (calls++ === 0) throw withCode("ECONNRESET");
        return "done";
      },
      { attempts: 3, baseMs: 300, maxMs: 10_000 },
    );
    assert.equal(value, "done");
    assert.ok(Date.now() - started >= 590, "the first retry waits up to baseMs * 2");
  });
});
