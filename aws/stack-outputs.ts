// A deployed stack's outputs (CloudFormation DescribeStacks), for `sitesync config --from-stack`. An
// operator's command run with the operator's credentials: the agent's own policy has no CloudFormation.
import { type CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import type { DeployedStack } from "../core/stack-config.ts";

/** The stack, or undefined when CloudFormation says there is none of that name (in the client's region). */
export async function describeStack(cfn: CloudFormationClient, stackName: string): Promise<DeployedStack | undefined> {
  try {
    const res = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = res.Stacks?.[0];
    if (!stack) return undefined;
    const outputs: Record<string, string> = {};
    for (const o of stack.Outputs ?? []) if (o.OutputKey && o.OutputValue) outputs[o.OutputKey] = o.OutputValue;
    return { name: stack.StackName ?? stackName, status: stack.StackStatus ?? "UNKNOWN", outputs };
  } catch (err) {
    // CloudFormation has no NotFound error here: a missing stack is a ValidationError saying so.
    const e = err as Error;
    if (e.name === "ValidationError" && /does not exist/.test(e.message)) return undefined;
    throw err;
  }
}
