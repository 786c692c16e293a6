// The edge's key value store (CloudFront KeyValueStore): the .htaccess redirects the viewer-request
// function reads (layout: core/edge-rules.ts). PostSync brings it to the desired entries, writing only what
// differs, in all-or-nothing UpdateKeys batches each conditional on the store's ETag (IfMatch), so two
// writers cannot interleave: the loser gets a conflict and PostSync's retry starts over from a fresh read.
// API: https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_kvs_UpdateKeys.html
import "@aws-sdk/signature-v4a";
import {
  type CloudFrontKeyValueStoreClient,
  DescribeKeyValueStoreCommand,
  ListKeysCommand,
  UpdateKeysCommand,
} from "@aws-sdk/client-cloudfront-keyvaluestore";

/** What PostSync needs of a key value store; the local stack has a store of its own behind the same port. */
export interface KeyValueStoreService {
  /** Every key and value, and the store's current ETag. */
  read(): Promise<{ entries: Map<string, string>; etag: string }>;
  /** One all-or-nothing change, if the store is still at `etag`; returns the new ETag. */
  update(etag: string, puts: Array<{ key: string; value: string }>, deletes: string[]): Promise<string>;
}

/** Keys changed per UpdateKeys request: a size we chose, well inside the request's limits. */
export const UPDATE_BATCH = 50;

export function cloudFrontKeyValueStore(client: CloudFrontKeyValueStoreClient, arn: string): KeyValueStoreService {
  return {
    async read() {
      const described = await client.send(new DescribeKeyValueStoreCommand({ KvsARN: arn }));
      const entries = new Map<string, string>();
      let token: string | undefined;
      do {
        const page = await client.send(new ListKeysCommand({ KvsARN: arn, NextToken: token, MaxResults: 50 }));
        for (const item of page.Items ?? []) entries.set(item.Key!, item.Value!);
        token = page.NextToken;
      } while (token);
      return { entries, etag: described.ETag! };
    },
    async update(etag, puts, deletes) {
      const out = await client.send(
        new UpdateKeysCommand({
          KvsARN: arn,
          IfMatch: etag,
          Puts: puts.map(({ key, value }) => ({ Key: key, Value: value })),
          Deletes: deletes.map((Key) => ({ Key })),
        }),
      );
      return out.ETag!;
    },
  };
}

/** Brings the store to exactly `desired`; returns how many keys were put and deleted. */
export async function syncKeyValueStore(
  store: KeyValueStoreService,
  desired: Map<string, string>,
): Promise<{ put: number; deleted: number }> {
  const { entries, etag: start } = await store.read();
  const puts = [...desired]
    .filter(([key, value]) => entries.get(key) !== value)
    .map(([key, value]) => ({ key, value }));
  const deletes = [...entries.keys()].filter((key) => !desired.has(key));
  let etag = start;
  // Puts first: a rule is never missing between two batches, only an old one may linger until the last.
  for (let i = 0; i < puts.length; i += UPDATE_BATCH)
    etag = await store.update(etag, puts.slice(i, i + UPDATE_BATCH), []);
  for (let i = 0; i < deletes.length; i += UPDATE_BATCH) {
    etag = await store.update(etag, [], deletes.slice(i, i + UPDATE_BATCH));
  }
  return { put: puts.length, deleted: deletes.length };
}
