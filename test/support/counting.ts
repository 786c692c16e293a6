// Counts the requests an SDK client sends, by command name, through a middleware: how the tests measure
// "zero writes to S3" and "about one S3 write per changed file" without a proxy.
import type { S3Client } from "@aws-sdk/client-s3";
import type { SQSClient } from "@aws-sdk/client-sqs";

export interface RequestCounter {
  counts: Map<string, number>;
  /** Every request with its bucket and key, for splitting counts by what they wrote. */
  requests: Array<{ command: string; bucket?: string; key?: string }>;
  get(command: string): number;
  total(commands: string[]): number;
  reset(): void;
}

export function countRequests(client: S3Client | SQSClient): RequestCounter {
  const counts = new Map<string, number>();
  const requests: RequestCounter["requests"] = [];
  (client.middlewareStack as { add: (mw: unknown, opts: unknown) => void }).add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
      const name = context.commandName ?? "unknown";
      counts.set(name, (counts.get(name) ?? 0) + 1);
      const input = (args as { input?: { Bucket?: string; Key?: string } }).input ?? {};
      requests.push({
        command: name,
        ...(input.Bucket ? { bucket: input.Bucket } : {}),
        ...(input.Key ? { key: input.Key } : {}),
      });
      return next(args);
    },
    { step: "initialize", name: `countRequests${Math.random()}` },
  );
  return {
    counts,
    requests,
    get: (command) => counts.get(command) ?? 0,
    total: (commands) => commands.reduce((sum, c) => sum + (counts.get(c) ?? 0), 0),
    reset: () => {
      counts.clear();
      requests.length = 0;
    },
  };
}

/** Every S3 command that writes or deletes an object. */
export const S3_WRITES = [
  "PutObjectCommand",
  "CopyObjectCommand",
  "DeleteObjectCommand",
  "DeleteObjectsCommand",
  "CreateMultipartUploadCommand",
  "UploadPartCommand",
  "UploadPartCopyCommand",
  "CompleteMultipartUploadCommand",
];
