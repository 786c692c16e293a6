// Runs the state machines of the synthesized template with aws-local-stepfunctions: the definitions
// are the deployed ones, with CloudFormation tokens resolved to local names and each Task state mapped to
// the real handler that its Lambda function names.
import { ExecutionError, StateMachine } from "aws-local-stepfunctions";
import type { CfnTemplate } from "./template.ts";

export type WorkflowName = "PostSync" | "Restore";

/**
 * Task handlers by the logical-id prefix of the Lambda function a Task invokes; each is also told the ARN
 * the Task invokes, as the state machine's role would be asked for it.
 */
export type TaskHandlers = Record<string, (payload: unknown, functionArn: string) => Promise<unknown>>;

export type ExecutionResult =
  | { status: "SUCCEEDED"; output: unknown }
  | { status: "FAILED"; error: string; cause: string };

const LOCAL_ACCOUNT = "000000000000";
const LOCAL_REGION = "us-east-1";

/** The definition of a workflow with tokens resolved: GetAtt Arn → a local Lambda ARN naming the logical id. */
export function workflowDefinition(
  template: CfnTemplate,
  name: WorkflowName,
): { id: string; definition: Record<string, unknown> } {
  const found = Object.entries(template.Resources).filter(
    ([id, r]) => r.Type === "AWS::StepFunctions::StateMachine" && id.startsWith(`Workflows${name}`),
  );
  if (found.length !== 1) throw new Error(`template has ${found.length} state machines named Workflows${name}*`);
  const [id, resource] = found[0]!;
  return {
    id,
    definition: JSON.parse(resolveTokens(resource.Properties?.DefinitionString)) as Record<string, unknown>,
  };
}

function resolveTokens(value: unknown): string {
  if (typeof value === "string") return value;
  const v = value as Record<string, unknown>;
  if (Array.isArray(v["Fn::Join"])) {
    const [separator, parts] = v["Fn::Join"] as [string, unknown[]];
    return parts.map(resolveTokens).join(separator);
  }
  if (Array.isArray(v["Fn::GetAtt"])) {
    const [id, attribute] = v["Fn::GetAtt"] as [string, string];
    if (attribute === "Arn") return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${id}`;
    return `${id}.${attribute}`;
  }
  if (typeof v.Ref === "string") {
    if (v.Ref === "AWS::Partition") return "aws";
    if (v.Ref === "AWS::Region") return LOCAL_REGION;
    if (v.Ref === "AWS::AccountId") return LOCAL_ACCOUNT;
    return v.Ref;
  }
  throw new Error(`unsupported token in a state machine definition: ${JSON.stringify(value).slice(0, 200)}`);
}

/** Every Task state (inside Map and Parallel too) mapped to the handler of the function it invokes. */
function taskOverrides(
  definition: Record<string, unknown>,
  handlers: TaskHandlers,
): Record<string, (input: never) => Promise<never>> {
  const overrides: Record<string, (input: never) => Promise<never>> = {};
  const visit = (states: Record<string, Record<string, unknown>>) => {
    for (const [stateName, state] of Object.entries(states)) {
      if (state.Type === "Task") {
        const fn = String(
          (state.Parameters as Record<string, unknown> | undefined)?.FunctionName ?? state.Resource ?? "",
        );
        const logicalId = fn.slice(fn.lastIndexOf(":") + 1);
        const handler = Object.entries(handlers).find(([prefix]) => logicalId.startsWith(prefix))?.[1];
        if (!handler) throw new Error(`no local handler for Task state "${stateName}" (${fn})`);
        const isInvoke = String(state.Resource).startsWith("arn:aws:states:::lambda:invoke");
        // The lambda:invoke integration wraps the function's answer as { Payload, StatusCode }.
        overrides[stateName] = (async (input: unknown) => {
          const payload = isInvoke ? ((input as { Payload?: unknown }).Payload ?? input) : input;
          const output = await handler(payload, fn);
          return (isInvoke ? { Payload: output, StatusCode: 200 } : output) as never;
        }) as (input: never) => Promise<never>;
      }
      const processor = (state.ItemProcessor ?? state.Iterator) as
        | { States?: Record<string, Record<string, unknown>> }
        | undefined;
      if (processor?.States) visit(processor.States);
      for (const branch of (state.Branches as Array<{ States: Record<string, Record<string, unknown>> }> | undefined) ??
        [])
        visit(branch.States);
    }
  };
  visit(definition.States as Record<string, Record<string, unknown>>);
  return overrides;
}

/** Runs one execution of a definition to its end. */
export async function executeDefinition(
  definition: Record<string, unknown>,
  input: unknown,
  handlers: TaskHandlers = {},
  retryIntervalOverrides: Record<string, number> = {},
): Promise<ExecutionResult> {
  const machine = new StateMachine(definition as never, { validationOptions: { checkArn: false } });
  const execution = machine.run(input as never, {
    overrides: { taskResourceLocalHandlers: taskOverrides(definition, handlers) as never, retryIntervalOverrides },
  });
  try {
    return { status: "SUCCEEDED", output: await execution.result };
  } catch (err) {
    if (err instanceof ExecutionError) {
      const cause = (err as unknown as { cause?: { name?: string; message?: string } }).cause;
      return { status: "FAILED", error: cause?.name ?? err.name, cause: cause?.message ?? err.message };
    }
    throw err;
  }
}
