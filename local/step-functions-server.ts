// A local Step Functions endpoint: the agent starts and watches workflows through the real SFN client, over
// the AWS JSON 1.0 protocol, exactly as in AWS; the executions run in this process with aws-local-stepfunctions.
// The rules it enforces are those of the StartExecution API reference: execution names (1-80 characters, none of
// the forbidden ones), idempotency (same name and input while RUNNING is the same execution; a different input,
// or any input once the execution has closed, is ExecutionAlreadyExists) and the 256 KiB input limit.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import { errorMessage } from "../core/errors.ts";
import { executeDefinition, type ExecutionResult, type TaskHandlers } from "./state-machines.ts";

export type ExecutionStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "ABORTED";

/** Shaped like the SDK's DescribeExecutionOutput, so tests compare like with like. */
export interface ExecutionDescription {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
}

export interface StateMachineConfig {
  definition: Record<string, unknown>;
  handlers: TaskHandlers;
  /** Retry intervals (ms) by state name, passed to executeDefinition so local retries need not wait as long. */
  retryIntervalOverrides?: Record<string, number>;
}

export interface StepFunctionsServerOptions {
  /** State machines by ARN (arn:aws:states:<region>:<account>:stateMachine:<name>). */
  machines: Record<string, StateMachineConfig>;
  port?: number;
  /** How long stop() waits for running executions before it aborts them (default 5 s). */
  stopGraceMs?: number;
}

export interface StepFunctionsServer {
  endpoint: string;
  /**
   * Waits up to stopGraceMs for running executions to end, then marks any still running ABORTED (their
   * handlers are not interrupted, but whatever they return is discarded) and closes the server.
   */
  stop(): Promise<void>;
  /** Resolves once the execution has left RUNNING; rejects for an unknown ARN or past the timeout. */
  waitForExecution(executionArn: string, timeoutMs?: number): Promise<ExecutionDescription>;
  executions(): ExecutionDescription[];
}

const HOST = "127.0.0.1";
// StartExecution: "Length constraints apply to the payload size, and are expressed as bytes in UTF-8 encoding."
// The reference gives no error code for an oversized input; ValidationException is the service's code for a
// failed member constraint, so that is what we answer.
const MAX_INPUT_BYTES = 256 * 1024;
// StartExecution: a name must not contain whitespace, < > { } [ ], ? *, " # % \ ^ | ~ ` $ & , ; : /, or control
// characters (U+0000-001F, U+007F-009F); it has 1 to 80 characters.
const FORBIDDEN_IN_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;

/** An error the SDK deserializes by its __type into the exception class of that name. */
class ServiceError extends Error {
  readonly type: string;
  constructor(type: string, message: string) {
    super(message);
    this.type = type;
  }
}

interface Execution {
  description: ExecutionDescription;
  /** Resolves when the execution leaves RUNNING; never rejects. */
  ended: Promise<void>;
  end(final: Partial<ExecutionDescription> & { status: Exclude<ExecutionStatus, "RUNNING"> }): void;
}

export async function startStepFunctionsServer(options: StepFunctionsServerOptions): Promise<StepFunctionsServer> {
  for (const arn of Object.keys(options.machines)) {
    if (!arn.includes(":stateMachine:")) throw new Error(`not a state machine ARN: ${arn}`);
  }
  const executions = new Map<string, Execution>();
  const stopGraceMs = options.stopGraceMs ?? 5_000;

  const operations: Record<string, (request: Record<string, unknown>) => unknown> = {
    StartExecution(request) {
      const stateMachineArn = requiredString(request, "stateMachineArn");
      const machine = options.machines[stateMachineArn];
      if (!machine)
        throw new ServiceError("StateMachineDoesNotExist", `State Machine Does Not Exist: '${stateMachineArn}'`);
      const name = request.name === undefined ? randomUUID() : requiredString(request, "name");
      if (name.length < 1 || name.length > 80 || FORBIDDEN_IN_NAME.test(name)) {
        throw new ServiceError("InvalidName", `Invalid Name: '${name}'`);
      }
      const input = request.input === undefined ? "{}" : requiredString(request, "input");
      if (Buffer.byteLength(input, "utf8") > MAX_INPUT_BYTES) {
        throw new ServiceError(
          "ValidationException",
          "Value at 'input' failed to satisfy constraint: " +
            `Member must have length less than or equal to ${MAX_INPUT_BYTES}`,
        );
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(input);
      } catch (err) {
        throw new ServiceError(
          "InvalidExecutionInput",
          `Invalid State Machine Execution Input: '${errorMessage(err)}'`,
        );
      }
      const executionArn = `${stateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;
      const existing = executions.get(executionArn);
      if (existing) {
        const d = existing.description;
        if (d.status === "RUNNING" && d.input === input) return { executionArn, startDate: epochSeconds(d.startDate) };
        throw new ServiceError("ExecutionAlreadyExists", `Execution Already Exists: '${executionArn}'`);
      }
      const execution = newExecution({
        executionArn,
        stateMachineArn,
        name,
        status: "RUNNING",
        startDate: new Date(),
        input,
      });
      executions.set(executionArn, execution);
      run(execution, machine, parsed);
      return { executionArn, startDate: epochSeconds(execution.description.startDate) };
    },

    DescribeExecution(request) {
      const executionArn = requiredString(request, "executionArn");
      const execution = executions.get(executionArn);
      if (!execution) throw new ServiceError("ExecutionDoesNotExist", `Execution Does Not Exist: '${executionArn}'`);
      const d = execution.description;
      return { ...d, startDate: epochSeconds(d.startDate), stopDate: d.stopDate && epochSeconds(d.stopDate) };
    },

    ListExecutions(request) {
      const stateMachineArn = requiredString(request, "stateMachineArn");
      if (!options.machines[stateMachineArn]) {
        throw new ServiceError("StateMachineDoesNotExist", `State Machine Does Not Exist: '${stateMachineArn}'`);
      }
      const statusFilter = request.statusFilter;
      // Newest first, as the service lists them.
      const listed = [...executions.values()]
        .map((e) => e.description)
        .filter(
          (d) => d.stateMachineArn === stateMachineArn && (statusFilter === undefined || d.status === statusFilter),
        )
        .sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
      return {
        executions: listed.map((d) => ({
          executionArn: d.executionArn,
          stateMachineArn: d.stateMachineArn,
          name: d.name,
          status: d.status,
          startDate: epochSeconds(d.startDate),
          stopDate: d.stopDate && epochSeconds(d.stopDate),
        })),
      };
    },
  };

  const server = createServer((req, res) => {
    handle(req, res, operations).catch((err) => {
      // Only a broken connection gets here: every request error has been answered already.
      res.destroy(err instanceof Error ? err : new Error(String(err)));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, HOST, () => {
      server.off("error", reject);
      resolve();
    });
  });

  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://${HOST}:${(server.address() as AddressInfo).port}`,
    stop() {
      stopping ??= (async () => {
        const running = [...executions.values()].filter((e) => e.description.status === "RUNNING");
        let timer: NodeJS.Timeout | undefined;
        const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, stopGraceMs)));
        await Promise.race([Promise.all(running.map((e) => e.ended)), grace]);
        clearTimeout(timer);
        for (const e of running) {
          e.end({
            status: "ABORTED",
            error: "States.Aborted",
            cause: `the local Step Functions server stopped after ${stopGraceMs} ms`,
          });
        }
        await new Promise<void>((resolve, reject) => {
          server.close((err) => (err ? reject(err) : resolve()));
          // Keep-alive sockets of SDK clients would otherwise hold close() open until they time out.
          server.closeAllConnections();
        });
      })();
      return stopping;
    },
    async waitForExecution(executionArn, timeoutMs = 30_000) {
      const execution = executions.get(executionArn);
      if (!execution) throw new Error(`no execution ${executionArn}`);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`execution ${executionArn} still RUNNING after ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      try {
        await Promise.race([execution.ended, timeout]);
      } finally {
        clearTimeout(timer);
      }
      return { ...execution.description };
    },
    executions: () => [...executions.values()].map((e) => ({ ...e.description })),
  };
}

function newExecution(description: ExecutionDescription): Execution {
  const { promise, resolve } = Promise.withResolvers<void>();
  return {
    description,
    ended: promise,
    end(final) {
      // The first ending wins: a run that finishes after stop() aborted it changes nothing.
      if (description.status !== "RUNNING") return;
      Object.assign(description, final, { stopDate: new Date() });
      resolve();
    },
  };
}

/** Runs in the background; every way it can end, including the executor itself failing, ends the execution. */
function run(execution: Execution, machine: StateMachineConfig, input: unknown): void {
  executeDefinition(machine.definition, input, withErrorValues(machine.handlers), machine.retryIntervalOverrides).then(
    (result: ExecutionResult) =>
      execution.end(
        result.status === "SUCCEEDED"
          ? { status: "SUCCEEDED", output: JSON.stringify(result.output ?? null) }
          : { status: "FAILED", error: result.error, cause: result.cause },
      ),
    (err: unknown) =>
      // States.Runtime is the service's name for an execution that failed outside any state's own error.
      execution.end({
        status: "FAILED",
        error: "States.Runtime",
        cause: `the local executor failed: ${errorMessage(err)}`,
      }),
  );
}

/**
 * aws-local-stepfunctions needs an Error from a failing Task: a thrown string ends the execution with a
 * meaningless cause, and a thrown undefined crashes it. So a non-Error becomes an Error that says what was thrown.
 */
function withErrorValues(handlers: TaskHandlers): TaskHandlers {
  return Object.fromEntries(
    Object.entries(handlers).map(([prefix, handler]) => [
      prefix,
      async (payload: unknown, functionArn: string) => {
        try {
          return await handler(payload, functionArn);
        } catch (err) {
          if (err instanceof Error) throw err;
          throw new Error(`the handler for ${prefix} threw a non-Error value: ${inspect(err)}`);
        }
      },
    ]),
  );
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  operations: Record<string, (request: Record<string, unknown>) => unknown>,
): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    const target = String(req.headers["x-amz-target"] ?? "");
    const name = target.startsWith("AWSStepFunctions.") ? target.slice("AWSStepFunctions.".length) : "";
    // Own properties only: "constructor" or "toString" must not answer as operations.
    const operation = Object.hasOwn(operations, name) ? operations[name] : undefined;
    if (req.method !== "POST" || !operation)
      throw new ServiceError("UnknownOperationException", `unsupported operation: ${req.method} ${target}`);
    let request: unknown;
    try {
      request = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
    } catch (err) {
      throw new ServiceError("SerializationException", errorMessage(err));
    }
    if (typeof request !== "object" || request === null)
      throw new ServiceError("SerializationException", "the request body is not a JSON object");
    reply(res, 200, operation(request as Record<string, unknown>));
  } catch (err) {
    // AWS JSON 1.0 errors: HTTP 400 and the error's name in __type.
    if (err instanceof ServiceError) reply(res, 400, { __type: err.type, message: err.message });
    else reply(res, 500, { __type: "InternalServerError", message: errorMessage(err) });
  }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/x-amz-json-1.0" });
  res.end(JSON.stringify(body));
}

function requiredString(request: Record<string, unknown>, field: string): string {
  const value = request[field];
  if (typeof value !== "string")
    throw new ServiceError(
      "ValidationException",
      `Value at '${field}' failed to satisfy constraint: Member must not be null`,
    );
  return value;
}

/** The protocol's timestamps: epoch seconds, fractional. */
function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}
