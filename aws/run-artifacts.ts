// Files a run leaves in the version store for PostSync: the keys it changed, the listings that changed,
// the invalidation batches. Small JSON objects under runs/<runId>/, paged so no step holds a whole run.
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { PermanentError } from "../core/errors.ts";

/** Keys changed by one run, one page of at most CHANGES_PER_PAGE. */
export interface ChangePage {
  puts: string[];
  deletes: string[];
}

export const CHANGES_PER_PAGE = 5000;

const pad = (n: number) => String(n).padStart(6, "0");
export const changePageKey = (runId: string, page: number) => `runs/${runId}/changes/${pad(page)}.json`;
export const listingPageKey = (runId: string, page: number) => `runs/${runId}/listings/${pad(page)}.json`;
export const listingResultKey = (runId: string, page: number) => `runs/${runId}/listings/${pad(page)}.result.json`;
export const invalidationPlanKey = (runId: string) => `runs/${runId}/invalidations.json`;

export async function putJson(s3: S3Client, bucket: string, key: string, value: unknown): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(value), ContentType: "application/json" }));
}

export async function getJson<T>(s3: S3Client, bucket: string, key: string): Promise<T> {
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return JSON.parse(await res.Body!.transformToString("utf-8")) as T;
  } catch (err) {
    if ((err as Error).name === "NoSuchKey") throw new PermanentError(`run artifact s3://${bucket}/${key} does not exist`);
    throw err;
  }
}

/**
 * One page of a run's changed keys. A run stores a page before sending its entries, and counts pages
 * concurrently, so a run that died mid-way can count a page that never got stored: its entries were never
 * sent either, so it reads as empty.
 */
export async function getChangePage(s3: S3Client, bucket: string, runId: string, page: number): Promise<ChangePage> {
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: changePageKey(runId, page) }));
    return JSON.parse(await res.Body!.transformToString("utf-8")) as ChangePage;
  } catch (err) {
    if ((err as Error).name === "NoSuchKey") return { puts: [], deletes: [] };
    throw err;
  }
}
