// The Restore workflow's steps. "site": every key under a prefix back to its version at a point in time,
// as a new run through the ordinary pipeline (index, manifests, apply, PostSync), so a restore is itself
// published safely, counted, and undoable. "host": a restore plan on the restore queue, for the agent's
// `sitesync restore --from-queue` to write into the tree.
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { SFNClient } from "@aws-sdk/client-sfn";
import type { S3Client } from "@aws-sdk/client-s3";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { currentFiles, writeIndex } from "../../aws/index/files.ts";
import type { IndexWrite } from "../../aws/index/records.ts";
import { planDirectoryRestore, queryHistoryDirs } from "../../aws/index/history.ts";
import { putRun } from "../../aws/index/runs.ts";
import { changePageKey, getJson, putJson, restorePageKey } from "../../aws/version-store.ts";
import { PermanentError } from "../../core/errors.ts";
import type { Desired, DesiredPut, Published } from "../../core/index-record.ts";
import { normalisePrefix, splitKey } from "../../core/keys.ts";
import { hostPlanPage, type HostPlanFile, type HostPlanMessage } from "../../core/host-plan.ts";
import type { ManifestEntry } from "../../core/manifest.ts";
import { oldestRestorable, parseIsoTime } from "../../core/restore-rules.ts";
import { newRunId } from "../../core/run-id.ts";
import type { PageResult } from "../../core/contracts/restore-page.ts";
import type { RestoreRequest, RestoreStartInput } from "../../core/contracts/restore-start.ts";
import { ManifestSender } from "../../aws/manifest-queue.ts";
import { sendPlanMessages } from "../../aws/restore-queue.ts";
import { startPostSync } from "../../aws/workflows.ts";

export class RestoreTooOld extends PermanentError {
  override readonly name = "RestoreTooOld";
}

function emptyPageResult(): PageResult {
  return { restored: 0, removed: 0, unchanged: 0, unrestorable: 0, sent: 0, messages: 0, sample: [] };
}

export interface RestoreDeps {
  s3: S3Client;
  dynamodb: DynamoDBClient;
  sqs: SQSClient;
  sfn: SFNClient;
  versionBucket: string;
  table: string;
  queueUrl: string;
  restoreQueueUrl: string;
  postSyncStateMachineArn: string;
  retentionDays: number;
  now?: () => Date;
}

export const DIRECTORIES_PER_RESTORE_PAGE = 100;
const retainedSince = (deps: RestoreDeps) =>
  oldestRestorable(deps.now?.() ?? new Date(), deps.retentionDays).toISOString();

/** Step 1: name the restore run and page the directories it covers (the contract checked the request's shape). */
export async function startRestore(o: RestoreStartInput, deps: RestoreDeps): Promise<RestoreRequest> {
  const sitePrefix = normalisePrefix(o.sitePrefix ?? "");
  let asOf: string | undefined;
  if (o.asOf !== undefined) {
    const t = parseIsoTime(o.asOf)!.getTime();
    const now = deps.now?.() ?? new Date();
    const oldest = oldestRestorable(now, deps.retentionDays);
    if (t < oldest.getTime()) {
      throw new RestoreTooOld(
        `${new Date(t).toISOString()} is older than the ${deps.retentionDays}-day retention: ` +
          `the oldest time that can be restored is ${oldest.toISOString()}`,
      );
    }
    asOf = new Date(Math.min(t, now.getTime())).toISOString();
  }
  const runId = newRunId(deps.now?.());
  const startDir = splitKey(o.prefix).dir;
  const dirs = await queryHistoryDirs(deps.dynamodb, deps.table, startDir);
  const pages: number[] = [];
  for (let i = 0; i < dirs.length; i += DIRECTORIES_PER_RESTORE_PAGE) {
    const page = dirs.slice(i, i + DIRECTORIES_PER_RESTORE_PAGE);
    await putJson(deps.s3, deps.versionBucket, restorePageKey(runId, pages.length), page);
    pages.push(pages.length);
  }
  return {
    runId,
    target: o.target,
    prefix: o.prefix,
    sitePrefix,
    ...(asOf ? { asOf } : {}),
    dryRun: o.dryRun === true,
    pages,
  };
}

/** Step 2 (site): one page of directories back to `asOf`, as entries of the restore run. */
export async function restoreSitePage(
  request: RestoreRequest & { page: number },
  deps: RestoreDeps,
): Promise<PageResult> {
  const dirs = await getJson<string[]>(deps.s3, deps.versionBucket, restorePageKey(request.runId, request.page));
  const result = emptyPageResult();
  const writes: Array<{ write: IndexWrite; keepPublished?: Published }> = [];
  const entries: ManifestEntry[] = [];
  const changes = { puts: [] as string[], deletes: [] as string[] };
  const at = (deps.now?.() ?? new Date()).toISOString();
  for (const dir of dirs) {
    for (const { key, decision, current } of await planDirectoryRestore(
      deps.dynamodb,
      deps.table,
      dir,
      request.prefix,
      request.asOf!,
      retainedSince(deps),
    )) {
      if (decision.action === "none") {
        result.unchanged++;
        continue;
      }
      if (decision.action === "unrestorable") {
        result.unrestorable++;
        if (result.sample.length < 20) result.sample.push(`lost ${key}: ${decision.reason}`);
        continue;
      }
      if (result.sample.length < 20) result.sample.push(`${decision.action === "put" ? "restore" : "remove"} ${key}`);
      let desired: Desired;
      if (decision.action === "put") {
        result.restored++;
        const target: DesiredPut = decision.target;
        desired = { ...target, version: request.runId, run: request.runId };
        entries.push({
          op: "put",
          key,
          version: request.runId,
          size: target.size,
          mtime: target.mtime,
          contentType: target.contentType,
          source: target.source,
        });
        changes.puts.push(key);
      } else {
        result.removed++;
        desired = { op: "delete", version: request.runId, run: request.runId };
        entries.push({ op: "delete", key, version: request.runId });
        changes.deletes.push(key);
      }
      writes.push({
        write: { kind: "desired", key, desired },
        ...(current?.published ? { keepPublished: current.published } : {}),
      });
      writes.push({ write: { kind: "history", key, desired, at } });
    }
    if (writes.length > 0) writes.push({ write: { kind: "historyDir", dir } });
  }
  if (request.dryRun) return result;
  // Every page writes its change page, empty or not: PostSync reads pages 0 … n-1.
  await putJson(deps.s3, deps.versionBucket, changePageKey(request.runId, request.page), changes);
  if (entries.length === 0) return result;
  await writeIndex(deps.dynamodb, deps.table, dedupeHistoryDirs(writes));
  // Message numbers are unique across the Map's pages, so the run counter counts each message once.
  const sender = new ManifestSender(
    deps.sqs,
    deps.queueUrl,
    request.runId,
    request.sitePrefix,
    request.page * 1_000_000,
  );
  await sender.send(entries);
  result.sent = sender.entriesSent;
  result.messages = sender.messagesSent;
  return result;
}

function dedupeHistoryDirs(writes: Array<{ write: IndexWrite; keepPublished?: Published }>) {
  const seen = new Set<string>();
  return writes.filter(
    ({ write }) => write.kind !== "historyDir" || (!seen.has(write.dir) && seen.add(write.dir) !== undefined),
  );
}

/**
 * Step 2 (host): the files of one page of directories, as plan messages for the agent; every page sends
 * at least one, numbered within the plan's pages (core/host-plan.ts), so the agent knows when it has all.
 */
export async function planHostPage(request: RestoreRequest & { page: number }, deps: RestoreDeps): Promise<PageResult> {
  const dirs = await getJson<string[]>(deps.s3, deps.versionBucket, restorePageKey(request.runId, request.page));
  const result = emptyPageResult();
  const files: HostPlanFile[] = [];
  const unrestorable: HostPlanMessage["unrestorable"] = [];
  for (const dir of dirs) {
    if (request.asOf === undefined) {
      files.push(...(await currentFiles(deps.dynamodb, deps.table, dir, request.prefix)));
      continue;
    }
    const { prefix, asOf } = request;
    const plan = await planDirectoryRestore(deps.dynamodb, deps.table, dir, prefix, asOf, retainedSince(deps));
    for (const { key, decision, current } of plan) {
      const publishedVersion = current?.published ? { publishedVersion: current.published.version } : {};
      if (decision.action === "put") files.push({ key, desired: decision.target, ...publishedVersion });
      else if (decision.action === "none" && current?.desired.op === "put" && !current.generated) {
        files.push({ key, desired: current.desired, ...publishedVersion });
      } else if (decision.action === "unrestorable") unrestorable.push({ key, reason: decision.reason });
    }
  }
  result.restored = files.length;
  result.unrestorable = unrestorable.length;
  for (const f of files.slice(0, 20)) result.sample.push(`write ${f.key}`);
  if (request.dryRun) return result;
  const { runId: restoreId, sitePrefix, prefix, page } = request;
  const head = { restoreId, sitePrefix, prefix, page, pages: request.pages.length };
  const bodies = hostPlanPage(head, files, unrestorable);
  await sendPlanMessages(deps.sqs, deps.restoreQueueUrl, restoreId, bodies);
  result.sent = files.length;
  result.messages = bodies.length;
  return result;
}

/** Step 3: totals; a site restore that sent entries gets its run record and its PostSync. */
export async function finishRestore(input: { restore: RestoreRequest; results: PageResult[] }, deps: RestoreDeps) {
  const { restore, results } = input;
  const total = results.reduce(
    (sum, r) => ({
      restored: sum.restored + r.restored,
      removed: sum.removed + r.removed,
      unchanged: sum.unchanged + r.unchanged,
      unrestorable: sum.unrestorable + r.unrestorable,
      sent: sum.sent + r.sent,
      messages: sum.messages + r.messages,
    }),
    { restored: 0, removed: 0, unchanged: 0, unrestorable: 0, sent: 0, messages: 0 },
  );
  const sample = results.flatMap((r) => r.sample).slice(0, 20);
  let postSyncExecutionArn: string | undefined;
  if (restore.target === "site" && !restore.dryRun && total.sent > 0) {
    const now = (deps.now?.() ?? new Date()).toISOString();
    await putRun(deps.dynamodb, deps.table, {
      runId: restore.runId,
      status: "sent",
      prefix: restore.sitePrefix,
      started: now,
      finished: now,
      sent: total.sent,
      messages: total.messages,
      changePages: restore.pages.length === 0 ? 0 : Math.max(...restore.pages) + 1,
      counts: { "restore:put": total.restored, "restore:delete": total.removed },
    });
    postSyncExecutionArn = await startPostSync(deps.sfn, deps.postSyncStateMachineArn, { runId: restore.runId });
  }
  return {
    runId: restore.runId,
    target: restore.target,
    dryRun: restore.dryRun,
    asOf: restore.asOf ?? null,
    ...total,
    sample,
    postSyncExecutionArn: postSyncExecutionArn ?? null,
  };
}
