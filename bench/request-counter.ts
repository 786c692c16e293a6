// Counts every request a local server receives, where it arrives: imported by each server process
// (LocalServersOptions.processes.observer) and asked for its figures by the cloud side. The agent runs in
// another process, so an SDK middleware could not see its requests, and a proxy in between would slow
// everything it measures.
import dc from "node:diagnostics_channel";
import type { IncomingMessage } from "node:http";
import { S3_WRITE_OPS, type ServerCounters } from "./protocol.ts";

const counters: ServerCounters = { s3: {}, s3WritesByBucket: {}, sqs: 0, dynamodb: 0, dynamodbOps: {}, rssBytes: 0 };

dc.subscribe("http.server.request.start", (message) => {
  const { request } = message as { request: IncomingMessage };
  const target = String(request.headers["x-amz-target"] ?? "");
  if (target.startsWith("DynamoDB_")) {
    counters.dynamodb++;
    const op = target.replace(/^DynamoDB_\d+\./, "");
    counters.dynamodbOps[op] = (counters.dynamodbOps[op] ?? 0) + 1;
  } else if (target.startsWith("AmazonSQS")) {
    counters.sqs++;
  } else {
    const { op, bucket } = classifyS3(request);
    counters.s3[op] = (counters.s3[op] ?? 0) + 1;
    if (S3_WRITE_OPS.includes(op)) counters.s3WritesByBucket[bucket] = (counters.s3WritesByBucket[bucket] ?? 0) + 1;
  }
});

export function observe(): ServerCounters {
  return { ...counters, rssBytes: process.memoryUsage().rss };
}

/** Names the S3 operation of a path-style request from its method, path, query and copy-source header. */
function classifyS3(request: IncomingMessage): { op: string; bucket: string } {
  const url = request.url ?? "/";
  const q = url.indexOf("?");
  const path = q === -1 ? url : url.slice(0, q);
  const query = new URLSearchParams(q === -1 ? "" : url.slice(q + 1));
  const slash = path.indexOf("/", 1);
  const bucket = decodeURIComponent(slash === -1 ? path.slice(1) : path.slice(1, slash));
  const hasKey = slash !== -1 && slash < path.length - 1;
  const copy = request.headers["x-amz-copy-source"] !== undefined;
  const op = (() => {
    switch (request.method) {
      case "PUT":
        if (!hasKey) return "BucketOperation";
        if (query.has("uploadId")) return copy ? "UploadPartCopy" : "UploadPart";
        return copy ? "CopyObject" : "PutObject";
      case "POST":
        if (hasKey && query.has("uploads")) return "CreateMultipartUpload";
        if (hasKey && query.has("uploadId")) return "CompleteMultipartUpload";
        if (!hasKey && query.has("delete")) return "DeleteObjects";
        return "OtherPost";
      case "DELETE":
        if (hasKey && query.has("uploadId")) return "AbortMultipartUpload";
        return hasKey ? "DeleteObject" : "BucketOperation";
      case "HEAD":
        return hasKey ? "HeadObject" : "HeadBucket";
      case "GET":
        if (hasKey) return "GetObject";
        return query.has("list-type") || query.size === 0 || query.has("prefix") || query.has("delimiter")
          ? "ListObjects"
          : "BucketOperation";
      default:
        return `Other${request.method}`;
    }
  })();
  return { op, bucket };
}
