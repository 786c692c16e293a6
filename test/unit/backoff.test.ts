// Retry classification for what the SDK leaves to its callers: a body cut short mid-read is a plain Error
// whose code alone says what happened.
import { test } from "node:test";
import assert from "node:assert/strict";
import { isRetryableAwsError, retrying } from "../../aws/backoff.ts";
import { PermanentError, RetryableError } from "../../core/errors.ts";

const withCode = (code: string) => Object.assign(new Error("aborted"), { code });

test("a connection cut mid-body (code ECONNRESET on a plain Error) is retryable; a missing key is not", () => {
  assert.equal(isRetryableAwsError(withCode("ECONNRESET")), true);
  assert.equal(isRetryableAwsError(withCode("EPIPE")), true);
  assert.equal(isRetryableAwsError(Object.assign(new Error("x"), { name: "SlowDown" })), true);
  assert.equal(isRetryableAwsError({ name: "NoSuchKey", $metadata: { httpStatusCode: 404 } }), false);
  assert.equal(isRetryableAwsError(new PermanentError("bad")), false);
});

test("retrying tries again while the error is retryable, up to its attempts, and never a permanent one", async () => {
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
