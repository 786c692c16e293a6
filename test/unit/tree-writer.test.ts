// Writing into the host tree: no symbolic link is ever followed, even one swapped in for a directory
// between the checks and the writes, with names resolved through the open directory (Linux) or by path.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TreeDirectory, UnsafeKeyError, type WriteStep } from "../../agent/restore/tree-writer.ts";

const modes = existsSync("/proc/self/fd") ? [true, false] : [false];

for (const anchored of modes) {
  describe(`tree writer, names resolved ${anchored ? "through the open directory" : "by path, checked"}`, () => {
    const fresh = () => {
      const base = mkdtempSync(join(tmpdir(), "sitesync-tree-"));
      mkdirSync(join(base, "target"));
      mkdirSync(join(base, "outside"));
      return { base, target: join(base, "target"), outside: join(base, "outside") };
    };
    const write = async (target: string, names: string[], content: string, onWriteStep?: (s: WriteStep) => void) => {
      const root = await TreeDirectory.open(target, { anchored, ...(onWriteStep ? { onWriteStep } : {}) });
      try {
        return await root.within(names.slice(0, -1), true, (dir) =>
          dir.writeFile(names.at(-1)!, 1_700_000_000.5, async (file) => void (await file.write(content))),
        );
      } finally {
        await root.close();
      }
    };

    test("writes a file in new directories, with the mtime, through a temporary name", async () => {
      const { base, target } = fresh();
      const stats = await write(target, ["a", "b", "c.txt"], "hello");
      assert.equal(readFileSync(join(target, "a/b/c.txt"), "utf8"), "hello");
      assert.equal(statSync(join(target, "a/b/c.txt")).mtimeMs, 1_700_000_000_500);
      assert.equal(Number(stats?.mtimeNs), 1_700_000_000_500_000_000);
      assert.deepEqual(readdirSync(join(target, "a/b")), ["c.txt"], "no temporary file left");
      rmSync(base, { recursive: true });
    });

    test("a symbolic link on the way is refused", async () => {
      const { base, target, outside } = fresh();
      symlinkSync(outside, join(target, "a"));
      await assert.rejects(write(target, ["a", "c.txt"], "x"), UnsafeKeyError);
      assert.deepEqual(readdirSync(outside), []);
      rmSync(base, { recursive: true });
    });

    for (const at of ["directory", "written"] as const) {
      const when = at === "directory" ? "it was resolved" : "the bytes are written";
      test(`a directory swapped for a link when ${when}: nothing outside`, async () => {
        const { base, target, outside } = fresh();
        mkdirSync(join(target, "a"));
        let swapped = false;
        const outcome = await write(target, ["a", "c.txt"], "x", (step) => {
          if (step !== at) return;
          renameSync(join(target, "a"), join(target, "a-held"));
          symlinkSync(outside, join(target, "a"));
          swapped = true;
        }).then(
          () => "written",
          (err: unknown) => (err instanceof UnsafeKeyError ? "refused" : err),
        );
        assert.ok(swapped);
        assert.deepEqual(readdirSync(outside), [], "nothing written outside the target");
        if (anchored) {
          assert.equal(outcome, "written");
          assert.equal(readFileSync(join(target, "a-held/c.txt"), "utf8"), "x", "into the directory held");
        } else {
          assert.equal(outcome, "refused");
        }
        rmSync(base, { recursive: true });
      });
    }

    test("lists names as bytes and removes a file by its bytes", async () => {
      const { base, target } = fresh();
      const latin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9]);
      writeFileSync(Buffer.concat([Buffer.from(`${target}/`), latin1]), "x");
      const root = await TreeDirectory.open(target, { anchored });
      const names = (await root.entries()).map((e) => e.name);
      assert.deepEqual(names, [latin1]);
      await root.remove(latin1);
      await root.close();
      assert.deepEqual(readdirSync(target), []);
      rmSync(base, { recursive: true });
    });
  });
}
