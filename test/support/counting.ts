// Counts the requests an SDK client sends, by command name, through a middleware: how the tests measure
// "zero writes to S3" and "about one S3 write per changed file" without a proxy.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
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

export interface IndexRequestCounter {
  /** Every request: its command, for a Query the partition it read, for a BatchGetItem the keys it asked. */
  requests: Array<{ command: string; pk?: string; keys?: string[] }>;
  /** The directory partitions Queried ("d#…"), sorted, each once. */
  directoriesRead(): string[];
  /** The file items asked for by key ("d#dir/name"), sorted. */
  filesRead(): string[];
  get(command: string): number;
  reset(): void;
}

/** Counts a DynamoDB client's requests through a middleware, Queries by the partition they read. */
export function countIndexRequests(client: DynamoDBClient): IndexRequestCounter {
  const requests: IndexRequestCounter["requests"] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = (
        args as {
          input?: {
            ExpressionAttributeValues?: Record<string, { S?: string }>;
            RequestItems?: Record<string, { Keys?: Array<Record<string, { S?: string }>> }>;
          };
        }
      ).input;
      const pk = context.commandName === "QueryCommand" ? input?.ExpressionAttributeValues?.[":pk"]?.S : undefined;
      const keys =
        context.commandName === "BatchGetItemCommand"
          ? Object.values(input?.RequestItems ?? {}).flatMap((r) => (r.Keys ?? []).map((k) => `${k.pk?.S}/${k.sk?.S}`))
          : undefined;
      requests.push({
        command: context.commandName ?? "unknown",
        ...(pk !== undefined ? { pk } : {}),
        ...(keys ? { keys } : {}),
      });
      return next(args);
    },
    { step: "initialize", name: `countIndexRequests${Math.random()}` },
  );
  return {
    requests,
    directoriesRead: () => [...new Set(requests.flatMap((r) => (r.pk?.startsWith("d#") ? [r.pk] : [])))].sort(),
    filesRead: () => requests.flatMap((r) => (r.keys ?? []).filter((k) => k.startsWith("d#"))).sort(),
    get: (command) => requests.filter((r) => r.command === command).length,
    reset: () => {
      requests.length = 0;
    },
  };
}
