// The local Step Functions endpoint, driven the way the agent drives it: the real SFN client over HTTP.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  StartExecutionCommand,
  type DescribeExecutionCommandOutput,
  type SFNClient,
} from "@aws-sdk/client-sfn";
import { createSfnClient } from "../../aws/clients.ts";
import { startStepFunctionsServer, type StepFunctionsServer } from "../../local/step-functions-server.ts";

const MACHINE = "arn:aws:states:us-east-1:000000000000:stateMachine:Checker";

// Task → Choice → Succeed or Fail: the Task's handler decides the branch.
const definition = {
  StartAt: "Check",
  States: {
    Check: { Type: "Task", Resource: "arn:aws:lambda:us-east-1:000000000000:function:CheckFunction", Next: "Route" },
    Route: {
      Type: "Choice",
      Choices: [{ Variable: "$.ok", BooleanEquals: true, Next: "Done" }],
      Default: "Refuse",
    },
    Done: { Type: "Succeed" },
    Refuse: { Type: "Fail", Error: "CheckFailed", Cause: "the check said no" },
  },
};

// Inputs with { hold: true } wait in the Task until release(), so a test can act while an execution is RUNNING.
let release: () => void = () => {};
let held = Promise.resolve();
async function check(payload: unknown): Promise<unknown> {
  const input = payload as { value: number; hold?: boolean; throwValue?: boolean };
  if (input.hold) await held;
  if (input.throwValue) throw "not an Error";
  return { ok: input.value > 0, doubled: input.value * 2 };
}

let server: StepFunctionsServer;
let sfn: SFNClient;

before(async () => {
  server = await startStepFunctionsServer({
    machines: { [MACHINE]: { definition, handlers: { CheckFunction: check } } },
  });
  sfn = createSfnClient({
    region: "us-east-1",
    endpoints: { sfn: server.endpoint },
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 1,
  });
});

after(async () => {
  release();
  sfn.destroy();
  await server.stop();
});

async function describeUntilDone(executionArn: string): Promise<DescribeExecutionCommandOutput> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (out.status !== "RUNNING") return out;
    if (Date.now() > deadline) assert.fail(`${executionArn} still RUNNING`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => assert.fail("expected the call to be refused"),
    (err: unknown) => err as Error,
  );
}

describe("local Step Functions server", () => {
  test("an execution runs the Task and the Choice and SUCCEEDS with the Task's output", async () => {
    const started = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: MACHINE, name: "ok-1", input: JSON.stringify({ value: 21 }) }),
    );
    assert.equal(started.executionArn, "arn:aws:states:us-east-1:000000000000:execution:Checker:ok-1");
    assert.ok(started.startDate instanceof Date);
    const done = await describeUntilDone(started.executionArn!);
    assert.equal(done.status, "SUCCEEDED");
    assert.deepEqual(JSON.parse(done.output!), { ok: true, doubled: 42 });
    assert.deepEqual(JSON.parse(done.input!), { value: 21 });
    assert.equal(done.stateMachineArn, MACHINE);
    assert.equal(done.name, "ok-1");
    assert.ok(done.stopDate instanceof Date && done.stopDate >= done.startDate!);
  });

  test("the Fail branch ends FAILED with the Fail state's error and cause", async () => {
    const started = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: MACHINE, input: JSON.stringify({ value: -1 }) }),
    );
    const done = await describeUntilDone(started.executionArn!);
    assert.equal(done.status, "FAILED");
    assert.equal(done.error, "CheckFailed");
    assert.equal(done.cause, "the check said no");
    assert.equal(done.output, undefined);
  });

  test("a handler that throws a non-Error ends FAILED with a cause that says so", async () => {
    const started = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: MACHINE, input: JSON.stringify({ value: 1, throwValue: true }) }),
    );
    const done = await server.waitForExecution(started.executionArn!, 10_000);
    assert.equal(done.status, "FAILED");
    assert.match(done.cause ?? "", /CheckFunction threw a non-Error value: 'not an Error'/);
  });

  test(`a repeated name: same input while RUNNING is the same execution; \
different input, or after it closed, is refused`, async () => {
    held = new Promise<void>((resolve) => (release = resolve));
    const input = JSON.stringify({ value: 5, hold: true });
    const first = await sfn.send(new StartExecutionCommand({ stateMachineArn: MACHINE, name: "dup", input }));
    const again = await sfn.send(new StartExecutionCommand({ stateMachineArn: MACHINE, name: "dup", input }));
    assert.equal(again.executionArn, first.executionArn);
    assert.equal(again.startDate?.getTime(), first.startDate?.getTime());

    const different = await rejection(
      sfn.send(new StartExecutionCommand({ stateMachineArn: MACHINE, name: "dup", input: "{}" })),
    );
    assert.equal(different.name, "ExecutionAlreadyExists");

    const running = await sfn.send(new ListExecutionsCommand({ stateMachineArn: MACHINE, statusFilter: "RUNNING" }));
    assert.deepEqual(
      running.executions?.map((e) => e.name),
      ["dup"],
    );

    release();
    const done = await server.waitForExecution(first.executionArn!);
    assert.equal(done.status, "SUCCEEDED");
    const closed = await rejection(
      sfn.send(new StartExecutionCommand({ stateMachineArn: MACHINE, name: "dup", input })),
    );
    assert.equal(closed.name, "ExecutionAlreadyExists");
    assert.equal(server.executions().filter((e) => e.name === "dup").length, 1);
  });

  test("ListExecutions lists a machine's executions newest first, by status", async () => {
    const all = await sfn.send(new ListExecutionsCommand({ stateMachineArn: MACHINE }));
    const starts = all.executions!.map((e) => e.startDate!.getTime());
    assert.deepEqual(
      starts,
      [...starts].sort((a, b) => b - a),
    );
    assert.ok(all.executions!.some((e) => e.name === "ok-1" && e.status === "SUCCEEDED"));
    const failed = await sfn.send(new ListExecutionsCommand({ stateMachineArn: MACHINE, statusFilter: "FAILED" }));
    assert.ok(failed.executions!.length >= 2);
    assert.ok(failed.executions!.every((e) => e.status === "FAILED" && e.stopDate instanceof Date));
  });

  test("refusals surface as the SDK's exceptions", async () => {
    const unknown = await rejection(
      sfn.send(
        new StartExecutionCommand({
          stateMachineArn: "arn:aws:states:us-east-1:000000000000:stateMachine:Nope",
          input: "{}",
        }),
      ),
    );
    assert.equal(unknown.name, "StateMachineDoesNotExist");
    assert.equal((unknown as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode, 400);

    const badInput = await rejection(
      sfn.send(new StartExecutionCommand({ stateMachineArn: MACHINE, input: "{not json" })),
    );
    assert.equal(badInput.name, "InvalidExecutionInput");

    const badName = await rejection(
      sfn.send(new StartExecutionCommand({ stateMachineArn: MACHINE, name: "run:2026", input: "{}" })),
    );
    assert.equal(badName.name, "InvalidName");

    const missing = await rejection(
      sfn.send(
        new DescribeExecutionCommand({ executionArn: "arn:aws:states:us-east-1:000000000000:execution:Checker:never" }),
      ),
    );
    assert.equal(missing.name, "ExecutionDoesNotExist");
  });
});

describe("local Step Functions server: stop()", () => {
  async function startHeld(stopGraceMs: number) {
    let releaseHeld: () => void = () => {};
    const gate = new Promise<void>((resolve) => (releaseHeld = resolve));
    const own = await startStepFunctionsServer({
      machines: {
        [MACHINE]: {
          definition,
          handlers: {
            CheckFunction: async () => {
              await gate;
              return { ok: true };
            },
          },
        },
      },
      stopGraceMs,
    });
    const client = createSfnClient({
      region: "us-east-1",
      endpoints: { sfn: own.endpoint },
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    const started = await client.send(
      new StartExecutionCommand({ stateMachineArn: MACHINE, input: JSON.stringify({ value: 1 }) }),
    );
    client.destroy();
    return { own, executionArn: started.executionArn!, releaseHeld };
  }

  test("waits for a running execution to finish", async () => {
    const { own, executionArn, releaseHeld } = await startHeld(5_000);
    setTimeout(releaseHeld, 50);
    await own.stop();
    assert.equal((await own.waitForExecution(executionArn)).status, "SUCCEEDED");
  });

  test("aborts an execution still running after the grace period", async () => {
    const { own, executionArn, releaseHeld } = await startHeld(50);
    await own.stop();
    const aborted = await own.waitForExecution(executionArn);
    assert.equal(aborted.status, "ABORTED");
    assert.match(aborted.cause ?? "", /stopped after 50 ms/);
    releaseHeld();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(own.executions()[0]?.status, "ABORTED", "a run that ends after the abort changes nothing");
  });
});

describe("local Step Functions server: retryIntervalOverrides", () => {
  test("a Task's Retry waits the overridden interval instead of the definition's", async () => {
    let attempts = 0;
    const retrying = {
      StartAt: "Flaky",
      States: {
        Flaky: {
          Type: "Task",
          Resource: "arn:aws:lambda:us-east-1:000000000000:function:FlakyFunction",
          Retry: [{ ErrorEquals: ["Busy"], IntervalSeconds: 30, MaxAttempts: 2 }],
          End: true,
        },
      },
    };
    const flaky = async () => {
      if (++attempts === 1) throw Object.assign(new Error("try again"), { name: "Busy" });
      return { attempts };
    };
    const own = await startStepFunctionsServer({
      machines: {
        [MACHINE]: { definition: retrying, handlers: { FlakyFunction: flaky }, retryIntervalOverrides: { Flaky: 10 } },
      },
    });
    try {
      const client = createSfnClient({
        region: "us-east-1",
        endpoints: { sfn: own.endpoint },
        credentials: { accessKeyId: "local", secretAccessKey: "local" },
      });
      const started = await client.send(new StartExecutionCommand({ stateMachineArn: MACHINE, input: "{}" }));
      client.destroy();
      const done = await own.waitForExecution(started.executionArn!, 5_000);
      assert.equal(done.status, "SUCCEEDED");
      assert.deepEqual(JSON.parse(done.output!), { attempts: 2 });
    } finally {
      await own.stop();
    }
  });
});
