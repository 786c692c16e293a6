// Which fields of the agent's configuration come from the deployed stack, and from which of its outputs
// (lib/sitesync-stack.ts creates them). Pure: `sitesync config --from-stack` reads the outputs through
// aws/stack-outputs.ts and writes what this decides into the configuration file; agent/config.ts names
// the same fields when one is left empty.
//
//  stack, as DescribeStacks answered                  | result
//  ---------------------------------------------------+------------------------------------------------------
//  no such stack (undefined)                          | StackOutputsError: no stack NAME in REGION (check the
//                                                     |   name and --region)
//  an output of STACK_OUTPUTS missing, or empty       | StackOutputsError naming every such output, the stack
//    (a stack of an older sitesync, or one whose      |   and its status: deploy this version, or name the
//    creation failed before outputs existed)          |   right stack
//  every output of STACK_OUTPUTS present              | each field ← its output's value (table below)
//  AgentInstanceProfile, AgentUser, DistributionId,   | not configuration: returned as `notes`, for the
//    DistributionDomain                               |   operator (attach the profile, make a key...)
//  any other output                                   | ignored
//
//  output                    | field                        output                    | field
//  --------------------------+------------------------      --------------------------+------------------------
//  Region                    | region                       DeadLetterQueueUrl        | deadLetterQueueUrl
//  SiteBucket                | siteBucket                   PostSyncStateMachineArn   | postSyncStateMachineArn
//  VersionBucket             | versionBucket                RestoreStateMachineArn    | restoreStateMachineArn
//  IndexTable                | table                        RestoreQueueUrl           | restoreQueueUrl
//  ManifestQueueUrl          | queueUrl
//
// Every output is required, the optional fields' too: a stack of this version has them all, and a config
// filled from an older one would lack what `status`, `redrive` and `restore --from-queue` need.
import { PermanentError } from "./errors.ts";

export const STACK_OUTPUTS = [
  { output: "Region", field: "region" },
  { output: "SiteBucket", field: "siteBucket" },
  { output: "VersionBucket", field: "versionBucket" },
  { output: "IndexTable", field: "table" },
  { output: "ManifestQueueUrl", field: "queueUrl" },
  { output: "DeadLetterQueueUrl", field: "deadLetterQueueUrl" },
  { output: "PostSyncStateMachineArn", field: "postSyncStateMachineArn" },
  { output: "RestoreStateMachineArn", field: "restoreStateMachineArn" },
  { output: "RestoreQueueUrl", field: "restoreQueueUrl" },
] as const;

export type ResourceField = (typeof STACK_OUTPUTS)[number]["field"];

/** The configuration fields a deployment decides, in the order the starting configuration lists them. */
export const RESOURCE_FIELDS: readonly ResourceField[] = STACK_OUTPUTS.map((o) => o.field);

/** Outputs for the operator rather than the agent, with what to do with each. */
const OPERATOR_OUTPUTS: Record<string, string> = {
  AgentInstanceProfile: "attach this instance profile to the FTP host's EC2 instance",
  AgentUser: "create an access key for this IAM user and store it on the FTP host (docs/operations.md)",
  DistributionId: "the CloudFront distribution",
  DistributionDomain: "the site's address",
};

/** A stack as DescribeStacks describes it. */
export interface DeployedStack {
  name: string;
  status: string;
  /** OutputKey → OutputValue. */
  outputs: Record<string, string>;
}

export interface StackConfig {
  values: Record<ResourceField, string>;
  /** The outputs meant for the operator, each with its value and what it is for. */
  notes: Array<{ output: string; value: string; use: string }>;
}

/** The stack is not there, or is not a stack this version of sitesync can be configured from. */
export class StackOutputsError extends PermanentError {
  override readonly name = "StackOutputsError";
}

export function configFromStack(stack: DeployedStack | undefined, stackName: string, region: string): StackConfig {
  if (stack === undefined) {
    throw new StackOutputsError(
      `no stack named "${stackName}" in ${region}: check the name (aws cloudformation list-stacks, or ` +
        `sitesync-ENV for the environment ENV of config/environments.json) and the region (--region)`,
    );
  }
  const missing = STACK_OUTPUTS.filter(({ output }) => !stack.outputs[output]).map((o) => o.output);
  if (missing.length > 0) {
    throw new StackOutputsError(
      `stack ${stack.name} (${stack.status}) has no output ${missing.join(", ")}: it was not deployed from ` +
        `this version of sitesync (npx cdk deploy -c env=NAME), or it is not a sitesync stack`,
    );
  }
  const values = Object.fromEntries(STACK_OUTPUTS.map(({ output, field }) => [field, stack.outputs[output]]));
  const notes = Object.entries(OPERATOR_OUTPUTS)
    .filter(([output]) => stack.outputs[output])
    .map(([output, use]) => ({ output, value: stack.outputs[output] as string, use }));
  return { values: values as Record<ResourceField, string>, notes };
}

/**
 * The configuration file's object with the resource fields set: every other field, "//" notes included,
 * kept as it was and where it was (JSON.stringify keeps insertion order); a field it lacked is added.
 */
export function withStackValues(
  config: Record<string, unknown>,
  values: Record<ResourceField, string>,
): Record<string, unknown> {
  return { ...config, ...values };
}
