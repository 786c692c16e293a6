// The local stack takes its resources from the synthesized CloudFormation template, so what the tests run
// is what `cdk deploy` creates: queue settings, the event source mapping, the table's keys, the apply
// function's environment and the state machine definitions all come from here.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadEnvironment, type EnvironmentConfig } from "../lib/environment-config.ts";
import { parsePublishRules, type PublishRules } from "../core/publish-rules.ts";

type Resource = { Type: string; Properties?: Record<string, unknown> };
export type CfnTemplate = { Resources: Record<string, Resource>; Outputs?: Record<string, unknown> };

const projectDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const cacheDir = join(projectDir, ".local/cache/templates");

/**
 * Synthesizes the stack of an environment in-process (bundling skipped: the local stack runs the handler
 * sources). Synthesis costs about 3 s, mostly loading aws-cdk-lib, so templates are cached on disk under
 * a hash of the environment, the infrastructure code and the CDK version.
 */
export async function synthesizeTemplate(env: EnvironmentConfig): Promise<CfnTemplate> {
  const path = join(cacheDir, `${templateHash(env)}.json`);
  if (existsSync(path)) return JSON.parse(readFileSync(path, "utf8")) as CfnTemplate;
  // Loaded only on a cache miss: aws-cdk-lib takes seconds to import.
  const [{ App }, { buildApp, stackName }] = await Promise.all([import("aws-cdk-lib"), import("../lib/app.ts")]);
  const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
  buildApp(env, app);
  const template = app.synth().getStackByName(stackName(env)).template as CfnTemplate;
  mkdirSync(cacheDir, { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(template));
  renameSync(temp, path);
  return template;
}

function templateHash(env: EnvironmentConfig): string {
  const hash = createHash("sha256").update(JSON.stringify(env));
  const sources = [
    ...readdirSync(join(projectDir, "lib")).map((f) => join(projectDir, "lib", f)),
    join(projectDir, "cdk.json"),
    join(projectDir, "lambdas/viewer-request/directory-index.js"),
    join(projectDir, "lambdas/viewer-request/directory-marker.js"),
    join(projectDir, "node_modules/aws-cdk-lib/package.json"),
    join(projectDir, "node_modules/cdk-nag/package.json"),
  ];
  for (const file of sources.sort()) hash.update(file).update(readFileSync(file));
  return hash.digest("hex").slice(0, 32);
}

export function localEnvironment(): EnvironmentConfig {
  return loadEnvironment("local");
}

function only(template: CfnTemplate, type: string, logicalPrefix: string): [string, Record<string, unknown>] {
  const found = Object.entries(template.Resources).filter(([id, r]) => r.Type === type && id.startsWith(logicalPrefix));
  if (found.length !== 1)
    throw new Error(`template has ${found.length} ${type} resources named ${logicalPrefix}*; expected one`);
  const [id, resource] = found[0]!;
  return [id, resource.Properties ?? {}];
}

const num = (value: unknown, what: string): number => {
  const n = typeof value === "string" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isFinite(n)) throw new Error(`template: ${what} is not a number`);
  return n;
};

/** What a deployment defines, in the terms the local stack needs. */
export interface StackDefinition {
  siteBucket: string;
  versionBucket: string;
  table: string;
  tableKeySchema: Array<{ AttributeName: string; KeyType: "HASH" | "RANGE" }>;
  tableAttributes: Array<{ AttributeName: string; AttributeType: "S" | "N" | "B" }>;
  queueName: string;
  deadLetterQueueName: string;
  restoreQueueName: string;
  maxReceiveCount: number;
  visibilityTimeoutSeconds: number;
  batchSize: number;
  maximumBatchingWindowMs: number;
  maxConcurrency: number;
  reportBatchItemFailures: boolean;
  publishRules: PublishRules;
  /**
   * Each function's timeout in seconds, by logical id; the local stack fails a step that runs past its
   * function's, as Lambda does. An override's keys may be logical-id prefixes ("WorkflowsPostSyncPlan").
   */
  functionTimeoutSeconds: Record<string, number>;
}

/** Reads what the local stack needs out of the template. Names are local; behaviour is the template's. */
export function definitionFromTemplate(template: CfnTemplate, env: EnvironmentConfig): StackDefinition {
  const [, queue] = only(template, "AWS::SQS::Queue", "QueueManifests");
  const [, mapping] = only(template, "AWS::Lambda::EventSourceMapping", "ApplyFunction");
  const [, fn] = only(template, "AWS::Lambda::Function", "ApplyFunction");
  const [, table] = only(template, "AWS::DynamoDB::Table", "StorageIndex");
  const redrive = queue.RedrivePolicy as { maxReceiveCount?: unknown } | undefined;
  const variables = ((fn.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
    {}) as Record<string, unknown>;
  const scaling = mapping.ScalingConfig as { MaximumConcurrency?: unknown } | undefined;
  const responseTypes = (mapping.FunctionResponseTypes as string[] | undefined) ?? [];
  return {
    siteBucket: `sitesync-${env.name}-site`,
    versionBucket: `sitesync-${env.name}-versions`,
    table: `sitesync-${env.name}-index`,
    tableKeySchema: table.KeySchema as StackDefinition["tableKeySchema"],
    tableAttributes: table.AttributeDefinitions as StackDefinition["tableAttributes"],
    queueName: `sitesync-${env.name}-manifests`,
    deadLetterQueueName: `sitesync-${env.name}-manifests-dlq`,
    restoreQueueName: `sitesync-${env.name}-restore-plans`,
    maxReceiveCount: num(redrive?.maxReceiveCount, "RedrivePolicy.maxReceiveCount"),
    visibilityTimeoutSeconds: num(queue.VisibilityTimeout, "VisibilityTimeout"),
    batchSize: num(mapping.BatchSize ?? 10, "BatchSize"),
    maximumBatchingWindowMs: num(mapping.MaximumBatchingWindowInSeconds ?? 0, "MaximumBatchingWindowInSeconds") * 1000,
    maxConcurrency: num(scaling?.MaximumConcurrency ?? 1000, "ScalingConfig.MaximumConcurrency"),
    reportBatchItemFailures: responseTypes.includes("ReportBatchItemFailures"),
    publishRules: parsePublishRules(
      JSON.parse(String(variables.PUBLISH_RULES ?? "{}")),
      "template: apply function PUBLISH_RULES",
    ),
    functionTimeoutSeconds: Object.fromEntries(
      Object.entries(template.Resources)
        .filter(([, r]) => r.Type === "AWS::Lambda::Function")
        // CloudFormation's default when a function names none.
        .map(([id, r]) => [id, num(r.Properties?.Timeout ?? LAMBDA_DEFAULT_TIMEOUT_SECONDS, `${id} Timeout`)]),
    ),
  };
}

const LAMBDA_DEFAULT_TIMEOUT_SECONDS = 3;

/** The template's timeouts with an override's, whose keys may be prefixes of the logical ids. */
export function withTimeoutOverrides(
  fromTemplate: Record<string, number>,
  overrides: Record<string, number> | undefined,
): Record<string, number> {
  const timeouts = { ...fromTemplate };
  for (const [prefix, seconds] of Object.entries(overrides ?? {})) {
    const ids = Object.keys(fromTemplate).filter((id) => id.startsWith(prefix));
    if (ids.length === 0) throw new Error(`functionTimeoutSeconds: no function in the template is named ${prefix}*`);
    for (const id of ids) timeouts[id] = seconds;
  }
  return timeouts;
}

/**
 * A function's environment as the template defines it, with AWS_REGION as Lambda sets it and each
 * reference to a resource (`{"Ref": logicalId}`) replaced by what the local stack made for it:
 * `references` maps a logical-id prefix ("StorageSite") to the local value (the bucket's name, a URL).
 * Parsed with the function's contract, this is what its Lambda entry would read.
 */
export function functionVariables(
  template: CfnTemplate,
  logicalPrefix: string,
  references: Record<string, string>,
  region: string,
): Record<string, string> {
  const [, fn] = only(template, "AWS::Lambda::Function", logicalPrefix);
  const variables = (fn.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
  const resolve = ([name, value]: [string, unknown]): [string, string] => {
    if (typeof value === "string") return [name, value];
    // {"Ref": id}, or {"Fn::GetAtt": [id, "Arn"]} for resources whose Ref is not what a function needs.
    const reference = value as { Ref?: unknown; "Fn::GetAtt"?: unknown[] } | null;
    const ref = reference?.Ref ?? reference?.["Fn::GetAtt"]?.[0];
    const local = Object.entries(references).find(([prefix]) => typeof ref === "string" && ref.startsWith(prefix));
    if (!local) {
      throw new Error(
        `template: ${logicalPrefix} ${name} is ${JSON.stringify(value)}, which the local stack does not make`,
      );
    }
    return [name, local[1]];
  };
  return { AWS_REGION: region, ...Object.fromEntries(Object.entries(variables).map(resolve)) };
}
