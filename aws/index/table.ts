// How the index's requests are sent: paged Queries, conditional writes, and the batch calls whose partial
// failures (UnprocessedItems, UnprocessedKeys) are retried until none is left. What the requests say comes
// from items.ts.
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type DynamoDBClient,
  type WriteRequest,
} from "@aws-sdk/client-dynamodb";
import { mapLimit } from "../../core/concurrency.ts";
import { drainWithBackoff } from "../backoff.ts";
import type { ConditionalDelete, ConditionalPut, Item, QuerySpec, UpdateSpec } from "./items.ts";

/**
 * The items of a Query, page by page (LastEvaluatedKey followed to the end). Eventually consistent
 * unless asked, at half the price.
 */
export async function* queryPages(
  ddb: DynamoDBClient,
  table: string,
  spec: QuerySpec,
  consistent: boolean,
): AsyncGenerator<Item[]> {
  let startKey: Item | undefined;
  do {
    const page = await ddb.send(
      new QueryCommand({ TableName: table, ...spec, ConsistentRead: consistent, ExclusiveStartKey: startKey }),
    );
    yield page.Items ?? [];
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}

/** Every item of a Query, strongly consistent, mapped by `decode`. */
export async function queryAll<T>(
  ddb: DynamoDBClient,
  table: string,
  spec: QuerySpec,
  decode: (item: Item) => T,
): Promise<T[]> {
  const out: T[] = [];
  for await (const items of queryPages(ddb, table, spec, true)) out.push(...items.map(decode));
  return out;
}

/** The last `limit` items of a Query in sort key order (one call, strongly consistent), last first. */
export async function queryLast(ddb: DynamoDBClient, table: string, spec: QuerySpec, limit: number): Promise<Item[]> {
  const page = await ddb.send(
    new QueryCommand({ TableName: table, ...spec, ConsistentRead: true, ScanIndexForward: false, Limit: limit }),
  );
  return page.Items ?? [];
}

/** The table's item count as DynamoDB reports it: refreshed about every six hours, so approximate. */
export async function approximateItemCount(ddb: DynamoDBClient, table: string): Promise<number | undefined> {
  return (await ddb.send(new DescribeTableCommand({ TableName: table }))).Table?.ItemCount;
}

export async function getItem(ddb: DynamoDBClient, table: string, key: Item): Promise<Item | undefined> {
  return (await ddb.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item;
}

/** Items by key (BatchGetItem, 100 keys a call, strongly consistent); absent keys are left out. */
export async function getItems(ddb: DynamoDBClient, table: string, keys: Item[]): Promise<Item[]> {
  const found: Item[] = [];
  const chunks: Item[][] = [];
  for (let i = 0; i < keys.length; i += 100) chunks.push(keys.slice(i, i + 100));
  await Promise.all(
    chunks.map((chunk) =>
      drainWithBackoff(
        chunk,
        async (pending) => {
          const res = await ddb.send(
            new BatchGetItemCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: true } } }),
          );
          found.push(...(res.Responses?.[table] ?? []));
          return res.UnprocessedKeys?.[table]?.Keys ?? [];
        },
        `BatchGetItem from ${table}`,
      ),
    ),
  );
  return found;
}

export async function putItem(ddb: DynamoDBClient, table: string, item: Item): Promise<void> {
  await ddb.send(new PutItemCommand({ TableName: table, Item: item }));
}

export async function updateItem(ddb: DynamoDBClient, table: string, spec: UpdateSpec): Promise<void> {
  await ddb.send(new UpdateItemCommand({ TableName: table, ...spec }));
}

/** An update that answers with the item as it is right after it (ReturnValues ALL_NEW). */
export async function updateReturning(ddb: DynamoDBClient, table: string, spec: UpdateSpec): Promise<Item> {
  const res = await ddb.send(new UpdateItemCommand({ TableName: table, ...spec, ReturnValues: "ALL_NEW" }));
  return res.Attributes ?? {};
}

/** A conditional update: true if it happened, false if its condition no longer held. */
export function updateIf(ddb: DynamoDBClient, table: string, spec: UpdateSpec): Promise<boolean> {
  return conditionally(ddb.send(new UpdateItemCommand({ TableName: table, ...spec })));
}

export function putIf(ddb: DynamoDBClient, table: string, spec: ConditionalPut): Promise<boolean> {
  return conditionally(ddb.send(new PutItemCommand({ TableName: table, ...spec })));
}

export function deleteIf(ddb: DynamoDBClient, table: string, spec: ConditionalDelete): Promise<boolean> {
  return conditionally(ddb.send(new DeleteItemCommand({ TableName: table, ...spec })));
}

async function conditionally(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (err) {
    if ((err as Error).name === "ConditionalCheckFailedException") return false;
    throw err;
  }
}

// A bounded number of calls in flight: firing all of a pack's calls at once queued them behind the socket
// pool until connections timed out.
const WRITE_CALLS_IN_FLIGHT = 8;

/**
 * Writes in BatchWriteItem calls of 25, retrying UnprocessedItems with backoff until every item is
 * written; a remainder after the last attempt is an error. Two writes to the same item must not share a
 * call (DynamoDB rejects the batch), so callers send at most one write per item per call.
 */
export async function batchWrite(ddb: DynamoDBClient, table: string, requests: WriteRequest[]): Promise<void> {
  const chunks: WriteRequest[][] = [];
  for (let i = 0; i < requests.length; i += 25) chunks.push(requests.slice(i, i + 25));
  await mapLimit(chunks, WRITE_CALLS_IN_FLIGHT, (chunk) =>
    drainWithBackoff(
      chunk,
      async (pending) => {
        const res = await ddb.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }));
        return res.UnprocessedItems?.[table] ?? [];
      },
      `BatchWriteItem to ${table}`,
    ),
  );
}
