// The host's replica of the index, its pure parts and its store: rows give back exactly the entries they
// were made from (fields a newer agent adds included), in DynamoDB's byte order; which directories are
// current; and when the run's own writes leave a directory current.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DirectoryEntry, DirectoryGeneration, GenerationMark } from "../../aws/index/records.ts";
import { Freshness } from "../../agent/replica/freshness.ts";
import { ReplicaRecorder } from "../../agent/replica/own-writes.ts";
import { openReplicaFile, type ReplicaIdentity } from "../../agent/replica/replica-file.ts";
import { IndexReplica } from "../../agent/replica/replica.ts";
import { entryRow, rowEntry } from "../../agent/replica/rows.ts";
import { compareUtf8 } from "../../core/keys.ts";
import { silentLogger } from "../../core/logger.ts";

const IDENTITY: ReplicaIdentity = { table: "t", region: "r", endpoint: "", prefix: "site/", epoch: "e1" };

const put = (name: string, extra: Record<string, unknown> = {}): DirectoryEntry => ({
  kind: "file",
  name,
  file: {
    key: `site/docs/${name}`,
    desired: {
      op: "put",
      version: "v2",
      run: "r2",
      size: 12,
      mtime: "1764078236402000001",
      ctime: "1764078236402000002",
      ino: "184467440737095516",
      sha256: "ab".repeat(32),
      contentType: "text/html; charset=utf-8",
      source: { key: "packs/r2/000001", offset: 40, length: 12 },
      ...extra,
    },
    published: { version: "v1", at: "2026-11-25T09:00:00.000Z", run: "r1", copies: ["site/mirror/docs/a"] },
  },
});

function withReplica(body: (replica: IndexReplica, stateDir: string) => void): void {
  const stateDir = mkdtempSync(join(tmpdir(), "replica-unit-"));
  try {
    const opened = openReplicaFile(stateDir, IDENTITY);
    const replica = new IndexReplica(opened.db, opened.path, silentLogger);
    try {
      body(replica, stateDir);
    } finally {
      replica.close();
    }
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

describe("replica rows", () => {
  test("give back the entries they were made from, every field", () => {
    const entries: DirectoryEntry[] = [
      put("a.html"),
      { kind: "dir", name: "sub" },
      {
        kind: "file",
        name: "gone.txt",
        file: { key: "site/docs/gone.txt", desired: { op: "delete", version: "r3", run: "r3" } },
      },
      {
        kind: "file",
        name: "index.html",
        listingHash: "h1",
        file: {
          key: "site/docs/index.html",
          generated: true,
          desired: {
            op: "put",
            version: "l1",
            run: "r1",
            size: 300,
            mtime: "1",
            contentType: "text/html; charset=utf-8",
            source: { key: "" },
          },
          published: { version: "l1", at: "2026-11-25T09:00:00.000Z", run: "r1", copies: [] },
        },
      },
    ];
    for (const entry of entries) {
      const row = entryRow(entry).map((v) => (v === undefined ? null : v));
      assert.deepEqual(rowEntry("site/docs", row as never), entry);
    }
  });

  test("carry a field this agent does not know (a newer agent's) through unchanged", () => {
    const entry = put("b.html", { blake3: "cafe" });
    const row = entryRow(entry);
    assert.deepEqual(rowEntry("site/docs", row as never), entry);
  });

  test("come back in DynamoDB's byte order, directory markers between their neighbours", () => {
    withReplica((replica) => {
      const names = ["a0", "a.txt", "Z", "é.txt", "a", "\u{1F600}.txt", "ﬀ.txt"];
      const entries: DirectoryEntry[] = [...names.map((n) => put(n)), { kind: "dir", name: "a" } as DirectoryEntry].map(
        (e) => (e.kind === "file" ? { ...e, file: { ...e.file, key: `site/docs/${e.name}` } } : e),
      );
      replica.replaceDirectory("site/docs", entries, 7);
      const read = replica.entries("site/docs")!;
      const sortKey = (e: DirectoryEntry) => (e.kind === "dir" ? `${e.name}/` : e.name);
      assert.deepEqual(
        read.map(sortKey),
        entries.map(sortKey).sort(compareUtf8),
        "UTF-8 byte order, as DynamoDB sorts",
      );
      assert.deepEqual(replica.generations(), new Map([["site/docs", 7]]));
    });
  });
});

describe("replica freshness", () => {
  const gen = (dir: string, generation: number, writers = 0, since?: string): DirectoryGeneration => ({
    dir,
    generation,
    writers,
    ...(since ? { writingSince: since } : {}),
  });
  const now = Date.parse("2026-12-01T12:00:00Z");

  test("current only at the index's generation, with no live writer", () => {
    const index = new Map([
      ["a", gen("a", 4)],
      ["b", gen("b", 6)],
      ["w", gen("w", 9, 1, "2026-12-01T11:30:00Z")],
      ["dead", gen("dead", 9, 1, "2026-12-01T10:30:00Z")],
    ]);
    const recorded = new Map<string, number | null>([
      ["a", 4],
      ["b", 4],
      ["w", 9],
      ["dead", 9],
      ["none", 0],
      ["unknown", null],
    ]);
    const f = new Freshness(index, recorded, now);
    assert.equal(f.isCurrent("a"), true);
    assert.equal(f.isCurrent("b"), false, "another writer advanced it");
    assert.equal(f.isCurrent("w"), false, "a writer began 30 minutes ago and has not ended");
    assert.equal(f.isCurrent("dead"), true, "a writer that began 90 minutes ago is gone");
    assert.equal(f.isCurrent("none"), true, "no generation item: generation 0");
    assert.equal(f.isCurrent("unknown"), false);
    assert.equal(f.isCurrent("never-seen"), false);
    assert.equal(f.generationRead("w"), null, "rows read while a writer writes are not recorded current");
    assert.equal(f.generationRead("b"), 6);
    assert.equal(f.generationRead("never-seen"), 0);
  });
});

describe("the run's own writes", () => {
  const marks = (dir: string, ...values: Array<[number, number]>): GenerationMark[] =>
    values.map(([generation, writers]) => ({ dir, generation, writers }));

  test("leave a directory current only when nobody else wrote it meanwhile", () => {
    withReplica((replica) => {
      const recorded = new Map<string, number | null>([
        ["alone", 4],
        ["concurrent", 4],
        ["other", 4],
        ["busy", 4],
        ["stale", null],
      ]);
      const recorder = new ReplicaRecorder(replica, recorded);
      const write = (m: GenerationMark[]) => recorder.recordWrites([], m);
      // Two batches of this run overlapping in one directory: begin, begin, end, end.
      write(marks("alone", [5, 1], [6, 0]));
      write(marks("concurrent", [5, 1], [7, 1]));
      write(marks("concurrent", [6, 2], [8, 0]));
      // Another writer's advances in between this run's begin and end.
      write(marks("other", [5, 1], [8, 0]));
      // Another writer began and has not ended.
      write(marks("busy", [5, 1], [7, 1]));
      write(marks("stale", [9, 1], [10, 0]));
      assert.deepEqual(recorder.settle(), { current: 2, stale: 3 });
      assert.deepEqual(
        replica.generations(),
        new Map([
          ["alone", 6],
          ["concurrent", 8],
          ["other", null],
          ["busy", null],
          ["stale", null],
        ]),
      );
      assert.equal(recorded.get("alone"), 6);
    });
  });

  test("are the rows the index now holds: a desired record keeps the publication passed along", () => {
    withReplica((replica) => {
      const entry = put("a.html") as Extract<DirectoryEntry, { kind: "file" }>;
      replica.applyWrites([
        {
          write: { kind: "desired", key: entry.file.key, desired: entry.file.desired },
          keepPublished: entry.file.published!,
        },
        { write: { kind: "history", key: entry.file.key, desired: entry.file.desired, at: "x" } },
        { write: { kind: "mkdir", dir: "site/docs", name: "sub" } },
      ]);
      assert.deepEqual(replica.entries("site/docs"), [entry, { kind: "dir", name: "sub" }]);
      assert.deepEqual(replica.pendingRuns(), ["r2"]);
      replica.moveToRun([entry.file.key], "r5");
      assert.deepEqual(replica.pendingRuns(), ["r5"]);
      assert.equal(replica.markRunApplied("r5", "2026-12-01T00:00:00.000Z"), 1);
      const [published] = replica.entries("site/docs")!;
      assert.ok(published?.kind === "file");
      assert.equal(published.file.published?.version, "v2", "the run that re-sent it published its version");
      assert.deepEqual(replica.pendingRuns(), []);
      replica.applyWrites([{ write: { kind: "rmdir", dir: "site/docs", name: "sub" } }]);
      assert.equal(replica.entries("site/docs")!.length, 1);
    });
  });
});
