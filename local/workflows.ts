// The workflows on the local stack: the template's state machines (PostSync, Restore) behind the local
// Step Functions endpoint, their Task states mapped to the real step handlers, CloudFront played by the
// strict fake (the only one).
import type { SFNClient } from "@aws-sdk/client-sfn";
import { createSfnClient, type AwsClientConfig, type AwsClients } from "../aws/clients.ts";
import { parseContract } from "../core/contracts/contract.ts";
import { postSyncEnvironment } from "../core/contracts/post-sync-environment.ts";
import { restoreEnvironment } from "../core/contracts/restore-environment.ts";
import type { EnvironmentConfig } from "../lib/environment-config.ts";
import { createPostSyncHandlers, postSyncDeps } from "../lambdas/post-sync/handlers.ts";
import { createRestoreHandlers, restoreDeps } from "../lambdas/restore/handlers.ts";
import { FakeCloudFront } from "./fake-cloudfront.ts";
import { FakeKeyValueStore } from "./fake-key-value-store.ts";
import { workflowDefinition, type TaskHandlers } from "./state-machines.ts";
import { startStepFunctionsServer, type StepFunctionsServer } from "./step-functions-server.ts";
import { functionVariables, type CfnTemplate } from "./template.ts";

export const LOCAL_DISTRIBUTION_ID = "ELOCALSITESYNC";
export const LOCAL_KEY_VALUE_STORE_ARN = "arn:aws:cloudfront::000000000000:key-value-store/local-edge-rules";

export interface LocalWorkflows {
  server: StepFunctionsServer;
  stateMachineArn: string;
  restoreStateMachineArn: string;
  /** Null when the environment has no distribution. */
  cloudFront: FakeCloudFront | null;
  /** The edge's key value store PostSync writes and the local server's functions read; null without one. */
  keyValueStore: FakeKeyValueStore | null;
  stop(): Promise<void>;
}

/**
 * `references` maps the logical-id prefixes of the resources the local stack made to their local names
 * and URLs; each step's dependencies come from its function's environment in the template, parsed with its
 * contract and built as its Lambda entry builds them, with local clients.
 */
export async function startLocalWorkflows(
  template: CfnTemplate,
  environment: EnvironmentConfig,
  clients: AwsClients,
  clientConfig: AwsClientConfig,
  references: Record<string, string>,
): Promise<LocalWorkflows> {
  const cloudFront =
    environment.distribution.kind === "none" ? null : new FakeCloudFront({ distributions: [LOCAL_DISTRIBUTION_ID] });
  const keyValueStore = environment.distribution.kind === "none" ? null : new FakeKeyValueStore();
  const postSync = workflowDefinition(template, "PostSync");
  const restore = workflowDefinition(template, "Restore");
  const arn = (id: string) => `arn:aws:states:us-east-1:000000000000:stateMachine:${id}`;
  const refs = {
    ...references,
    [postSync.id]: arn(postSync.id),
    CdnDistribution: LOCAL_DISTRIBUTION_ID,
    CdnEdgeRules: LOCAL_KEY_VALUE_STORE_ARN,
  };
  const variables = (fn: string) => functionVariables(template, fn, refs, clientConfig.region);
  const postSyncEnv = parseContract(
    postSyncEnvironment,
    variables("WorkflowsPostSyncAwaitRun"),
    "PostSync's environment",
  );
  const steps = createPostSyncHandlers(
    postSyncDeps(postSyncEnv, {
      s3: clients.s3,
      dynamodb: clients.dynamodb,
      invalidations: () => {
        if (!cloudFront) throw new Error("the template names a distribution the local environment does not have");
        return cloudFront;
      },
      keyValueStore: () => {
        if (!keyValueStore) throw new Error("the template names a key value store the local environment does not have");
        return keyValueStore;
      },
    }),
  );
  // Task states name their function by logical id; each maps to the step that function deploys.
  const handlers: TaskHandlers = {
    WorkflowsPostSyncAwaitRun: steps.awaitRun,
    WorkflowsPostSyncPlanListings: steps.planListings,
    WorkflowsPostSyncGenerateListings: steps.generateListings,
    WorkflowsPostSyncPlanInvalidations: steps.planInvalidations,
    WorkflowsPostSyncInvalidate: steps.invalidate,
  };
  const restoreEnv = parseContract(restoreEnvironment, variables("WorkflowsRestoreStart"), "Restore's environment");
  // Restore starts PostSync through this very endpoint, which exists only once the server is up: its steps
  // are built then (no execution can start before).
  let sfn: SFNClient | undefined;
  let restoreSteps: ReturnType<typeof createRestoreHandlers> | undefined;
  const restoreStep = (name: keyof NonNullable<typeof restoreSteps>) => (event: unknown) => {
    if (!restoreSteps) throw new Error("the local Step Functions endpoint is not up yet");
    return restoreSteps[name](event);
  };
  const server = await startStepFunctionsServer({
    machines: {
      [arn(postSync.id)]: {
        definition: postSync.definition,
        handlers,
        // Waits between retries shortened for the local stack. The local environment's awaitMinutes (240)
        // gives AwaitApplied about 245 attempts: at 1 s each, room for the local apply of a 100,000-file
        // first sync. The retry rules themselves are the deployed ones.
        retryIntervalOverrides: {
          AwaitApplied: 1000,
          GenerateListingPage: 50,
          InvalidateBatch: 250,
          PlanListings: 50,
          PlanInvalidations: 50,
        },
      },
      [arn(restore.id)]: {
        definition: restore.definition,
        handlers: {
          WorkflowsRestoreStart: restoreStep("start"),
          WorkflowsRestoreSitePage: restoreStep("sitePage"),
          WorkflowsRestoreHostPage: restoreStep("hostPage"),
          WorkflowsRestoreFinish: restoreStep("finish"),
        },
        retryIntervalOverrides: { StartRestore: 50, RestoreSitePage: 50, PlanHostPage: 50, Finish: 50 },
      },
    },
  });
  sfn = createSfnClient({ ...clientConfig, endpoints: { ...clientConfig.endpoints, sfn: server.endpoint } });
  restoreSteps = createRestoreHandlers(restoreDeps(restoreEnv, { ...clients, sfn }));
  return {
    server,
    stateMachineArn: arn(postSync.id),
    restoreStateMachineArn: arn(restore.id),
    cloudFront,
    keyValueStore,
    stop: async () => {
      await server.stop();
      sfn?.destroy();
    },
  };
}
