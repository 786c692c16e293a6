// Test support: a local stack per test file, temporary trees, and helpers that read back what a user
// would check — objects and headers in the bucket, items in the index, messages in the dead-letter queue.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { parseConfig, type AgentConfig } from "../../agent/config.ts";
import { runSync, type SyncOptions, type SyncResult } from "../../agent/sync/sync.ts";
import { getRunProgress, listRecentRuns } from "../../aws/index/runs.ts";
import { silentLogger } from "../../core/logger.ts";
import { startLocalStack, type LocalStack } from "../../local/stack.ts";
import type { FaultOptions } from "../../local/fault-proxy.ts";
import type { ComponentCallListener } from "../../local/workflows.ts";
import type { StackDefinition } from "../../local/template.ts";
import { localEnvironment } from "../../local/template.ts";
import type { EnvironmentConfig } from "../../lib/environment-config.ts";

export interface Harness {
  stack: LocalStack;
  /** A fresh temporary directory, removed by close(). */
  tempDir(name?: string): string;
  config(root: string, extra?: Record<string, unknown>): AgentConfig;
  /** Writes a config file for the CLI and returns its path. */
  configFile(root: string, extra?: Record<string, unknown>): string;
  sync(config: AgentConfig, options?: SyncOptions): Promise<SyncResult>;
  /** Sync, then wait until the apply handler has applied everything the run sent. */
  publish(config: AgentConfig, options?: SyncOptions): Promise<SyncResult>;
  getObject(
    key: string,
  ): Promise<
    { body: Buffer; contentType?: string; cacheControl?: string; metadata: Record<string, string> } | undefined
  >;
  listKeys(prefix?: string): Promise<string[]>;
  /** Like listKeys, without what PostSync generated: listing pages, directory markers, the error page. */
  listSiteFiles(prefix?: string): Promise<string[]>;
  /** Waits for the PostSync execution a run started; throws unless it succeeded. */
  waitForPostSync(result: SyncResult): Promise<void>;
  deadLetters(): Promise<string[]>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Changes to the "local" environment before its template is synthesized: the deployed behaviour under test. */
  environment?: (env: EnvironmentConfig) => void;
  /** Test-speed changes after the template (see LocalStackOptions.overrides). */
  overrides?: Partial<StackDefinition>;
  /** Run the apply handler on the queue (default true); tests that deliver messages by hand turn it off. */
  apply?: boolean;
  /** A fault-injecting proxy in front of the servers (see LocalStackOptions.faults); checks go around it. */
  faults?: FaultOptions;
  /** Told of every AWS call the handlers make (see LocalStackOptions.onCall). */
  onCall?: ComponentCallListener;
  /**
   * What the test provokes on purpose. Otherwise close() fails the test when the apply handler's event source
   * reported an error (a handler that threw, a delete that failed), a message waits in the dead-letter queue,
   * or, while the harness runs the apply handler, an entry a run sent is not applied or a manifest still waits.
   */
  expect?: { handlerErrors?: boolean; deadLetters?: boolean; unapplied?: boolean };
}

// How long close() waits for the apply handler to finish what the test's runs sent.
const SETTLE_MS = 30_000;

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const environment = localEnvironment();
  options.environment?.(environment);
  const stack = await startLocalStack({
    environment,
    overrides: options.overrides ?? {},
    ...(options.faults ? { faults: options.faults } : {}),
    ...(options.onCall ? { onCall: options.onCall } : {}),
  });
  // What a test reads back to check an outcome must not itself meet an injected fault.
  const check = stack.directClients;
  const handlerErrors: string[] = [];
  const source =
    options.apply === false
      ? undefined
      : stack.startApply({ onError: (err) => handlerErrors.push(err instanceof Error ? err.message : String(err)) });
  const temps: string[] = [];
  let stateCounter = 0;
  const settings = () => stack.agentSettings();
  const harness: Harness = {
    stack,
    tempDir(name = "sitesync-test-") {
      const dir = mkdtempSync(join(tmpdir(), name));
      temps.push(dir);
      return dir;
    },
    config(root, extra = {}) {
      const raw = {
        root,
        stateDir: join(harness.tempDir("sitesync-state-"), `s${stateCounter++}`),
        // Tests write a tree and publish it at once: the settle window (default 60 s) would leave every file
        // of it for the next run. The tests of settling pass a window of their own.
        settleSeconds: 0,
        ...settings(),
        ...extra,
      };
      return parseConfig(raw, "test config", "/");
    },
    configFile(root, extra = {}) {
      const path = join(harness.tempDir("sitesync-config-"), "sitesync.json");
      writeFileSync(
        path,
        JSON.stringify(
          { root, stateDir: join(dirname(path), "state"), settleSeconds: 0, ...settings(), ...extra },
          null,
          2,
        ),
      );
      return path;
    },
    sync: (config, options) => runSync(config, stack.clients, silentLogger, options),
    async publish(config, options) {
      const result = await runSync(config, stack.clients, silentLogger, options);
      if (!result.dryRun && (result.publish?.entriesSent ?? 0) > 0) await stack.waitForRun(result.runId, 60_000);
      await harness.waitForPostSync(result);
      return result;
    },
    async waitForPostSync(result) {
      if (!result.postSyncExecutionArn) return;
      const execution = await stack.postSync.server.waitForExecution(result.postSyncExecutionArn, 120_000);
      if (execution.status !== "SUCCEEDED")
        throw new Error(`PostSync ${execution.status}: ${execution.error}: ${execution.cause}`);
    },
    async listSiteFiles(prefix = "") {
      const keys = await harness.listKeys(prefix);
      const generated = await Promise.all(
        keys.map(async (key) => {
          if (!key.endsWith("index.html")) return false;
          const head = await check.s3.send(new HeadObjectCommand({ Bucket: stack.definition.siteBucket, Key: key }));
          return head.Metadata?.generated === "true";
        }),
      );
      // Not site files either: PostSync's directory markers (an object at "dir" while keys under "dir/"
      // exist, which no file can be) and the error page it keeps for CloudFront under .sitesync/.
      const directories = new Set<string>();
      for (const key of await harness.listKeys()) {
        for (let slash = key.indexOf("/"); slash !== -1; slash = key.indexOf("/", slash + 1)) {
          directories.add(key.slice(0, slash));
        }
      }
      return keys.filter((key, i) => !generated[i] && !key.startsWith(".sitesync/") && !directories.has(key));
    },
    async getObject(key) {
      try {
        const res = await check.s3.send(new GetObjectCommand({ Bucket: stack.definition.siteBucket, Key: key }));
        return {
          body: Buffer.from(await res.Body!.transformToByteArray()),
          ...(res.ContentType ? { contentType: res.ContentType } : {}),
          ...(res.CacheControl ? { cacheControl: res.CacheControl } : {}),
          metadata: res.Metadata ?? {},
        };
      } catch (err) {
        if ((err as Error).name === "NoSuchKey") return undefined;
        throw err;
      }
    },
    async listKeys(prefix = "") {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await check.s3.send(
          new ListObjectsV2Command({ Bucket: stack.definition.siteBucket, Prefix: prefix, ContinuationToken: token }),
        );
        keys.push(...(page.Contents ?? []).map((o) => o.Key!));
        token = page.NextContinuationToken;
      } while (token);
      return keys.sort();
    },
    async deadLetters() {
      const res = await check.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: stack.deadLetterQueueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          VisibilityTimeout: 0,
        }),
      );
      return (res.Messages ?? []).map((m) => m.Body ?? "");
    },
    async close() {
      let problems: string[];
      try {
        problems = await leftovers();
      } finally {
        await source?.stop();
        await stack.stop();
        for (const dir of temps) rmSync(dir, { recursive: true, force: true });
      }
      if (problems.length > 0) {
        const err = new Error(`the test left what it did not expect (HarnessOptions.expect): ${problems.join("; ")}`);
        // Node 22's runner reports a failed after() hook of a describe() yet counts no failure, and the run
        // passes; an error thrown outside the hook is counted (an uncaughtException after the test ended).
        setImmediate(() => {
          throw err;
        });
        throw err;
      }
    },
  };
  /** What went wrong unnoticed: each a sentence, none when the test expects it. */
  async function leftovers(): Promise<string[]> {
    const expect = options.expect ?? {};
    const problems: string[] = [];
    if (source && !expect.unapplied) problems.push(...(await unapplied()));
    if (!expect.handlerErrors && handlerErrors.length > 0) {
      problems.push(`${handlerErrors.length} apply handler errors (first: ${handlerErrors[0]})`);
    }
    if (!expect.deadLetters) {
      const count = await queueDepth(stack.deadLetterQueueUrl);
      if (count > 0) problems.push(`${count} messages dead-lettered`);
    }
    return problems;
  }

  /** Entries sent and not applied, and manifests still queued, once the handler had time to apply them. */
  async function unapplied(): Promise<string[]> {
    const deadline = Date.now() + SETTLE_MS;
    for (;;) {
      const problems: string[] = [];
      const waiting = await queueDepth(stack.queueUrl);
      if (waiting > 0) problems.push(`${waiting} manifests still on the queue`);
      for (const run of await listRecentRuns(check.dynamodb, stack.definition.table, 1000)) {
        const { applied } = await getRunProgress(check.dynamodb, stack.definition.table, run.runId);
        if (applied < run.sent) problems.push(`run ${run.runId}: ${applied} of ${run.sent} entries applied`);
      }
      if (problems.length === 0 || Date.now() > deadline) return problems;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async function queueDepth(queueUrl: string): Promise<number> {
    const { Attributes } = await check.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    return (
      Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
      Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
    );
  }

  return harness;
}

/** Writes files (path → content) under root; a Date sets the mtime. Paths may be Buffers for raw names. */
export function writeTree(root: string, files: Record<string, string | Buffer>, mtime?: Date): void {
  for (const [rel, content] of Object.entries(files)) {
    const path = join(root, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    if (mtime) utimesSync(path, mtime, mtime);
  }
}
