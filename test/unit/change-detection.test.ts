// The change-detection table of core/change-detection.ts, one test row per table row plus the edges.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  decide,
  isSettling,
  runState,
  settleClock,
  type Decision,
  type LocalState,
  type RunState,
  type SettleClock,
} from "../../core/change-detection.ts";
import type { DesiredPut, IndexFile } from "../../core/index-record.ts";

const FINISHED = "20260101T000000000Z-aaaaaa"; // recorded that it finished sending, recently
const CRASHED = "20260102T000000000Z-bbbbbb"; // wrote the index, died before sending
const OVERDUE = "20260103T000000000Z-dddddd"; // finished sending long ago; its entries never got applied
const states: Record<string, RunState> = { [CRASHED]: "crashed", [OVERDUE]: "overdue" };
const runStateOf = (runId: string): RunState => states[runId] ?? "in-flight";

const KEY = "www/docs/page.html";
const MTIME = "1767225600123456789";

const CTIME = "1767225601000000000";
const INO = "1234567";
const SHA = "a".repeat(64);

function file(size = 100, mtime = MTIME, stat: { ctime?: string; ino?: string } = {}): LocalState {
  return { kind: "file", size, mtime, ctime: stat.ctime ?? CTIME, ino: stat.ino ?? INO };
}
const NONE: LocalState = { kind: "none" };
const UNREADABLE: LocalState = { kind: "unreadable", reason: "EACCES: permission denied" };

interface PutOptions {
  size?: number;
  mtime?: string;
  published?: string;
  /** The ctime and inode kept in the record; null: none kept (an adopted or older record). */
  ctime?: string | null;
  ino?: string | null;
  /** The digest kept in the record, if any. */
  sha256?: string;
}

/** A desired put written by `run`; `published` is the version the bucket holds, if any. */
function put(run: string, opts: PutOptions = {}): IndexFile {
  const ctime = opts.ctime === undefined ? CTIME : opts.ctime;
  const ino = opts.ino === undefined ? INO : opts.ino;
  return {
    key: KEY,
    desired: {
      op: "put",
      version: run,
      size: opts.size ?? 100,
      mtime: opts.mtime ?? MTIME,
      contentType: "text/html; charset=utf-8",
      source: { key: `packs/${run}/0`, offset: 0, length: opts.size ?? 100 },
      run,
      ...(ctime !== null ? { ctime } : {}),
      ...(ino !== null ? { ino } : {}),
      ...(opts.sha256 !== undefined ? { sha256: opts.sha256 } : {}),
    },
    ...(opts.published
      ? { published: { version: opts.published, at: "2026-01-01T00:00:00Z", run: opts.published, copies: [] } }
      : {}),
  };
}

/** A record `sitesync adopt` wrote: published, bytes never staged, no ctime, inode or digest. */
function adopted(): IndexFile {
  const record = put(FINISHED, { published: FINISHED, ctime: null, ino: null });
  return { ...record, desired: { ...(record.desired as DesiredPut), source: { key: "" } } };
}

function tombstone(run: string, published?: string): IndexFile {
  return {
    key: KEY,
    desired: { op: "delete", version: run, run },
    ...(published ? { published: { version: published, at: "2026-01-01T00:00:00Z", run: published, copies: [] } } : {}),
  };
}

function generated(run: string): IndexFile {
  return { ...put(run, { published: run }), key: "www/docs/index.html", generated: true };
}

interface Row {
  why: string;
  local: LocalState;
  indexed: IndexFile | undefined;
  expected: Decision;
}

const OLDER = "20251201T000000000Z-cccccc";

const rows: Row[] = [
  // unreadable | unpublished, run crashed or overdue | resend
  {
    why: "unreadable, indexed put of a crashed run: resend (its bytes are staged)",
    local: UNREADABLE,
    indexed: put(CRASHED),
    expected: { action: "resend", reason: "unsent" },
  },
  {
    why: "unreadable, indexed put of an overdue run: resend",
    local: UNREADABLE,
    indexed: put(OVERDUE, { published: OLDER }),
    expected: { action: "resend", reason: "overdue" },
  },
  {
    why: "unreadable, tombstone of a crashed run: resend the delete",
    local: UNREADABLE,
    indexed: tombstone(CRASHED, OLDER),
    expected: { action: "resend", reason: "unsent" },
  },

  // unreadable | anything else | skip
  {
    why: "unreadable, not indexed: skip (never publish blind)",
    local: UNREADABLE,
    indexed: undefined,
    expected: { action: "skip", reason: "unreadable" },
  },
  {
    why: "unreadable, indexed put: skip, never delete blind",
    local: UNREADABLE,
    indexed: put(FINISHED, { published: FINISHED }),
    expected: { action: "skip", reason: "unreadable" },
  },
  {
    why: "unreadable, put in flight: skip",
    local: UNREADABLE,
    indexed: put(FINISHED, { published: OLDER }),
    expected: { action: "skip", reason: "unreadable" },
  },
  {
    why: "unreadable, crashed run already published: skip",
    local: UNREADABLE,
    indexed: put(CRASHED, { published: CRASHED }),
    expected: { action: "skip", reason: "unreadable" },
  },
  {
    why: "unreadable, generated listing: skip",
    local: UNREADABLE,
    indexed: generated(FINISHED),
    expected: { action: "skip", reason: "unreadable" },
  },
  {
    why: "unreadable, unpublished generated listing of a crashed run: skip",
    local: UNREADABLE,
    indexed: { ...generated(CRASHED), published: undefined },
    expected: { action: "skip", reason: "unreadable" },
  },

  // file | none | put
  {
    why: "file not in the index: put (new file)",
    local: file(),
    indexed: undefined,
    expected: { action: "put", reason: "new" },
  },
  {
    why: "empty new file: put (new file)",
    local: file(0),
    indexed: undefined,
    expected: { action: "put", reason: "new" },
  },

  // file | put, equal, run finished | none
  {
    why: "equal size and mtime, published: nothing to do",
    local: file(),
    indexed: put(FINISHED, { published: FINISHED }),
    expected: { action: "none", reason: "unchanged" },
  },
  {
    why: "equal size and mtime, finished run not yet applied: in flight, not resent",
    local: file(),
    indexed: put(FINISHED, { published: OLDER }),
    expected: { action: "none", reason: "in-flight" },
  },
  {
    why: "equal size and mtime, finished run, never published before: in flight",
    local: file(),
    indexed: put(FINISHED),
    expected: { action: "none", reason: "in-flight" },
  },

  // file | put, equal, run crashed | resend
  {
    why: "equal size and mtime, run crashed before sending: resend the same version",
    local: file(),
    indexed: put(CRASHED),
    expected: { action: "resend", reason: "unsent" },
  },
  {
    why: "equal size and mtime, crashed run over an older published version: resend",
    local: file(),
    indexed: put(CRASHED, { published: OLDER }),
    expected: { action: "resend", reason: "unsent" },
  },
  // Edge the table leaves implicit: the crashed run's version reached the bucket anyway, so it was sent.
  {
    why: "equal, crashed run but its version is already published: nothing to resend",
    local: file(),
    indexed: put(CRASHED, { published: CRASHED }),
    expected: { action: "none", reason: "unchanged" },
  },

  // file | put, equal, run overdue | resend
  {
    why: "equal, sent long ago and still unpublished (expired or dead-lettered): resend",
    local: file(),
    indexed: put(OVERDUE, { published: OLDER }),
    expected: { action: "resend", reason: "overdue" },
  },
  {
    why: "equal, overdue run whose version was published meanwhile: nothing to do",
    local: file(),
    indexed: put(OVERDUE, { published: OVERDUE }),
    expected: { action: "none", reason: "unchanged" },
  },

  // file | put, size or mtime differs | put
  {
    why: "size differs: put (changed)",
    local: file(101),
    indexed: put(FINISHED, { published: FINISHED }),
    expected: { action: "put", reason: "changed" },
  },
  {
    why: "same mtime, different size: put (changed)",
    local: file(99, MTIME),
    indexed: put(FINISHED, { published: FINISHED, mtime: MTIME }),
    expected: { action: "put", reason: "changed" },
  },
  {
    why: "mtime newer than indexed: put (changed)",
    local: file(100, "1767225700000000000"),
    indexed: put(FINISHED, { published: FINISHED }),
    expected: { action: "put", reason: "changed" },
  },
  {
    why: "mtime OLDER than indexed (FTP client kept the source mtime): still a change",
    local: file(100, "1600000000000000000"),
    indexed: put(FINISHED, { published: FINISHED }),
    expected: { action: "put", reason: "changed" },
  },
  {
    why: "mtime differs by one nanosecond: put (full resolution, no fudge)",
    local: file(100, "1767225600123456790"),
    indexed: put(FINISHED, { published: FINISHED }),
    expected: { action: "put", reason: "changed" },
  },
  {
    why: "changed while the previous run's entry is in flight: put a new version",
    local: file(200),
    indexed: put(FINISHED, { published: OLDER }),
    expected: { action: "put", reason: "changed" },
  },
  {
    why: "changed after a crashed run: put a new version rather than resend the stale one",
    local: file(200),
    indexed: put(CRASHED),
    expected: { action: "put", reason: "changed" },
  },

  // file | delete (tombstone) | put
  {
    why: "re-created after a delete that was sent: put",
    local: file(),
    indexed: tombstone(FINISHED, OLDER),
    expected: { action: "put", reason: "recreated" },
  },
  {
    why: "re-created after a delete that was never sent: put, not resend the delete",
    local: file(),
    indexed: tombstone(CRASHED, OLDER),
    expected: { action: "put", reason: "recreated" },
  },
  {
    why: "re-created with the tombstone's old size and mtime: put anyway",
    local: file(100, MTIME),
    indexed: tombstone(FINISHED),
    expected: { action: "put", reason: "recreated" },
  },

  // file | generated listing | put
  {
    why: "a real page replaces a generated listing",
    local: file(),
    indexed: generated(FINISHED),
    expected: { action: "put", reason: "replaces-generated" },
  },
  {
    why: "a real page with the listing's exact size and mtime still replaces it",
    local: file(100, MTIME),
    indexed: generated(FINISHED),
    expected: { action: "put", reason: "replaces-generated" },
  },

  // none | put | delete
  {
    why: "file removed from the tree: delete",
    local: NONE,
    indexed: put(FINISHED, { published: FINISHED }),
    expected: { action: "delete", reason: "removed" },
  },
  {
    why: "file removed while its put is in flight: delete",
    local: NONE,
    indexed: put(FINISHED, { published: OLDER }),
    expected: { action: "delete", reason: "removed" },
  },
  {
    why: "file removed after a crashed run wrote its put: delete, not resend the put",
    local: NONE,
    indexed: put(CRASHED),
    expected: { action: "delete", reason: "removed" },
  },

  // none | delete, run finished | none
  {
    why: "tombstone of a finished run: delete already in flight",
    local: NONE,
    indexed: tombstone(FINISHED, OLDER),
    expected: { action: "none", reason: "in-flight" },
  },
  {
    why: "tombstone of a finished run, never published: in flight",
    local: NONE,
    indexed: tombstone(FINISHED),
    expected: { action: "none", reason: "in-flight" },
  },

  // none | delete, run crashed or overdue | resend
  {
    why: "tombstone of a crashed run: resend the delete",
    local: NONE,
    indexed: tombstone(CRASHED, OLDER),
    expected: { action: "resend", reason: "unsent" },
  },
  {
    why: "tombstone sent long ago, never applied: resend the delete",
    local: NONE,
    indexed: tombstone(OVERDUE, OLDER),
    expected: { action: "resend", reason: "overdue" },
  },

  // none | generated listing | none
  {
    why: "generated listing absent from the tree: PostSync owns it, no delete",
    local: NONE,
    indexed: generated(FINISHED),
    expected: { action: "none", reason: "generated" },
  },
  {
    why: "generated listing of a crashed run: still PostSync's, no resend",
    local: NONE,
    indexed: { ...generated(CRASHED), published: undefined },
    expected: { action: "none", reason: "generated" },
  },

  // file | put, size and mtime equal, ctime or inode differs | put (metadata)
  {
    why: "same size and mtime, new ctime (rewritten within one mtime tick): put (metadata)",
    local: file(100, MTIME, { ctime: "1767225609000000000" }),
    indexed: put(FINISHED, { published: FINISHED }),
    expected: { action: "put", reason: "metadata" },
  },
  {
    why: "same size, mtime and ctime, another inode (replaced, its old mtime set back): put (metadata)",
    local: file(100, MTIME, { ino: "7654321" }),
    indexed: put(FINISHED, { published: FINISHED }),
    expected: { action: "put", reason: "metadata" },
  },
  {
    why: "metadata changed, the record has a digest of a published version: put, comparing digests",
    local: file(100, MTIME, { ctime: "1767225609000000000" }),
    indexed: put(FINISHED, { published: FINISHED, sha256: SHA }),
    expected: { action: "put", reason: "metadata", compare: { version: FINISHED, sha256: SHA } },
  },
  {
    why: "metadata changed while the version is unpublished and its run crashed: put afresh, no compare",
    local: file(100, MTIME, { ino: "7654321" }),
    indexed: put(CRASHED, { sha256: SHA }),
    expected: { action: "put", reason: "metadata" },
  },

  // file | put, size or mtime differs, digest known | put, comparing digests (a mass re-upload)
  {
    why: "new mtime, same size, digest of the published version: put, comparing digests",
    local: file(100, "1767225700000000000", { ctime: "1767225700000000000", ino: "999" }),
    indexed: put(FINISHED, { published: FINISHED, sha256: SHA }),
    expected: { action: "put", reason: "changed", compare: { version: FINISHED, sha256: SHA } },
  },
  {
    why: "new mtime, same size, digest of a version in flight: put, comparing digests",
    local: file(100, "1767225700000000000"),
    indexed: put(FINISHED, { published: OLDER, sha256: SHA }),
    expected: { action: "put", reason: "changed", compare: { version: FINISHED, sha256: SHA } },
  },
  {
    why: "new mtime, same size, digest of a crashed run's version: put afresh, no compare",
    local: file(100, "1767225700000000000"),
    indexed: put(CRASHED, { published: OLDER, sha256: SHA }),
    expected: { action: "put", reason: "changed" },
  },
  {
    why: "new mtime, same size, digest of an overdue version: put afresh, no compare",
    local: file(100, "1767225700000000000"),
    indexed: put(OVERDUE, { published: OLDER, sha256: SHA }),
    expected: { action: "put", reason: "changed" },
  },
  {
    why: "new size: the digest cannot match, no compare",
    local: file(101, "1767225700000000000"),
    indexed: put(FINISHED, { published: FINISHED, sha256: SHA }),
    expected: { action: "put", reason: "changed" },
  },
  {
    why: "new mtime, same size, no digest kept (an older record): put, no compare",
    local: file(100, "1767225700000000000"),
    indexed: put(FINISHED, { published: FINISHED }),
    expected: { action: "put", reason: "changed" },
  },

  // file | put, size and mtime equal, no ctime/inode kept | record (index only)
  {
    why: "first run after adoption (no ctime, inode or digest kept): record, no read",
    local: file(),
    indexed: adopted(),
    expected: { action: "record", reason: "inode-unknown" },
  },
  {
    why: "an older agent's record (no ctime or inode), published: record",
    local: file(),
    indexed: put(FINISHED, { published: FINISHED, ctime: null, ino: null }),
    expected: { action: "record", reason: "inode-unknown" },
  },
  {
    why: "a record with a ctime but no inode: record",
    local: file(),
    indexed: put(FINISHED, { published: FINISHED, ino: null }),
    expected: { action: "record", reason: "inode-unknown" },
  },
  {
    why: "an older record still in flight: record (the apply is on its way)",
    local: file(),
    indexed: put(FINISHED, { published: OLDER, ctime: null, ino: null }),
    expected: { action: "record", reason: "inode-unknown" },
  },
  {
    why: "an older record of a crashed run: resend first (record on a later run)",
    local: file(),
    indexed: put(CRASHED, { ctime: null, ino: null }),
    expected: { action: "resend", reason: "unsent" },
  },
  {
    why: "an older record whose size differs: put (changed), not record",
    local: file(120),
    indexed: put(FINISHED, { published: FINISHED, ctime: null, ino: null }),
    expected: { action: "put", reason: "changed" },
  },

  // Not in the table: neither side has the key.
  {
    why: "no file and no record: nothing to do",
    local: NONE,
    indexed: undefined,
    expected: { action: "none", reason: "unchanged" },
  },
];

describe("change detection: decide(local, indexed, runState)", () => {
  for (const row of rows) {
    test(row.why, () => {
      assert.deepEqual(decide(row.local, row.indexed, runStateOf), row.expected);
    });
  }

  test("asks about the run that wrote the desired state, not the one that published", () => {
    const asked: string[] = [];
    const decision = decide(file(), put(CRASHED, { published: OLDER }), (id) => {
      asked.push(id);
      return runStateOf(id);
    });
    assert.deepEqual(decision, { action: "resend", reason: "unsent" });
    assert.deepEqual(asked, [CRASHED]);
  });

  test("an unreadable file never produces a delete or a put, whatever the index holds", () => {
    const states: RunState[] = ["in-flight", "crashed", "overdue"];
    for (const indexed of [
      undefined,
      put(FINISHED),
      put(CRASHED),
      tombstone(FINISHED),
      tombstone(CRASHED),
      generated(FINISHED),
    ]) {
      for (const state of states) {
        assert.ok(["skip", "resend"].includes(decide(UNREADABLE, indexed, () => state).action));
      }
    }
  });
});

describe("change detection: the settle window", () => {
  const NOW = 1767225600_000n * 1_000_000n; // ms → ns, 2026-01-01T00:00:00Z
  const clock = (seconds: number): SettleClock => ({ now: NOW, window: BigInt(seconds) * 1_000_000_000n });
  const ago = (seconds: number) => String(NOW - BigInt(Math.round(seconds * 1000)) * 1_000_000n);
  const OLD = ago(3600);
  const rows: Array<Row & { settle: SettleClock | undefined }> = [
    {
      why: "a new file modified 1 s ago: settling, left for the next run",
      local: file(100, ago(1), { ctime: ago(1) }),
      indexed: undefined,
      settle: clock(60),
      expected: { action: "settling", reason: "modified-recently" },
    },
    {
      why: "a new file modified 61 s ago: put",
      local: file(100, ago(61), { ctime: ago(61) }),
      indexed: undefined,
      settle: clock(60),
      expected: { action: "put", reason: "new" },
    },
    {
      why: "an old mtime set back by the client, ctime 2 s ago (upload running): settling",
      local: file(100, OLD, { ctime: ago(2) }),
      indexed: put(FINISHED, { published: FINISHED, mtime: ago(7200) }),
      settle: clock(60),
      expected: { action: "settling", reason: "modified-recently" },
    },
    {
      why: "a changed file whose mtime is 5 s in the future (within the window): settling",
      local: file(100, String(NOW + 5_000_000_000n), { ctime: OLD }),
      indexed: put(FINISHED, { published: FINISHED }),
      settle: clock(60),
      expected: { action: "settling", reason: "modified-recently" },
    },
    {
      why: "an mtime a day in the future never holds a file back forever: put",
      local: file(100, String(NOW + 86_400_000_000_000n), { ctime: OLD }),
      indexed: put(FINISHED, { published: FINISHED }),
      settle: clock(60),
      expected: { action: "put", reason: "changed" },
    },
    {
      why: "a metadata change with a recent ctime: settling",
      local: file(100, MTIME, { ctime: ago(10) }),
      indexed: put(FINISHED, { published: FINISHED }),
      settle: clock(60),
      expected: { action: "settling", reason: "modified-recently" },
    },
    {
      why: "a record with no inode kept, ctime recent: settling (recorded once it is quiet)",
      local: file(100, MTIME, { ctime: ago(10) }),
      indexed: put(FINISHED, { published: FINISHED, ctime: null, ino: null }),
      settle: clock(60),
      expected: { action: "settling", reason: "modified-recently" },
    },
    {
      why: "unchanged (all equal) with a recent ctime: nothing to do, not settling",
      local: file(100, MTIME, { ctime: ago(1) }),
      indexed: put(FINISHED, { published: FINISHED, ctime: ago(1) }),
      settle: clock(60),
      expected: { action: "none", reason: "unchanged" },
    },
    {
      why: "a crashed run's entry with a recent mtime: resent (its bytes are staged), not settling",
      local: file(100, ago(1), { ctime: ago(1) }),
      indexed: put(CRASHED, { mtime: ago(1), ctime: ago(1) }),
      settle: clock(60),
      expected: { action: "resend", reason: "unsent" },
    },
    {
      why: "a window of 0 turns settling off",
      local: file(100, ago(0), { ctime: ago(0) }),
      indexed: undefined,
      settle: clock(0),
      expected: { action: "put", reason: "new" },
    },
    {
      why: "no clock (the default): never settling",
      local: file(100, ago(0), { ctime: ago(0) }),
      indexed: undefined,
      settle: undefined,
      expected: { action: "put", reason: "new" },
    },
    {
      why: "a file gone from the tree is deleted whatever the clock",
      local: NONE,
      indexed: put(FINISHED, { published: FINISHED, mtime: ago(1), ctime: ago(1) }),
      settle: clock(60),
      expected: { action: "delete", reason: "removed" },
    },
  ];
  for (const row of rows) {
    test(row.why, () => assert.deepEqual(decide(row.local, row.indexed, runStateOf, row.settle), row.expected));
  }

  test("settleClock takes seconds and milliseconds since the epoch", () => {
    assert.deepEqual(settleClock(60, 1767225600_000), { now: NOW, window: 60_000_000_000n });
    assert.equal(isSettling({ mtime: ago(59), ctime: OLD }, clock(60)), true);
    assert.equal(isSettling({ mtime: ago(60), ctime: OLD }, clock(60)), false);
  });
});

describe("change detection: runState(record, now, resendAfter)", () => {
  const now = Date.parse("2026-12-02T12:00:00Z");
  const hour = 3_600_000;
  const rows: Array<{ why: string; run: Parameters<typeof runState>[0]; expected: RunState }> = [
    { why: "no record (written by a tool that keeps none): overdue", run: undefined, expected: "overdue" },
    { why: "still running while this agent holds the lock: crashed", run: { status: "running" }, expected: "crashed" },
    {
      why: "running with a finish time (never written so, but not trusted): crashed",
      run: { status: "running", finished: "2026-12-02T11:59:00Z" },
      expected: "crashed",
    },
    {
      why: "sent a minute ago: in flight",
      run: { status: "sent", finished: "2026-12-02T11:59:00Z" },
      expected: "in-flight",
    },
    {
      why: "sent exactly the resend delay ago: overdue",
      run: { status: "sent", finished: "2026-12-02T11:00:00Z" },
      expected: "overdue",
    },
    {
      why: "interrupted (found crashed by a later run) long ago: overdue",
      run: { status: "interrupted", finished: "2026-12-01T00:00:00Z" },
      expected: "overdue",
    },
    {
      why: "finished a few minutes ahead of this clock (skew between hosts): in flight",
      run: { status: "sent", finished: "2026-12-02T12:05:00Z" },
      expected: "in-flight",
    },
    {
      why: "finished a day ahead of this clock (the clock went back): overdue, never held for a day",
      run: { status: "sent", finished: "2026-12-03T12:00:00Z" },
      expected: "overdue",
    },
    {
      why: "a finish time that is not a time: overdue",
      run: { status: "sent", finished: "yesterday" },
      expected: "overdue",
    },
  ];
  for (const row of rows) {
    test(row.why, () => assert.equal(runState(row.run, now, hour), row.expected));
  }
});
