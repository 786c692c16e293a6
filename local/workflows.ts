// The workflows on the local stack: the template's state machines (PostSync, Restore) behind the local
// Step Functions endpoint, their Task states mapped to the real step handlers, CloudFront played by the
// strict fake (the only one).
import type { SFNClient } from "@aws-sdk/client-sfn";
import type { InvalidationService } from "../aws/cdn.ts";
import {
  createAwsClients,
  createSfnClient,
  type AwsCall,
  type AwsClientConfig,
  type AwsClients,
} from "../aws/clients.ts";
import type { KeyValueStoreService } from "../aws/edge-store.ts";
import { parseContract } from "../core/contracts/contract.ts";
import { silentLogger, type Logger } from "../core/logger.ts";
import { SERVICES } from "../core/metric-names.ts";
import { postSyncEnvironment } from "../core/contracts/post-sync-environment.ts";
import { restoreEnvironment } from "../core/contracts/restore-environment.ts";
import type { EnvironmentConfig } from "../lib/environment-config.ts";
import type { Invocation } from "../lambdas/entry.ts";
import { loggedMetrics } from "../lambdas/metrics.ts";
import { createPostSyncHandlers, postSyncDeps } from "../lambdas/post-sync/handlers.ts";
import { createRestoreHandlers, restoreDeps } from "../lambdas/restore/handlers.ts";
import { FakeCloudFront } from "./fake-cloudfront.ts";
import { FakeKeyValueStore } from "./fake-key-value-store.ts";
import { workflowDefinition, type TaskHandlers } from "./state-machines.ts";
import { startStepFunctionsServer, type StepFunctionsServer } from "./step-functions-server.ts";
import { functionVariables, type CfnTemplate } from "./template.ts";

export const LOCAL_DISTRIBUTION_ID = "ELOCALSITESYNC";
export const LOCAL_KEY_VALUE_STORE_ARN = "arn:aws:cloudfront::000000000000:key-value-store/local-edge-rules";

/**
 * Told of every AWS call a component of the workflows makes, by the logical id of the resource whose role
 * makes it: a step's Lambda function ("WorkflowsPostSyncAwaitRun…"), or a state machine invoking a step.
 */
export type ComponentCallListener = (component: string, call: AwsCall) => void;

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
 * contract and built as its Lambda entry builds them, with local clients. With `onCall`, each step has
 * clients of its own, as each function has in AWS, and every call is reported against that function.
 */
export async function startLocalWorkflows(
  template: CfnTemplate,
  environment: EnvironmentConfig,
  clients: AwsClients,
  clientConfig: AwsClientConfig,
  references: Record<string, string>,
  functionTimeoutSeconds: Record<string, number>,
  onCall?: ComponentCallListener,
  logger: Logger = silentLogger,
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
  const stepClients: AwsClients[] = [];
  const clientsOf = (component: string): AwsClients => {
    if (!onCall) return clients;
    const own = createAwsClients({ ...clientConfig, onCall: (call) => onCall(component, call) });
    stepClients.push(own);
    return own;
  };
  // Each Task state names its function by logical id; each function deploys one step.
  // The steps' metric lines go to the stack's log, as the handlers' Powertools lines go to theirs in AWS.
  const metrics = loggedMetrics(SERVICES.postSync, postSyncEnv.SITESYNC_ENVIRONMENT, logger);
  const postSyncStep = (component: string, step: keyof ReturnType<typeof createPostSyncHandlers>) => {
    const own = clientsOf(component);
    const deps = postSyncDeps(
      postSyncEnv,
      {
        s3: own.s3,
        dynamodb: own.dynamodb,
        invalidations: () => {
          if (!cloudFront) throw new Error("the template names a distribution the local environment does not have");
          return onCall ? reportedInvalidations(cloudFront, (call) => onCall(component, call)) : cloudFront;
        },
        keyValueStore: (storeArn) => {
          if (!keyValueStore)
            throw new Error("the template names a key value store the local environment does not have");
          return onCall
            ? reportedKeyValueStore(keyValueStore, storeArn, (call) => onCall(component, call))
            : keyValueStore;
        },
      },
      metrics,
    );
    return createPostSyncHandlers(deps)[step];
  };
  const invoked = (machine: string, steps: Record<string, StepHandler>) => {
    const taskHandlers = asFunctions(steps, functionTimeoutSeconds);
    return onCall ? invokedBy(machine, taskHandlers, onCall) : taskHandlers;
  };
  const handlers: TaskHandlers = invoked(postSync.id, {
    WorkflowsPostSyncAwaitRun: postSyncStep("WorkflowsPostSyncAwaitRun", "awaitRun"),
    WorkflowsPostSyncPlanListings: postSyncStep("WorkflowsPostSyncPlanListings", "planListings"),
    WorkflowsPostSyncGenerateListings: postSyncStep("WorkflowsPostSyncGenerateListings", "generateListings"),
    WorkflowsPostSyncPlanInvalidations: postSyncStep("WorkflowsPostSyncPlanInvalidations", "planInvalidations"),
    WorkflowsPostSyncInvalidate: postSyncStep("WorkflowsPostSyncInvalidate", "invalidate"),
  });
  const restoreEnv = parseContract(restoreEnvironment, variables("WorkflowsRestoreStart"), "Restore's environment");
  // Restore starts PostSync through this very endpoint, which exists only once the server is up: its steps
  // are built then (no execution can start before).
  let restoreSteps: Record<string, StepHandler> | undefined;
  const restoreStep = (component: string) => (event: unknown, invocation: Invocation) => {
    const run = restoreSteps?.[component];
    if (!run) throw new Error("the local Step Functions endpoint is not up yet");
    return run(event, invocation);
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
        handlers: invoked(restore.id, {
          WorkflowsRestoreStart: restoreStep("WorkflowsRestoreStart"),
          WorkflowsRestoreSitePage: restoreStep("WorkflowsRestoreSitePage"),
          WorkflowsRestoreHostPage: restoreStep("WorkflowsRestoreHostPage"),
          WorkflowsRestoreFinish: restoreStep("WorkflowsRestoreFinish"),
        }),
        retryIntervalOverrides: { StartRestore: 50, RestoreSitePage: 50, PlanHostPage: 50, Finish: 50 },
      },
    },
  });
  const sfnConfig = { ...clientConfig, endpoints: { ...clientConfig.endpoints, sfn: server.endpoint } };
  const sfnClients: SFNClient[] = [];
  const sfnOf = (component: string): SFNClient => {
    const own = createSfnClient(onCall ? { ...sfnConfig, onCall: (call) => onCall(component, call) } : sfnConfig);
    sfnClients.push(own);
    return own;
  };
  const restoreStepOf = (component: string, step: keyof ReturnType<typeof createRestoreHandlers>) =>
    createRestoreHandlers(restoreDeps(restoreEnv, { ...clientsOf(component), sfn: sfnOf(component) }))[step];
  restoreSteps = {
    WorkflowsRestoreStart: restoreStepOf("WorkflowsRestoreStart", "start"),
    WorkflowsRestoreSitePage: restoreStepOf("WorkflowsRestoreSitePage", "sitePage"),
    WorkflowsRestoreHostPage: restoreStepOf("WorkflowsRestoreHostPage", "hostPage"),
    WorkflowsRestoreFinish: restoreStepOf("WorkflowsRestoreFinish", "finish"),
  };
  return {
    server,
    stateMachineArn: arn(postSync.id),
    restoreStateMachineArn: arn(restore.id),
    cloudFront,
    keyValueStore,
    stop: async () => {
      await server.stop();
      for (const client of [...sfnClients, ...stepClients]) client.destroy();
    },
  };
}

/** A step as its function runs it: the task's payload, and the invocation's time left. */
type StepHandler = (payload: unknown, invocation: Invocation) => Promise<unknown>;

/**
 * Each step run as Lambda runs its function: told the time left before the function's timeout (the
 * template's), and failed as Lambda fails it (Sandbox.Timedout) when it runs past it.
 */
function asFunctions(steps: Record<string, StepHandler>, timeoutSeconds: Record<string, number>): TaskHandlers {
  return Object.fromEntries(
    Object.entries(steps).map(([prefix, run]) => [
      prefix,
      async (payload: unknown, functionArn: string) => {
        const logicalId = functionArn.slice(functionArn.lastIndexOf(":") + 1);
        const seconds = timeoutSeconds[logicalId];
        if (seconds === undefined) throw new Error(`the template has no function ${logicalId}`);
        const deadline = Date.now() + seconds * 1000;
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new FunctionTimedOut(seconds)), seconds * 1000);
        });
        try {
          return await Promise.race([run(payload, { remainingMs: () => deadline - Date.now() }), timedOut]);
        } finally {
          clearTimeout(timer);
        }
      },
    ]),
  );
}

/** What the Task state sees when its function runs past its timeout. */
class FunctionTimedOut extends Error {
  constructor(seconds: number) {
    super(`Task timed out after ${seconds.toFixed(2)} seconds`);
    this.name = "Sandbox.Timedout";
  }
}

/** The state machine's role invoking each Task's function, reported as the Lambda API call it is in AWS. */
function invokedBy(machine: string, handlers: TaskHandlers, onCall: ComponentCallListener): TaskHandlers {
  const report = (functionArn: string) =>
    onCall(machine, { client: "LambdaClient", command: "InvokeCommand", input: { FunctionName: functionArn } });
  return Object.fromEntries(
    Object.entries(handlers).map(([prefix, handler]) => [
      prefix,
      (payload: unknown, functionArn: string) => {
        report(functionArn);
        return handler(payload, functionArn);
      },
    ]),
  );
}

// The CloudFront fakes answer at the port, not over HTTP: their calls are reported as the adapters over the
// SDK would send them (aws/cdn.ts, aws/edge-store.ts).

function reportedInvalidations(service: InvalidationService, report: (call: AwsCall) => void): InvalidationService {
  const call = (command: string, distributionId: string): AwsCall => ({
    client: "CloudFrontClient",
    command,
    input: { DistributionId: distributionId },
  });
  return {
    createInvalidation(input) {
      report(call("CreateInvalidationCommand", input.distributionId));
      return service.createInvalidation(input);
    },
    getInvalidation(input) {
      report(call("GetInvalidationCommand", input.distributionId));
      return service.getInvalidation(input);
    },
  };
}

function reportedKeyValueStore(
  store: KeyValueStoreService,
  storeArn: string,
  report: (call: AwsCall) => void,
): KeyValueStoreService {
  const call = (command: string): AwsCall => ({
    client: "CloudFrontKeyValueStoreClient",
    command,
    input: { KvsARN: storeArn },
  });
  return {
    read() {
      report(call("DescribeKeyValueStoreCommand"));
      report(call("ListKeysCommand"));
      return store.read();
    },
    update(etag, puts, deletes) {
      report(call("UpdateKeysCommand"));
      return store.update(etag, puts, deletes);
    },
  };
}
