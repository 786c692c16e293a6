// The whole deployment on one machine: real local servers, the resources a deployment creates, and the
// apply handler driven the way Lambda's SQS event source drives it.
import { createAwsClients, createSfnClient, createSqsClient, type AwsCall, type AwsClients } from "../aws/clients.ts";
import { getRun, getRunProgress } from "../aws/index/runs.ts";
import { createBucket, createQueue, createTable } from "../aws/local-resources.ts";
import { startApplyWorkers } from "./apply-workers.ts";
import { startFaultProxies, type FaultOptions, type FaultProxies } from "./fault-proxy.ts";
import { silentLogger, type Logger } from "../core/logger.ts";
import type { EnvironmentConfig } from "../lib/environment-config.ts";
import { applyEnvironment } from "../core/contracts/apply-environment.ts";
import { parseContract } from "../core/contracts/contract.ts";
import { applyDeps, createApplyHandler, type SqsHandler } from "../lambdas/apply/handler.ts";
import { startLocalServers, type LocalServers, type LocalServersOptions } from "./servers.ts";
import { startSqsEventSource, type SqsEventSource } from "./sqs-event-source.ts";
import { startLocalWorkflows, type ComponentCallListener, type LocalWorkflows } from "./workflows.ts";
import {
  definitionFromTemplate,
  withTimeoutOverrides,
  functionVariables,
  localEnvironment,
  synthesizeTemplate,
  type CfnTemplate,
  type StackDefinition,
} from "./template.ts";

export interface LocalStack {
  servers: LocalServers;
  /** The clients the handlers use: through the fault proxies when the stack has them. */
  clients: AwsClients;
  /** Clients straight to the servers, never faulted: for a test's own setup and checks. */
  directClients: AwsClients;
  /** The fault-injecting proxies every client but the direct ones goes through; absent without `faults`. */
  faults?: FaultProxies;
  definition: StackDefinition;
  queueUrl: string;
  queueArn: string;
  deadLetterQueueUrl: string;
  /** The apply function, built exactly as the Lambda entry builds it but with local clients. */
  applyHandler: SqsHandler;
  /** The apply function's environment as the template gives it on this stack: to build the handler elsewhere. */
  applyVariables: Record<string, unknown>;
  /**
   * Starts polling the manifest queue into the apply handler, as the event source mapping does. With
   * `workers`, each concurrent invocation runs in an execution environment of its own (a worker thread), as
   * Lambda runs them, so the apply uses every core rather than the servers' event loop.
   */
  startApply(options?: { handler?: SqsHandler; onError?: (err: unknown) => void; workers?: number }): SqsEventSource;
  /** Resolves once every entry the run sent has been applied; rejects past the timeout. */
  waitForRun(runId: string, timeoutMs?: number): Promise<void>;
  /** PostSync and Restore behind the local Step Functions endpoint, and the CloudFront fake. */
  postSync: LocalWorkflows;
  restoreQueueUrl: string;
  /** The synthesized template this stack was built from. */
  template: CfnTemplate;
  /** Settings for the agent's configuration file that point it at this stack. */
  agentSettings(): Record<string, unknown>;
  stop(): Promise<void>;
}

export interface LocalStackOptions extends LocalServersOptions {
  /** The deployment environment whose synthesized template defines the stack (default: "local"). */
  environment?: EnvironmentConfig;
  /**
   * Changes applied after reading the template. Only for test speed (e.g. a 1 s visibility timeout so a
   * redelivery test need not wait minutes); behaviour under test should come from the environment.
   */
  overrides?: Partial<StackDefinition>;
  logger?: Logger;
  /**
   * Gives the apply function (its handler and its event source) and each workflow step clients of their own,
   * as each has in AWS, and reports every call they make under its logical id in the template.
   */
  onCall?: ComponentCallListener;
  /**
   * Puts a fault-injecting proxy (local/fault-proxy.ts) in front of each server: the handlers' clients and
   * the agent's settings point at it. A share of 0 still proxies, for tests that hold or watch requests.
   */
  faults?: FaultOptions;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const environment = options.environment ?? localEnvironment();
  const template = await synthesizeTemplate(environment);
  const fromTemplate = definitionFromTemplate(template, environment);
  const definition = {
    ...fromTemplate,
    ...options.overrides,
    functionTimeoutSeconds: withTimeoutOverrides(
      fromTemplate.functionTimeoutSeconds,
      options.overrides?.functionTimeoutSeconds,
    ),
  };
  const servers = await startLocalServers(options);
  const directClients = createAwsClients(servers.clientConfig);
  let faults: FaultProxies | undefined;
  let clients = directClients;
  const logger = options.logger ?? silentLogger;
  const sources: SqsEventSource[] = [];
  try {
    faults = options.faults ? await startFaultProxies(servers.endpoints, options.faults) : undefined;
    const clientConfig = faults ? { ...servers.clientConfig, endpoints: faults.endpoints } : servers.clientConfig;
    if (faults) clients = createAwsClients(clientConfig);
    // Made without faults: a stack that failed to start would test nothing.
    const resources = await createResources(directClients, definition);
    const { queueUrl, queueArn, deadLetterQueueUrl, restoreQueueUrl } = resources;
    // What the template's references (logical-id prefixes) name on the local stack.
    const references = {
      StorageSite: definition.siteBucket,
      StorageVersions: definition.versionBucket,
      StorageIndex: definition.table,
      QueueManifests: queueUrl,
      QueueDeadLetters: deadLetterQueueUrl,
      WorkflowsRestoreHostPlans: restoreQueueUrl,
    };
    const postSync = await startLocalWorkflows(
      template,
      environment,
      clients,
      clientConfig,
      references,
      definition.functionTimeoutSeconds,
      options.onCall,
      logger,
    );
    // The SFN client can only point at the local endpoint once that endpoint exists.
    for (const c of new Set([clients, directClients])) {
      c.sfn.destroy();
      c.sfn = createSfnClient({
        ...servers.clientConfig,
        endpoints: { ...servers.endpoints, sfn: postSync.server.endpoint },
      });
    }
    // The apply function's environment from the template, read with its contract, as its Lambda entry does.
    const applyVariables = functionVariables(template, "ApplyFunction", references, servers.region);
    const env = parseContract(applyEnvironment, applyVariables, "the apply function's environment");
    const onCall = options.onCall;
    const applyClients = onCall
      ? createAwsClients({ ...clientConfig, onCall: (call) => onCall("ApplyFunction", call) })
      : clients;
    const applyHandler = createApplyHandler(applyDeps(env, applyClients, logger));
    // The event source mapping is Lambda's poller, with the function's role: its calls count as the function's,
    // but it is not the product's code, so it polls around the faults.
    const pollerSqs = faults
      ? createSqsClient({
          ...servers.clientConfig,
          ...(onCall ? { onCall: (call: AwsCall) => onCall("ApplyFunction", call) } : {}),
        })
      : applyClients.sqs;
    return {
      servers,
      clients,
      directClients,
      ...(faults ? { faults } : {}),
      definition,
      queueUrl,
      queueArn,
      deadLetterQueueUrl,
      applyHandler,
      applyVariables,
      postSync,
      restoreQueueUrl,
      template,
      startApply(startOptions = {}) {
        const workers = startOptions.workers
          ? startApplyWorkers(startOptions.workers, applyVariables, clientConfig)
          : undefined;
        const source = startSqsEventSource({
          sqs: pollerSqs,
          queueUrl,
          queueArn,
          region: servers.region,
          handler: startOptions.handler ?? workers?.handler ?? applyHandler,
          batchSize: definition.batchSize,
          maximumBatchingWindowMs: definition.maximumBatchingWindowMs,
          maxConcurrency: definition.maxConcurrency,
          reportBatchItemFailures: definition.reportBatchItemFailures,
          waitTimeSeconds: 1,
          onError: startOptions.onError ?? ((err) => logger.warn("apply invocation failed", { error: String(err) })),
        });
        if (workers) {
          const stop = source.stop.bind(source);
          source.stop = () => stop().finally(() => workers.stop());
        }
        sources.push(source);
        return source;
      },
      async waitForRun(runId, timeoutMs = 120_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const run = await getRun(directClients.dynamodb, definition.table, runId);
          const progress = await getRunProgress(directClients.dynamodb, definition.table, runId);
          if (run && run.status !== "running" && progress.applied >= run.sent) return;
          if (Date.now() > deadline) {
            throw new Error(
              `run ${runId} not applied after ${timeoutMs} ms: ${progress.applied} of ${run?.sent ?? "?"} entries`,
            );
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      },
      agentSettings() {
        return {
          region: servers.region,
          siteBucket: definition.siteBucket,
          versionBucket: definition.versionBucket,
          table: definition.table,
          queueUrl,
          postSyncStateMachineArn: postSync.stateMachineArn,
          restoreStateMachineArn: postSync.restoreStateMachineArn,
          restoreQueueUrl,
          deadLetterQueueUrl,
          retentionDays: environment.retentionDays,
          endpoints: { ...clientConfig.endpoints, sfn: postSync.server.endpoint },
          credentials: servers.credentials,
        };
      },
      async stop() {
        await Promise.all(sources.map((s) => s.stop()));
        await postSync.stop();
        if (applyClients !== clients) applyClients.destroy();
        if (pollerSqs !== applyClients.sqs) pollerSqs.destroy();
        for (const c of new Set([clients, directClients])) c.destroy();
        await faults?.stop();
        await servers.stop();
      },
    };
  } catch (err) {
    for (const c of new Set([clients, directClients])) c.destroy();
    await faults?.stop();
    await servers.stop();
    throw err;
  }
}

async function createResources(clients: AwsClients, d: StackDefinition) {
  for (const bucket of [d.siteBucket, d.versionBucket]) await createBucket(clients.s3, bucket);
  await createTable(clients.dynamodb, d.table, d.tableKeySchema, d.tableAttributes);
  const dlq = await createQueue(clients.sqs, d.deadLetterQueueName, { MessageRetentionPeriod: "1209600" });
  const queue = await createQueue(clients.sqs, d.queueName, {
    VisibilityTimeout: String(d.visibilityTimeoutSeconds),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: d.maxReceiveCount }),
  });
  const restore = await createQueue(clients.sqs, d.restoreQueueName, { VisibilityTimeout: "600" });
  return { queueUrl: queue.url, queueArn: queue.arn, deadLetterQueueUrl: dlq.url, restoreQueueUrl: restore.url };
}
