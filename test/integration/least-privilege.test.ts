// Least privilege, proven: every AWS call each component makes on the local stack — the agent's sync, adopt
// and both restores, the apply function and its event source, each PostSync and Restore step, the state
// machines invoking them, the watchdog — is recorded with its resource and evaluated by an IAM policy
// simulator against that component's policies from the synthesized template. Every call must be allowed,
// every granted action must be used by some call or be explained below, and what is not granted is denied.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { StartExecutionCommand } from "@aws-sdk/client-sfn";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import type { SQSEvent } from "aws-lambda";
import { runAdopt } from "../../agent/adopt/adopt.ts";
import { parseConfig, type AgentConfig } from "../../agent/config.ts";
import { runRedrive } from "../../agent/redrive.ts";
import { runHostRestore } from "../../agent/restore/restore-host.ts";
import { readStatus } from "../../agent/status.ts";
import { runSync, type SyncResult } from "../../agent/sync/sync.ts";
import { createAwsClients, type AwsClients } from "../../aws/clients.ts";
import { silentLogger } from "../../core/logger.ts";
import { watchAgents } from "../../lambdas/watchdog/watch.ts";
import { startLocalStack, type LocalStack } from "../../local/stack.ts";
import { LOCAL_DISTRIBUTION_ID, LOCAL_KEY_VALUE_STORE_ARN } from "../../local/workflows.ts";
import {
  AwsCallRecorder,
  iamRequests,
  withoutHash,
  type ArnScope,
  type IamRequest,
} from "../support/aws-call-recorder.ts";
import { grantsOf, TemplatePolicies, uses, wildcardMatch, type Grant } from "../support/iam-policies.ts";
import { writeTree } from "../support/harness.ts";

/**
 * Granted actions no recorded call uses, each kept for a reason the local stack cannot show. A grant that
 * is neither used nor listed here fails the test: remove it from lib/ or say here why it stays.
 */
const UNUSED_BUT_NEEDED: Array<{ component: string | RegExp; action: string; resource?: RegExp; reason: string }> = [
  {
    component: "AgentUser",
    action: "s3:AbortMultipartUpload",
    reason:
      "A large file's multipart staging that fails is aborted (lib-storage's Upload), so its parts are not kept " +
      "and billed until the bucket's lifecycle rule removes them: an error path.",
  },
  {
    component: "ApplyFunction",
    action: "s3:AbortMultipartUpload",
    reason:
      "A multipart copy (objects over 5 GiB, aws/site-bucket.ts) that fails is aborted: an error path of objects " +
      "too large for a test.",
  },
  {
    component: "ApplyFunction",
    action: "sqs:GetQueueAttributes",
    reason:
      "Lambda reads the queue's attributes when the event source mapping is created or changed; the local event " +
      "source takes them from the template instead.",
  },
  {
    component: "WorkflowsPostSyncGenerateListings",
    action: "s3:GetObject",
    resource: /-versions\/(packs|objects)\/\*$/,
    reason:
      "Only when a real index.html is indexed while its directory's listing is written, the real page is put " +
      "back from its staged bytes (generate-listings.ts, keepRealPage): a race no test can order.",
  },
  ...["logs:CreateLogStream", "logs:PutLogEvents"].map((action) => ({
    component: /./,
    action,
    resource: /:log-group:/,
    reason: "Lambda writes a function's logs to its own log group with its role; the local stack has no Lambda.",
  })),
  ...["WorkflowsPostSyncStateMachine", "WorkflowsRestoreStateMachine"].flatMap((component) => [
    {
      component,
      action: "logs:*",
      reason:
        "Step Functions sets up the delivery of the execution logs (ALL, with data) to the log group with the " +
        "state machine's role; CloudWatch Logs' delivery actions take no resource-level permissions.",
    },
    {
      component,
      action: "xray:*",
      reason: "Step Functions sends the traces of a traced state machine with its role; X-Ray takes no resources.",
    },
  ]),
];

/**
 * Calls that saw 404 for a missing key where, without s3:ListBucket, AWS answers 403: allowed only where
 * the code treats AccessDenied exactly as NoSuchKey.
 */
const FORBIDDEN_READS_AS_MISSING: Array<{ component: string; resource: RegExp; reason: string }> = [
  {
    component: "AgentUser",
    resource: /-versions$/,
    reason:
      "A host restore reads staged bytes that may have expired with the retention; restore-host.ts (fetchBytes) " +
      "takes AccessDenied as NoSuchKey and reads the published object instead, so the agent need not list.",
  },
];

const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("least privilege", () => {
  const recorder = new AwsCallRecorder();
  const temps: string[] = [];
  let stack: LocalStack;
  let agent: AwsClients;
  let policies: TemplatePolicies;
  let scope: ArnScope;
  /** What the apply function was handed, to deliver again. */
  const deliveries: SQSEvent[] = [];
  /** Each component's distinct IAM requests, with the simulator's decision. */
  const decided = new Map<string, Array<{ request: IamRequest; decision: string }>>();

  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), "sitesync-lp-"));
    temps.push(dir);
    return dir;
  };
  const config = (root: string, prefix: string, stateDir: string): AgentConfig =>
    parseConfig({ root, stateDir, settleSeconds: 0, prefix, ...stack.agentSettings() }, "test config", "/");

  const waitForPostSync = async (executionArn: string | undefined) => {
    if (!executionArn) return;
    const execution = await stack.postSync.server.waitForExecution(executionArn, 60_000);
    assert.equal(execution.status, "SUCCEEDED", `PostSync: ${execution.error}: ${execution.cause}`);
  };
  const publish = async (cfg: AgentConfig): Promise<SyncResult> => {
    const result = await runSync(cfg, agent, silentLogger);
    if ((result.publish?.entriesSent ?? 0) > 0) await stack.waitForRun(result.runId, 30_000);
    await waitForPostSync(result.postSyncExecutionArn);
    return result;
  };
  const restoreWorkflow = async (input: Record<string, unknown>) => {
    // Started by an operator (console or CLI), not by a component: through the stack's own client.
    const started = await stack.clients.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: stack.postSync.restoreStateMachineArn,
        input: JSON.stringify(input),
      }),
    );
    const execution = await stack.postSync.server.waitForExecution(started.executionArn!, 60_000);
    assert.equal(execution.status, "SUCCEEDED", `Restore: ${execution.error}: ${execution.cause}`);
    return JSON.parse(execution.output ?? "{}") as { runId?: string; postSyncExecutionArn?: string };
  };

  before(async () => {
    stack = await startLocalStack({ onCall: recorder.record });
    const apply = stack.startApply({
      onError: () => {},
      handler: (event) => {
        deliveries.push(event);
        return stack.applyHandler(event);
      },
    });
    const settings = stack.agentSettings() as Pick<AgentConfig, "region" | "endpoints" | "credentials">;
    agent = createAwsClients({ ...settings, onCall: recorder.for(agentIdentity(stack)) });
    scope = { account: "000000000000", region: stack.servers.region };
    const d = stack.definition;
    policies = new TemplatePolicies(stack.template, scope, {
      StorageSite: d.siteBucket,
      StorageVersions: d.versionBucket,
      StorageIndex: d.table,
      QueueManifests: d.queueName,
      QueueDeadLetters: d.deadLetterQueueName,
      WorkflowsRestoreHostPlans: d.restoreQueueName,
      WorkflowsPostSyncStateMachine: stack.postSync.stateMachineArn,
      WorkflowsRestoreStateMachine: stack.postSync.restoreStateMachineArn,
      CdnDistribution: LOCAL_DISTRIBUTION_ID,
      CdnEdgeRules: LOCAL_KEY_VALUE_STORE_ARN,
    });

    // Adoption of a site another tool fills, first, before any sync stored edge rules: it lists the bucket;
    // with --delete an orphan is queued for deletion; the next sync publishes what differs.
    const adopted = tempDir();
    const copied = { "one.html": "<p>one</p>", "two.css": "b { }" };
    for (const [name, body] of Object.entries({ ...copied, "orphan.txt": "gone" })) {
      await stack.clients.s3.send(
        new PutObjectCommand({ Bucket: stack.definition.siteBucket, Key: `adopted/${name}`, Body: body }),
      );
    }
    const past = new Date(Date.now() - 3_600_000);
    writeTree(adopted, copied, past);
    writeTree(adopted, { "three.txt": "new" });
    const adoptConfig = config(adopted, "adopted/", tempDir());
    const adoption = await runAdopt(adoptConfig, agent, silentLogger, { delete: true, force: true });
    if (adoption.deletion) await stack.waitForRun(adoption.deletion.runId, 30_000);
    await waitForPostSync(adoption.deletion?.postSyncExecutionArn);
    await publish(adoptConfig);

    // Sync: small files into packs, a large one staged on its own (multipart), a rewrite copy (docs/ →
    // manual/), directories without a page (listings), no .htaccess yet (no edge rules stored).
    const root = tempDir();
    const state = tempDir();
    writeTree(root, {
      "index.html": "<p>home</p>",
      "a.html": "<p>a</p>",
      "style.css": "p { color: red }",
      "docs/guide.html": "<p>guide</p>",
      "d/x.txt": "x",
      "e/y.txt": "y",
      "missing.html": "<p>not here</p>",
      "big.bin": Buffer.alloc(9 * MiB, 7),
      ...Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`many/f${i}.txt`, `${i}`])),
    });
    const main = config(root, "main/", state);
    await publish(main);
    await sleep(20);
    const afterFirst = new Date().toISOString();
    await sleep(20);
    // A change and deletions (the listing of d/ goes, and a rewrite copy with its original); .htaccess
    // redirects and an error page (the edge), and a directory whose listing is turned off.
    writeFileSync(join(root, "a.html"), "<p>a, second version</p>");
    // One change among many/'s 12 files: the agent reads that file's record alone (BatchGetItem).
    writeFileSync(join(root, "many/f3.txt"), "3, second version");
    unlinkSync(join(root, "d/x.txt"));
    unlinkSync(join(root, "docs/guide.html"));
    writeTree(root, {
      ".htaccess": "ErrorDocument 404 /main/missing.html\nRedirect 301 /main/old.html /main/a.html\n",
      "e/.htaccess": "Options -Indexes\n",
    });
    deliveries.length = 0;
    await publish(main);
    // SQS delivers again what was applied, after the bucket lost an object: the apply function repairs it.
    await stack.clients.s3.send(new DeleteObjectCommand({ Bucket: stack.definition.siteBucket, Key: "main/a.html" }));
    for (const event of deliveries.splice(0)) await stack.applyHandler(event);
    const repaired = await stack.clients.s3.send(
      new ListObjectsV2Command({ Bucket: stack.definition.siteBucket, Prefix: "main/a.html" }),
    );
    assert.equal(repaired.KeyCount, 1, "a redelivered manifest puts back what the bucket lost");

    // A manifest that is not one: the apply function parks it in the dead-letter queue.
    await stack.clients.sqs.send(new SendMessageCommand({ QueueUrl: stack.queueUrl, MessageBody: "not a manifest" }));

    // Restore of the site as of the first run: Start, SitePage, Finish (which starts PostSync).
    const site = await restoreWorkflow({ target: "site", prefix: "main/", sitePrefix: "main/", asOf: afterFirst });
    await stack.waitForRun(site.runId!, 30_000);
    await waitForPostSync(site.postSyncExecutionArn);

    // Restore of the host from the workflow's plan (Start, HostPage), looked at first (--dry-run gives the
    // messages back), then applied.
    await restoreWorkflow({ target: "host", prefix: "main/", sitePrefix: "main/", asOf: afterFirst });
    const fromQueue = { prefix: "", fromQueue: true, dir: tempDir(), delete: true };
    await runHostRestore(main, agent, silentLogger, { ...fromQueue, dryRun: true });
    await runHostRestore(main, agent, silentLogger, fromQueue);

    // Restore of the host from the index, with the large file's staged bytes expired: it comes from the
    // site object instead.
    const staged = await stack.clients.s3.send(
      new ListObjectsV2Command({ Bucket: stack.definition.versionBucket, Prefix: "objects/" }),
    );
    for (const object of staged.Contents ?? []) {
      await stack.clients.s3.send(new DeleteObjectCommand({ Bucket: stack.definition.versionBucket, Key: object.Key }));
    }
    const restored = await runHostRestore(main, agent, silentLogger, { prefix: "", dir: tempDir(), delete: false });
    assert.deepEqual([restored.failed, restored.unrestorable], [[], []], "the large file comes from the site");

    // A host restore of the adopted site reads the adopted objects themselves.
    await runHostRestore(adoptConfig, agent, silentLogger, { prefix: "", dir: tempDir(), delete: false });

    // `sitesync status` with the dead letter waiting (it reads every source it reports), then `sitesync
    // redrive` sends the dead letter back (the apply function parks it again: it is still not a manifest).
    await apply.idle();
    const status = await readStatus(main, agent, { runs: 5, sinceHours: 24 });
    assert.ok(status.deadLetterQueue && status.deadLetterQueue.visible > 0, "status sees the dead letter");
    assert.ok(
      status.runs.some((run) => run.postSync?.status === "SUCCEEDED"),
      "status reads PostSync's result",
    );
    const redriven = await runRedrive(main, agent, { dryRun: false, source: "test config" });
    assert.ok(redriven.moved > 0 && redriven.failed.length === 0, "redrive moves the dead letter back");

    // The watchdog's scheduled look at the agents' last runs.
    const watchdog = createAwsClients({ ...stack.servers.clientConfig, onCall: recorder.for("WatchdogWatch") });
    const watched = await watchAgents({ dynamodb: watchdog.dynamodb, table: stack.definition.table });
    assert.equal(watched.minutesSinceLastRun, 0);
    watchdog.destroy();
    await apply.idle();

    // Every call evaluated once per distinct request.
    for (const call of recorder.calls) {
      const seen = decided.get(call.component) ?? [];
      decided.set(call.component, seen);
      for (const request of iamRequests(call, scope)) {
        const same = (r: IamRequest) =>
          r.action === request.action &&
          r.resource === request.resource &&
          JSON.stringify(r.context) === JSON.stringify(request.context);
        if (seen.some((s) => same(s.request))) continue;
        seen.push({ request, decision: await policies.evaluate(policies.identity(call.component), request) });
      }
    }
  });

  after(async () => {
    agent?.destroy();
    await stack?.stop();
    for (const dir of temps) rmSync(dir, { recursive: true, force: true });
  });

  test("every component was exercised: calls recorded per component", () => {
    const counts = recorder.counts();
    console.log(JSON.stringify(counts, null, 2));
    for (const component of components(stack)) assert.ok(counts[component], `${component} made no call`);
  });

  test("every call each component made is allowed by that component's policies", () => {
    const refused: string[] = [];
    for (const [component, requests] of decided) {
      for (const { request, decision } of requests) {
        if (decision === "Allowed") continue;
        const excused =
          request.implied === "404" &&
          FORBIDDEN_READS_AS_MISSING.some((f) => f.component === component && f.resource.test(request.resource));
        if (excused) continue;
        const why = request.implied === "404" ? " (implied: it saw 404, which AWS answers as 403 without it)" : "";
        refused.push(`${component}: ${request.action} on ${request.resource} ${decision}${why}`);
      }
    }
    assert.deepEqual(refused, []);
  });

  test("every granted action is used by a recorded call, or its reason is given", () => {
    const unexplained: string[] = [];
    const explained = new Set<(typeof UNUSED_BUT_NEEDED)[number]>();
    for (const component of components(stack)) {
      const allowed = (decided.get(component) ?? []).filter((d) => d.decision === "Allowed").map((d) => d.request);
      for (const grant of grantsOf(policies.identity(component))) {
        if (allowed.some((request) => uses(grant, request))) continue;
        const reason = UNUSED_BUT_NEEDED.find(
          (u) =>
            (typeof u.component === "string" ? u.component === component : u.component.test(component)) &&
            wildcardMatch(u.action, grant.action) &&
            (u.resource?.test(grant.resource) ?? true),
        );
        if (reason) explained.add(reason);
        else unexplained.push(`${component}: ${grant.action} on ${grant.resource} (${grant.policy} ${grant.sid})`);
      }
    }
    assert.deepEqual(unexplained, []);
    const stale = UNUSED_BUT_NEEDED.filter((u) => !explained.has(u));
    assert.deepEqual(stale, [], "reasons for grants that are used, or gone: remove them");
  });

  test("the agent cannot write the site bucket or delete anything", async () => {
    const identity = policies.identity(agentIdentity(stack));
    const d = stack.definition;
    const table = `arn:aws:dynamodb:${scope.region}:${scope.account}:table/${d.table}`;
    const queue = (name: string) => `arn:aws:sqs:${scope.region}:${scope.account}:${name}`;
    const forbidden: Array<[string, string]> = [
      ["s3:PutObject", `arn:aws:s3:::${d.siteBucket}/main/index.html`],
      ["s3:DeleteObject", `arn:aws:s3:::${d.siteBucket}/main/index.html`],
      ["s3:DeleteObject", `arn:aws:s3:::${d.versionBucket}/packs/run/0.pack`],
      ["s3:PutObject", `arn:aws:s3:::${d.versionBucket}/elsewhere/x`],
      ["dynamodb:DeleteItem", table],
      ["dynamodb:DeleteTable", table],
      ["sqs:DeleteMessage", queue(d.queueName)],
      ["sqs:PurgeQueue", queue(d.queueName)],
      ["states:StartExecution", stack.postSync.restoreStateMachineArn],
    ];
    for (const [action, resource] of forbidden) {
      const decision = await policies.evaluate(identity, { action, resource, context: {} });
      assert.notEqual(decision, "Allowed", `the agent may ${action} on ${resource}`);
    }
  });

  test("what one component is granted, no other component may do unless granted it too", async () => {
    const identities = components(stack).map((c) => policies.identity(c));
    const all = identities.flatMap((identity) => grantsOf(identity).map((grant) => ({ identity, grant })));
    let checked = 0;
    for (const identity of identities) {
      const own = grantsOf(identity);
      for (const { grant } of all.filter((g) => g.identity !== identity && g.grant.resource !== "*")) {
        const request = { action: grant.action, resource: concrete(grant.resource), context: {} };
        if (own.some((g: Grant) => uses(g, request))) continue;
        checked++;
        const decision = await policies.evaluate(identity, request);
        assert.notEqual(decision, "Allowed", `${identity.component} may ${request.action} on ${request.resource}`);
      }
    }
    assert.ok(checked > 100, `only ${checked} cross-checks`);
  });
});

/** A resource a pattern matches: "x" for each wildcard, a log stream for a log group's ":*". */
function concrete(pattern: string): string {
  return pattern.replace(/(:log-group:[^:]+):\*$/, "$1:log-stream:x").replaceAll("*", "x");
}

/** The agent's identity: an IAM user (hosts outside AWS, as the local environment has) or an instance role. */
function agentIdentity(stack: LocalStack): string {
  const ids = Object.keys(stack.template.Resources).map(withoutHash);
  const found = ids.filter((id) => id === "AgentUser" || id === "AgentRole");
  if (found.length !== 1) throw new Error(`the template has ${found.length} agent identities`);
  return found[0]!;
}

/** Every principal of the template whose calls the test must see: functions, state machines, the agent. */
function components(stack: LocalStack): string[] {
  const types = ["AWS::Lambda::Function", "AWS::StepFunctions::StateMachine"];
  const ids = Object.entries(stack.template.Resources)
    .filter(([, r]) => types.includes(r.Type))
    .map(([id]) => withoutHash(id));
  return [agentIdentity(stack), ...ids];
}
