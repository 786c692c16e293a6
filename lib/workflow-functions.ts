// The functions behind a workflow's Task states: one bundle (one entry file exporting a handler per
// step), one function per step with its own role holding exactly that step's statements.
import { Duration, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import type { Construct } from "constructs";
import { join } from "node:path";
import type { Service } from "../core/metric-names.ts";
import { bundling, functionRole, powertoolsVariables, PROJECT_ROOT } from "./apply-function.ts";
import { acknowledge, wildcardFinding } from "./nag.ts";

export interface StepSpec {
  statements: iam.PolicyStatement[];
  /** Why each wildcard resource of the statements is there, keyed by its IAM5 finding id. */
  wildcards?: Record<string, string>;
  timeout?: Duration;
}

export function createStepFunctions<S extends string>(
  scope: Construct,
  options: {
    entry: string;
    /** The Powertools service name of the entry's functions: their logs' and metrics' `service`. */
    service: Service;
    steps: Record<S, StepSpec>;
    environment: Record<string, string>;
    description: string;
  },
): Record<S, nodejs.NodejsFunction> {
  const fns = {} as Record<S, nodejs.NodejsFunction>;
  for (const step of Object.keys(options.steps) as S[]) {
    const spec = options.steps[step];
    const name = step[0]!.toUpperCase() + step.slice(1);
    const logGroup = new logs.LogGroup(scope, `${name}Logs`, { retention: logs.RetentionDays.THREE_MONTHS });
    const role = functionRole(scope, `${name}Role`, logGroup);
    for (const statement of spec.statements) role.addToPolicy(statement);
    for (const [finding, reason] of Object.entries(spec.wildcards ?? {})) acknowledge(role, finding, reason);
    const fn = new nodejs.NodejsFunction(scope, name, {
      entry: join(PROJECT_ROOT, options.entry),
      handler: step,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 1024,
      timeout: spec.timeout ?? Duration.minutes(5),
      role,
      logGroup,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, "package-lock.json"),
      bundling: bundling(),
      environment: { ...powertoolsVariables(options.service), ...options.environment },
      description: `${options.description}: ${step}`,
    });
    acknowledge(
      fn,
      "AwsSolutions-L1",
      "Node.js 22 (LTS until April 2027) is the runtime this release is built and tested for; " +
        "a runtime change is a deliberate release with its own tests.",
    );
    fns[step] = fn;
  }
  return fns;
}

/** A traced, fully logged state machine over `definition` that may invoke exactly `fns`. */
export function workflowStateMachine(
  scope: Construct,
  definition: Record<string, unknown>,
  fns: Record<string, lambda.IFunction>,
): sfn.StateMachine {
  const stack = Stack.of(scope);
  const logGroup = new logs.LogGroup(scope, "Logs", { retention: logs.RetentionDays.THREE_MONTHS });
  const machine = new sfn.StateMachine(scope, "StateMachine", {
    definitionBody: sfn.DefinitionBody.fromString(stack.toJsonString(definition)),
    timeout: Duration.hours(6),
    tracingEnabled: true,
    logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
  });
  // The Task states invoke each function by its unqualified ARN; grantInvoke would add every version and
  // alias too (":*").
  for (const fn of Object.values(fns)) {
    machine.addToRolePolicy(
      new iam.PolicyStatement({ actions: ["lambda:InvokeFunction"], resources: [fn.functionArn] }),
    );
  }
  acknowledge(
    machine.role,
    "AwsSolutions-IAM5[Resource::*]",
    "X-Ray tracing and CloudWatch Logs delivery (logs:CreateLogDelivery and friends) " +
      "do not support resource-level permissions.",
  );
  return machine;
}

export const LAMBDA_TRANSIENT_RETRY = {
  ErrorEquals: [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
  ],
  IntervalSeconds: 2,
  BackoffRate: 2,
  MaxAttempts: 6,
  JitterStrategy: "FULL",
  Comment: "Lambda service errors and throttling are transient: retry with jittered backoff.",
};

/** The function a Task state invokes: its ARN, and its timeout when it has one. */
export interface TaskFunction {
  functionArn: string;
  timeout?: Duration;
}

/**
 * A Task state's timeout: its function's plus a minute. The function's own timeout ends a slow invocation
 * (Sandbox.Timedout); the state's only ends an invocation that never answers, which the service would
 * otherwise wait on for a year (its default).
 */
export const taskTimeout = (fn: TaskFunction) => (fn.timeout ? { TimeoutSeconds: fn.timeout.toSeconds() + 60 } : {});

export const invokeTask = (fn: TaskFunction, payload: Record<string, unknown>) => ({
  Type: "Task",
  Resource: "arn:aws:states:::lambda:invoke",
  Parameters: { FunctionName: fn.functionArn, Payload: payload },
  ...taskTimeout(fn),
});

export { wildcardFinding };
