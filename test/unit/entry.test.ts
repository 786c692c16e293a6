// The one Lambda entry wrapper (lambdas/entry.ts): the environment parsed once per container, inputs and
// outputs held to their contracts, and log lines that carry the request, the cold start and the run.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Context } from "aws-lambda";
import * as z from "zod/mini";
import { BadInputError, PermanentError } from "../../core/errors.ts";
import { restoreEnvironment } from "../../core/contracts/restore-environment.ts";
import { lambdaEntry, step } from "../../lambdas/entry.ts";

const RUN = "20261125T114723123Z-9f3ac1";

function context(requestId: string): Context {
  return {
    awsRequestId: requestId,
    functionName: "sitesync-test-step",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:sitesync-test-step",
    memoryLimitInMB: "1024",
    logGroupName: "/aws/lambda/sitesync-test-step",
    logStreamName: "stream",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 60_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/** The JSON lines the entry's logger writes (errors to stderr, the rest to stdout) while `work` runs. */
async function captureLogs(work: () => Promise<unknown>): Promise<Array<Record<string, unknown>>> {
  const lines: string[] = [];
  const streams = [process.stdout, process.stderr];
  const writes = streams.map((stream) => stream.write);
  for (const stream of streams) {
    stream.write = ((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    }) as typeof stream.write;
  }
  try {
    await work();
  } finally {
    streams.forEach((stream, i) => {
      stream.write = writes[i]!;
    });
  }
  return lines
    .join("")
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const variables = {
  AWS_REGION: "us-east-1",
  VERSION_BUCKET: "versions",
  INDEX_TABLE: "index",
  MANIFEST_QUEUE_URL: "http://127.0.0.1/queue/manifests",
  RESTORE_QUEUE_URL: "http://127.0.0.1/queue/plans",
  POSTSYNC_STATE_MACHINE_ARN: "arn:aws:states:us-east-1:000000000000:stateMachine:PostSync",
  RETENTION_DAYS: "90",
};

const echo = step({
  input: z.object({ runId: z.string(), n: z.number() }),
  output: z.object({ doubled: z.number() }),
  run: async (input: { n: number }, deps: { factor: number }) => ({ doubled: input.n * deps.factor }),
});

describe("the Lambda entry wrapper", () => {
  test("parses the environment once per container, on the first invocation", async () => {
    let reads = 0;
    let builds = 0;
    const entry = lambdaEntry({
      service: "test",
      environment: restoreEnvironment,
      variables: () => {
        reads++;
        return variables;
      },
      build: (env) => {
        builds++;
        assert.equal(env.RETENTION_DAYS, 90, "numbers arrive as numbers");
        return { factor: 2 };
      },
    });
    const handler = entry.step(echo);
    assert.equal(reads, 0, "nothing is read at import");
    await captureLogs(async () => {
      assert.deepEqual(await handler({ runId: RUN, n: 2 }, context("r1")), { doubled: 4 });
      assert.deepEqual(await handler({ runId: RUN, n: 3 }, context("r2")), { doubled: 6 });
    });
    assert.deepEqual([reads, builds], [1, 1]);
  });

  const badEnvironments: Array<[string, Record<string, string | undefined>, RegExp]> = [
    [
      "a missing variable",
      { ...variables, INDEX_TABLE: undefined },
      /"INDEX_TABLE": expected the index table's name, but it is missing/,
    ],
    [
      "an empty variable",
      { ...variables, VERSION_BUCKET: "" },
      /"VERSION_BUCKET": expected the version store bucket's name, got ""/,
    ],
    [
      "a number that is no number",
      { ...variables, RETENTION_DAYS: "ninety" },
      /"RETENTION_DAYS": expected the retention in days as decimal digits, got "ninety"/,
    ],
    ["a zero retention", { ...variables, RETENTION_DAYS: "0" }, /"RETENTION_DAYS": expected a whole number ≥ 1, got 0/],
  ];
  for (const [why, vars, message] of badEnvironments) {
    test(`refuses ${why}, naming the variable, on every invocation`, async () => {
      const entry = lambdaEntry({
        service: "test",
        environment: restoreEnvironment,
        variables: () => vars,
        build: () => ({ factor: 2 }),
      });
      const handler = entry.step(echo);
      await captureLogs(async () => {
        for (const id of ["r1", "r2"]) {
          await assert.rejects(handler({ runId: RUN, n: 1 }, context(id)), (err: Error) => {
            assert.ok(err instanceof BadInputError);
            assert.match(err.message, /^the function's environment: /);
            assert.match(err.message, message);
            return true;
          });
        }
      });
    });
  }

  test("a bad input is refused permanently with its field; a bad output is our bug, also permanent", async () => {
    const entry = lambdaEntry({
      service: "test",
      environment: restoreEnvironment,
      variables: () => variables,
      build: () => ({ factor: 2 }),
    });
    const handler = entry.step(echo);
    const broken = entry.step({ ...echo, run: async () => ({ doubled: "four" }) as unknown as { doubled: number } });
    await captureLogs(async () => {
      await assert.rejects(handler({ runId: RUN, n: "2" }, context("r1")), (err: Error) => {
        assert.ok(err instanceof BadInputError);
        assert.equal(err.message, 'task input: "n": expected a number, got "2"');
        return true;
      });
      await assert.rejects(broken({ runId: RUN, n: 2 }, context("r2")), (err: Error) => {
        assert.ok(err instanceof PermanentError && !(err instanceof BadInputError));
        assert.equal(err.message, 'task output breaks its contract: "doubled": expected a number, got "four"');
        return true;
      });
    });
  });

  test(`log lines carry the service, the request id, the cold start, \
and the run id of that invocation only`, async () => {
    // What Lambda sets for an on-demand container; Powertools reports a cold start only then.
    process.env.AWS_LAMBDA_INITIALIZATION_TYPE = "on-demand";
    const entry = lambdaEntry({
      service: "post-sync",
      environment: restoreEnvironment,
      variables: () => variables,
      build: () => ({ factor: 2 }),
    });
    const handler = entry.step(echo);
    const lines = await captureLogs(async () => {
      await handler({ runId: RUN, n: 1 }, context("req-1"));
      await handler({ runId: 7, n: 1 }, context("req-2")).catch(() => {});
    });
    delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
    assert.equal(lines.length, 2, JSON.stringify(lines));
    const [first, second] = lines as [Record<string, unknown>, Record<string, unknown>];
    assert.equal(first.service, "post-sync");
    assert.equal(first.level, "INFO");
    assert.equal(first.function_request_id, "req-1");
    assert.equal(first.cold_start, true);
    assert.equal(first.runId, RUN);
    assert.equal(second.level, "ERROR");
    assert.equal(second.function_request_id, "req-2");
    assert.equal(second.cold_start, false);
    assert.equal(second.runId, undefined, "a run id does not outlive its invocation");
    assert.equal(second.errorName, "BadInputError");
    assert.equal(second.retryable, false);
    assert.match(String(second.error), /"runId": expected a string, got 7/);
  });

  test("an AWS event (SQS, EventBridge) goes to the function as it came, with the context", async () => {
    const entry = lambdaEntry({
      service: "test",
      environment: restoreEnvironment,
      variables: () => variables,
      build: () => ({ factor: 3 }),
    });
    const handler = entry.event<{ Records: number[] }, number>(async (event, deps, ctx) => {
      assert.equal(ctx.awsRequestId, "req-9");
      return event.Records.length * deps.factor;
    });
    await captureLogs(async () => assert.equal(await handler({ Records: [1, 2] }, context("req-9")), 6));
  });
});
