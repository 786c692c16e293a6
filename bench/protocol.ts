// What the bench and its cloud-side process say to each other (bench/cloud.ts ↔ bench/cloud-side.ts).

export type Command =
  /** Waits until the run is applied, then (given its ARN) until its PostSync execution has ended. */
  | { id: number; cmd: "wait"; runId: string; postSyncExecutionArn?: string; timeoutMs: number }
  | { id: number; cmd: "counters" }
  | { id: number; cmd: "bucket"; name: string }
  | { id: number; cmd: "stop" };

/** What one server process counted (bench/request-counter.ts). */
export interface ServerCounters {
  s3: Record<string, number>;
  s3WritesByBucket: Record<string, number>;
  sqs: number;
  dynamodb: number;
  dynamodbOps: Record<string, number>;
  rssBytes: number;
}

export interface Counters {
  /** S3 requests by operation, as read off the wire (so retries count). */
  s3: Record<string, number>;
  /** S3 writes (PUT, copy, multipart, delete) by bucket. */
  s3WritesByBucket: Record<string, number>;
  sqs: number;
  dynamodb: number;
  /** DynamoDB requests by operation (from X-Amz-Target). */
  dynamodbOps: Record<string, number>;
  /** Apply invocations that failed (the handler's errors, failed receives or deletes). */
  applyErrors: number;
  /** Paths sent to (the fake) CloudFront in invalidations, so far. */
  invalidationPaths: number;
  /** Faults the fault proxies injected (0 without them: the bench runs without). */
  faults: number;
  /** The cloud side's memory: its own process and the server processes together. */
  rssBytes: number;
}

/** The same operations test/support/counting.ts calls writes. */
export const S3_WRITE_OPS = [
  "PutObject",
  "CopyObject",
  "DeleteObject",
  "DeleteObjects",
  "CreateMultipartUpload",
  "UploadPart",
  "UploadPartCopy",
  "CompleteMultipartUpload",
];

/** The answer to "wait": times from the command's arrival, and the counters at the moment the run was applied. */
export interface WaitResult {
  appliedMs: number;
  appliedCounters: Counters;
  postSyncMs?: number;
  postSyncStatus?: string;
  /** The execution's error and cause when it did not succeed. */
  postSyncError?: string;
}
