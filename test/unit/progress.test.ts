// The progress display (agent/progress.ts) and display-width columns (agent/output-columns.ts): counters and
// a fake clock in, the rendered line out.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { columns, displayWidth, fitFromEnd } from "../../agent/output-columns.ts";
import {
  etaSeconds,
  initialState,
  Progress,
  type ProgressState,
  progressFields,
  renderProgress,
} from "../../agent/progress.ts";
import type { Logger } from "../../core/logger.ts";

const at = (seconds: number) => seconds * 1000;

function state(counters: Partial<ProgressState>): ProgressState {
  return { ...initialState("sync", 0), ...counters };
}

/** A logger that keeps what the progress display wrote. */
function recorder(): Logger & { lines: string[]; infos: Array<Record<string, unknown>> } {
  const lines: string[] = [];
  const infos: Array<Record<string, unknown>> = [];
  return {
    lines,
    infos,
    debug() {},
    info: (msg, fields) => infos.push({ msg, ...fields }),
    warn() {},
    error() {},
    progress: (line) => lines.push(line),
  };
}

describe("progress line", () => {
  test("scanning: files scanned per second, changes found, the directory last scanned", () => {
    const s = state({ phase: "scanning", filesScanned: 1500, directoriesScanned: 40, changes: 12, current: "docs/" });
    assert.equal(renderProgress(s, at(3)), "sync scanning · 1,500 files scanned (500/s) · 12 changes · docs/");
  });

  test("staging: bytes staged, manifests sent, and an ETA from the phase's rate", () => {
    const s = state({
      phase: "staging and sending",
      phaseStarted: at(10),
      filesScanned: 2000,
      directoriesScanned: 50,
      scanSeconds: 10,
      changes: 400,
      filesToStage: 400,
      filesStaged: 100,
      bytesStaged: 3 * 1024 * 1024,
      manifestsSent: 2,
      entriesSent: 100,
    });
    // 100 files in 20 s: 300 left at 5/s is 60 s.
    assert.equal(etaSeconds(s, at(30)), 60);
    assert.equal(
      renderProgress(s, at(30)),
      "sync staging and sending · 2,000 files scanned (200/s) · 400 changes · staged 100/400 (3.0 MiB) · " +
        "sent 2 manifests · ETA 1:00",
    );
  });

  test("restore: applied so far of the total, ETA in hours when it is long", () => {
    const s = {
      ...initialState("restore", 0),
      phase: "restoring",
      applied: 10,
      toApply: 100_000,
      appliedLabel: "restored",
    };
    assert.equal(renderProgress(s, at(10)), "restore restoring · restored 10/100,000 · ETA 27:46:30");
  });

  test("on a narrow terminal the ETA and the current phase's count stay; a finished phase's counts go", () => {
    const s = state({
      phase: "staging and sending",
      phaseStarted: at(10),
      filesScanned: 2000,
      scanSeconds: 10,
      changes: 400,
      filesToStage: 400,
      filesStaged: 100,
      bytesStaged: 3 * 1024 * 1024,
      manifestsSent: 2,
      current: "docs/",
    });
    assert.equal(
      renderProgress(s, at(30), 90),
      "sync staging and sending · staged 100/400 (3.0 MiB) · sent 2 manifests · ETA 1:00",
    );
    assert.equal(
      renderProgress(s, at(30), 80),
      "sync staging and sending · staged 100/400 (3.0 MiB) · ETA 1:00 · docs/",
    );
    assert.equal(renderProgress(s, at(30), 40), "sync staging and sending · ETA 1:00");
  });

  test("no ETA before any work is done, once it is all done, or when the total is unknown", () => {
    assert.equal(etaSeconds(state({ filesToStage: 10, filesStaged: 0 }), at(5)), undefined);
    assert.equal(etaSeconds(state({ filesToStage: 10, filesStaged: 10 }), at(5)), undefined);
    assert.equal(etaSeconds(state({ applied: 5, appliedLabel: "restored" }), at(5)), undefined);
  });

  test("a wide-character name is cut by the columns it takes, so the line never wraps", () => {
    const s = state({
      phase: "scanning",
      filesScanned: 9,
      changes: 0,
      current: "文書/日本語/とても長い名前のフォルダ/",
    });
    const line = renderProgress(s, at(1), 75);
    assert.equal(line, "sync scanning · 9 files scanned (9/s) · 0 changes · …も長い名前のフォルダ/");
    // The last column stays free; the 10 wide characters of the name take 20 columns.
    assert.equal(displayWidth(line), 74);
    assert.equal(line.length, 64);
    // Narrower: the changes go, then the scan's count (which leaves room for the name); narrower still: cut.
    assert.equal(renderProgress(s, at(1), 40), "sync scanning · 9 files scanned (9/s)");
    assert.equal(renderProgress(s, at(1), 30), "sync scanning · …のフォルダ/");
    const narrow = renderProgress(s, at(1), 10);
    assert.equal(narrow, "sync sca…");
    assert.equal(displayWidth(narrow), 9);
  });

  test("JSON fields carry the same counters", () => {
    const s = {
      ...initialState("restore", 0),
      phase: "restoring",
      applied: 25,
      toApply: 100,
      appliedLabel: "restored",
    };
    assert.deepEqual(progressFields(s, at(5)), {
      command: "restore",
      phase: "restoring",
      elapsedSeconds: 5,
      filesScanned: 0,
      directoriesScanned: 0,
      filesStaged: 0,
      bytesStaged: 0,
      manifestsSent: 0,
      entriesSent: 0,
      restored: 25,
      total: 100,
      etaSeconds: 15,
    });
  });
});

describe("Progress", () => {
  test("a phase restarts the ETA's clock and freezes the scan's rate", () => {
    let now = 0;
    const logger = recorder();
    const p = new Progress({ command: "sync", mode: "live", logger, now: () => now });
    p.phase("scanning");
    now = at(4);
    p.update({ filesScanned: 400, directoriesScanned: 4, changes: 8 });
    p.render();
    p.phase("staging and sending", { filesToStage: 8 });
    now = at(8);
    p.update({ filesStaged: 4, bytesStaged: 4096 });
    p.render();
    p.stop();
    assert.deepEqual(logger.lines, [
      "sync scanning · 400 files scanned (100/s) · 8 changes",
      "sync staging and sending · 400 files scanned (100/s) · 8 changes · staged 4/8 (4.0 KiB) · ETA 0:04",
      "",
    ]);
  });

  test("off a terminal, info lines whose message is progress", () => {
    const logger = recorder();
    const p = new Progress({ command: "adopt", mode: "json", logger, now: () => at(2) });
    p.update({ directoriesScanned: 3, filesScanned: 30 });
    p.render();
    p.stop();
    assert.equal(logger.lines.length, 0);
    assert.equal(logger.infos.length, 1);
    assert.equal(logger.infos[0]!.msg, "progress");
    assert.equal(logger.infos[0]!.filesScanned, 30);
  });

  test("off: nothing at all", () => {
    const logger = recorder();
    const p = new Progress({ command: "sync", mode: "off", logger }).start();
    p.stop();
    assert.deepEqual([logger.lines, logger.infos], [[], []]);
  });
});

describe("columns by display width", () => {
  test("a wide name pads its row by the columns it takes", () => {
    const rows = columns([
      ["key", "type"],
      ["docs/日本語.txt", "text/plain"],
      ["blog/cafe\u0301.html", "text/html"],
    ]);
    assert.deepEqual(rows, [
      "key              type",
      "docs/日本語.txt  text/plain",
      "blog/cafe\u0301.html   text/html",
    ]);
    const starts = rows.map((r) => displayWidth(r.slice(0, r.lastIndexOf(" ") + 1)));
    assert.deepEqual(starts, [17, 17, 17]);
  });

  test("fitting from the end keeps whole characters", () => {
    assert.equal(fitFromEnd("日本語", 4), "…語");
    assert.equal(fitFromEnd("abc", 3), "abc");
  });
});
