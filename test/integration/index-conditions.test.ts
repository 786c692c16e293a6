// The apply handler's index writes are conditional on the desired version (aws/index/files.ts): a version
// is recorded as published only while it is still the desired put, and a tombstone is removed only while it
// is still the desired delete. Against the local DynamoDB server alone, so each condition is checked quickly.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Server } from "node:http";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createDynamoDbClient } from "../../aws/clients.ts";
import { getFile, markPublished, removeTombstone, writeIndex } from "../../aws/index/files.ts";
import { createTable } from "../../aws/local-resources.ts";
import type { Desired, Published } from "../../core/index-record.ts";
import { closeDynalite, portOf, startDynaliteOnLoopback } from "../../local/servers.ts";

const TABLE = "index-conditions";

const put = (version: string): Desired => ({
  op: "put",
  version,
  run: `run-${version}`,
  size: 1,
  mtime: "1",
  contentType: "text/plain",
  source: { key: `packs/${version}`, offset: 0, length: 1 },
});
const del = (version: string): Desired => ({ op: "delete", version, run: `run-${version}` });
const published = (version: string): Published => ({
  version,
  at: "2026-12-01T00:00:00.000Z",
  run: `run-${version}`,
  copies: [`mirror/${version}`],
});

describe("conditional index writes of the apply handler", () => {
  let server: Server;
  let ddb: DynamoDBClient;
  before(async () => {
    server = await startDynaliteOnLoopback(0, undefined);
    ddb = createDynamoDbClient({
      region: "us-east-1",
      endpoints: { dynamodb: `http://127.0.0.1:${portOf(server)}` },
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    await createTable(
      ddb,
      TABLE,
      [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
      [
        { AttributeName: "pk", AttributeType: "S" },
        { AttributeName: "sk", AttributeType: "S" },
      ],
    );
  });
  after(async () => {
    ddb.destroy();
    await closeDynalite(server);
  });
  const desire = (key: string, desired: Desired) =>
    writeIndex(ddb, TABLE, [{ write: { kind: "desired", key, desired } }]);

  test("a version is recorded as published while it is the desired put, with what was published", async () => {
    await desire("docs/a.html", put("v1"));
    assert.equal(await markPublished(ddb, TABLE, "docs/a.html", published("v1")), true);
    const file = await getFile(ddb, TABLE, "docs/a.html");
    assert.deepEqual(file?.published, published("v1"));
    assert.equal(file?.desired.version, "v1");
  });

  test("not once the desired version moved on, nor for a key never indexed", async () => {
    await desire("docs/b.html", put("v1"));
    await desire("docs/b.html", put("v2"));
    assert.equal(await markPublished(ddb, TABLE, "docs/b.html", published("v1")), false);
    assert.equal((await getFile(ddb, TABLE, "docs/b.html"))?.published, undefined);
    assert.equal(await markPublished(ddb, TABLE, "docs/never.html", published("v1")), false);
    assert.equal(await getFile(ddb, TABLE, "docs/never.html"), undefined, "no record made up");
  });

  test("not when the desired version is a delete, even of the same version id", async () => {
    await desire("docs/c.html", del("v3"));
    assert.equal(await markPublished(ddb, TABLE, "docs/c.html", published("v3")), false);
    assert.equal((await getFile(ddb, TABLE, "docs/c.html"))?.published, undefined);
  });

  test("a tombstone goes only while it is the desired delete of that version", async () => {
    await desire("docs/d.html", del("v4"));
    assert.equal(await removeTombstone(ddb, TABLE, "docs/d.html", "v3"), false, "another version");
    assert.equal((await getFile(ddb, TABLE, "docs/d.html"))?.desired.op, "delete");
    assert.equal(await removeTombstone(ddb, TABLE, "docs/d.html", "v4"), true);
    assert.equal(await getFile(ddb, TABLE, "docs/d.html"), undefined);
    assert.equal(await removeTombstone(ddb, TABLE, "docs/d.html", "v4"), false, "already gone");
  });

  test("a failure other than the condition is an error, not a refusal", async () => {
    await assert.rejects(markPublished(ddb, "no-such-table", "docs/a.html", published("v1")), {
      name: "ResourceNotFoundException",
    });
    await assert.rejects(removeTombstone(ddb, "no-such-table", "docs/a.html", "v1"), {
      name: "ResourceNotFoundException",
    });
  });

  test("a put of the same version id is never removed as a tombstone", async () => {
    await desire("docs/e.html", put("v5"));
    assert.equal(await removeTombstone(ddb, TABLE, "docs/e.html", "v5"), false);
    assert.equal((await getFile(ddb, TABLE, "docs/e.html"))?.desired.version, "v5");
  });
});
