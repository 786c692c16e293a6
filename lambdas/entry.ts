// The one wrapper every Lambda entry goes through (apply, each PostSync and Restore step, the watchdog):
// the environment parsed by its contract once per container, the input parsed by the step's contract and
// the output checked against it, and structured logs (AWS Powertools) that carry the request id, the cold
// start and, for the invocation, the run id its input names. Handlers stay thin: parse, call, report.
import { Logger as PowertoolsLogger } from "@aws-lambda-powertools/logger";
import type { Context } from "aws-lambda";
import { checkContract, parseContract, type Contract } from "../core/contracts/contract.ts";
import { errorMessage } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";

/** What a step may know of the invocation it runs in: the time left before its function's timeout. */
export interface Invocation {
  remainingMs(): number;
}

/** An invocation with no time limit: a step called outside any function (a test, a script). */
export const UNLIMITED: Invocation = { remainingMs: () => Number.POSITIVE_INFINITY };

/** A step: its input and output contracts, and the logic between them. */
export interface Step<I, O, Deps> {
  input: Contract<I>;
  output: Contract<O>;
  run: (input: I, deps: Deps, invocation: Invocation) => Promise<O>;
  /** The run the invocation works for, when its input names one other than as `runId`. */
  runId?: (input: I) => string | undefined;
}

export const step = <I, O, Deps>(spec: Step<I, O, Deps>): Step<I, O, Deps> => spec;

/** Parses the input, runs the step, checks its output: what a step's invocation is, wherever it runs. */
export async function runStep<I, O, Deps>(
  spec: Step<I, O, Deps>,
  event: unknown,
  deps: Deps,
  invocation: Invocation = UNLIMITED,
): Promise<O> {
  const input = parseContract(spec.input, event, "task input");
  return checkContract(spec.output, await spec.run(input, deps, invocation), "task output");
}

export type LambdaHandler<E, O> = (event: E, context: Context) => Promise<O>;

export interface LambdaEntry<Deps> {
  /** A Task state's function: the event is our own contract's input. */
  step<I, O>(spec: Step<I, O, Deps>): LambdaHandler<unknown, O>;
  /** A function AWS invokes with its own event shape (SQS, EventBridge), typed by @types/aws-lambda. */
  event<E, O>(run: (event: E, deps: Deps, context: Context) => Promise<O>): LambdaHandler<E, O>;
}

export interface EntryOptions<Env, Deps> {
  /** The Powertools service name on every log line. */
  service: string;
  environment: Contract<Env>;
  /** The function's dependencies from its parsed environment; `log` writes through the entry's logger. */
  build: (env: Env, log: Logger) => Deps;
  /** Where the variables come from: the process's environment, except in tests. */
  variables?: () => Record<string, string | undefined>;
}

export function lambdaEntry<Env, Deps>(options: EntryOptions<Env, Deps>): LambdaEntry<Deps> {
  const logger = new PowertoolsLogger({ serviceName: options.service });
  const log = logSink(logger);
  let deps: Deps | undefined;
  // Parsed on the first invocation rather than at import, so a bad variable is logged with the request.
  const dependencies = (): Deps => {
    deps ??= options.build(
      parseContract(options.environment, (options.variables ?? (() => process.env))(), "the function's environment"),
      log,
    );
    return deps;
  };

  const invoke = async <O>(context: Context, runId: () => string | undefined, work: (deps: Deps) => Promise<O>) => {
    logger.addContext(context);
    const started = Date.now();
    try {
      const id = runId();
      if (id !== undefined) logger.appendKeys({ runId: id });
      const result = await work(dependencies());
      logger.info("invocation done", { durationMs: Date.now() - started });
      return result;
    } catch (err) {
      logger.error("invocation failed", {
        errorName: err instanceof Error ? err.name : typeof err,
        error: errorMessage(err),
        retryable: (err as { retryable?: boolean } | null)?.retryable ?? true,
        durationMs: Date.now() - started,
      });
      throw err;
    } finally {
      // The run id belongs to this invocation only; the container serves others next.
      logger.resetKeys();
    }
  };

  return {
    step: (spec) => (event, context) =>
      invoke(
        context,
        () => runIdIn(spec, event),
        (d) => runStep(spec, event, d, { remainingMs: () => context.getRemainingTimeInMillis() }),
      ),
    event: (run) => (event, context) =>
      invoke(
        context,
        () => undefined,
        (d) => run(event, d, context),
      ),
  };
}

/** The run id of an input, read before parsing so that a refused input is still logged against its run. */
function runIdIn<I>(spec: Pick<Step<I, unknown, unknown>, "runId">, event: unknown): string | undefined {
  let id: unknown;
  try {
    id = spec.runId ? spec.runId(event as I) : (event as { runId?: unknown } | null)?.runId;
  } catch {
    return undefined;
  }
  return typeof id === "string" ? id : undefined;
}

/** The step logic's Logger interface over Powertools: fields become keys of the JSON line. */
function logSink(logger: PowertoolsLogger): Logger {
  return {
    debug: (msg, fields) => logger.debug(msg, fields ?? {}),
    info: (msg, fields) => logger.info(msg, fields ?? {}),
    warn: (msg, fields) => logger.warn(msg, fields ?? {}),
    error: (msg, fields) => logger.error(msg, fields ?? {}),
    progress: () => {},
  };
}
