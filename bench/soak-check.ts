// The soak's checks, read straight from the cloud side's servers (around the fault proxies): the queues'
// depths, a cheap sample (chosen files and removed paths looked up one by one) and the whole comparison of
// test/support/site-check.ts (bucket equals tree by content, index equals bucket).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { createAwsClients, type AwsClients } from "../aws/clients.ts";
import { getFiles } from "../aws/index/files.ts";
import {
  digestOf,
  digestTree,
  divergenceCount,
  getObjectBytes,
  sha256,
  siteDivergences,
  type SiteDivergences,
  type SiteStore,
} from "../test/support/site-check.ts";
import type { CloudSide } from "./cloud.ts";

export interface SoakStore extends SiteStore {
  clients: AwsClients;
  queueUrl: string;
  deadLetterQueueUrl: string;
}

/** Clients to the cloud side's servers themselves, never faulted. */
export function openStore(cloud: CloudSide): SoakStore {
  const s = cloud.settings as {
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
    table: string;
    queueUrl: string;
    deadLetterQueueUrl: string;
  };
  const clients = createAwsClients({ region: s.region, credentials: s.credentials, endpoints: cloud.directEndpoints });
  return {
    clients,
    directClients: clients,
    definition: { siteBucket: cloud.siteBucket, table: s.table, publishRules: cloud.publishRules },
    queueUrl: s.queueUrl,
    deadLetterQueueUrl: s.deadLetterQueueUrl,
  };
}

/** Messages in a queue: waiting plus being received (in flight). */
async function depth(store: SoakStore, queueUrl: string): Promise<number> {
  const res = await store.clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  const a = res.Attributes ?? {};
  return Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0);
}

export const deadLetterDepth = (store: SoakStore): Promise<number> => depth(store, store.deadLetterQueueUrl);

/**
 * Waits until the manifest queue is empty, in flight included: every manifest applied or dead-lettered (a
 * batch that failed waits out the visibility timeout first). Throws past the deadline.
 */
export async function waitForDrain(store: SoakStore, deadline: number): Promise<void> {
  for (;;) {
    const left = await depth(store, store.queueUrl);
    if (left === 0) return;
    if (Date.now() > deadline) throw new Error(`the manifest queue still holds ${left} messages`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Keys looked up at once by the sample check: modest, the machine is shared. */
const SAMPLE_CONCURRENCY = 16;

/**
 * The cheap check: each live path is in the bucket with its file's bytes (SHA-256) and in the index as
 * published at its digest; each gone path is in neither. Returns the differences found.
 */
export async function sampleDivergences(store: SoakStore, root: string, live: string[], gone: string[]) {
  const found: string[] = [];
  const records = await getFiles(store.clients.dynamodb, store.definition.table, [...live, ...gone]);
  for (let i = 0; i < live.length; i += SAMPLE_CONCURRENCY) {
    await Promise.all(
      live.slice(i, i + SAMPLE_CONCURRENCY).map(async (key) => {
        const file = digestOf(readFileSync(join(root, key)));
        const body = await getObjectBytes(store, key);
        if (!body) found.push(`${key}: missing from the bucket`);
        else if (sha256(body) !== file.sha256) found.push(`${key}: bucket bytes are not the file's`);
        const record = records.get(key);
        if (!record) found.push(`${key}: not indexed`);
        else if (record.desired.op !== "put" || record.desired.sha256 !== file.sha256)
          found.push(`${key}: indexed ${record.desired.op} is not the file`);
        else if (record.published?.version !== record.desired.version) found.push(`${key}: indexed, not published`);
      }),
    );
  }
  for (let i = 0; i < gone.length; i += SAMPLE_CONCURRENCY) {
    await Promise.all(
      gone.slice(i, i + SAMPLE_CONCURRENCY).map(async (key) => {
        if (await exists(store, key)) found.push(`${key}: removed from the tree, still in the bucket`);
        if (records.get(key)) found.push(`${key}: removed from the tree, still indexed`);
      }),
    );
  }
  return found;
}

async function exists(store: SoakStore, key: string): Promise<boolean> {
  try {
    await store.clients.s3.send(new HeadObjectCommand({ Bucket: store.definition.siteBucket, Key: key }));
    return true;
  } catch (err) {
    if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
    throw err;
  }
}

export interface FullCheck {
  files: number;
  objectsRead: number;
  divergences: number;
  /** The first few of each kind, for the report. */
  first: Partial<SiteDivergences>;
}

/** The whole comparison: every object's ETag against its file's MD5, and `read` keys' bytes read whole. */
export async function fullCheck(store: SoakStore, root: string, read: string[]): Promise<FullCheck> {
  const result = await siteDivergences(store, digestTree(root), "", { compare: "etag", read });
  const first = Object.fromEntries(
    Object.entries(result.divergences)
      .filter(([, list]) => list.length > 0)
      .map(([kind, list]) => [kind, list.slice(0, 5)]),
  );
  return {
    files: result.files,
    objectsRead: result.objectsRead,
    divergences: divergenceCount(result.divergences),
    first,
  };
}
