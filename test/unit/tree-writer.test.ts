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
import { setTimeout as sleep } from "node:timers/promises";
import { TreeDirectory, UnsafeKeyError, type WriteStep } from "../../agent/restore/tree-writer.ts";

const hasProc = existsSync("/proc/self/fd");
const modes = hasProc ? [true, false] : [false];
const openFiles = () => readdirSync("/proc/self/fd").length;

function fresh() {
  const base = mkdtempSync(join(tmpdir(), "sitesync-tree-"));
  mkdirSync(join(base, "target"));
  mkdirSync(join(base, "outside"));
  return { base, target: join(base, "target"), outside: join(base, "outside") };
}

for (const anchored of modes) {
  describe(`tree writer, names resolved ${anchored ? "through the open directory" : "by path, checked"}`, () => {
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

// The restore's checks on the host tree one at a time (agent/restore/tree-writer.ts): what is absent is not
// made unless asked, a file or a link where a directory belongs is refused with its own reason, other errors
// pass through as they are, a directory replaced under its name is noticed, and nothing stays open.
async function writeInto(root: TreeDirectory, names: string[], content: string) {
  return root.within(names.slice(0, -1), true, (dir) =>
    dir.writeFile(names.at(-1)!, 1_700_000_000, async (file) => void (await file.write(content))),
  );
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof UnsafeKeyError, `an UnsafeKeyError, not ${err}`);
    assert.equal(err.name, "UnsafeKeyError");
    return err.message;
  }
  assert.fail("not refused");
}

for (const anchored of modes) {
  describe(`tree writer checks, ${anchored ? "anchored" : "by path"}`, () => {
    test("an absent directory is not made unless asked: undefined, and nothing created", async () => {
      const { base, target } = fresh();
      const root = await TreeDirectory.open(target, { anchored });
      let used = false;
      const found = await root.within(["absent", "deeper"], false, async () => {
        used = true;
      });
      assert.equal(found, undefined);
      assert.equal(used, false);
      assert.deepEqual(readdirSync(target), []);
      assert.equal(await root.child("absent", false), undefined);
      assert.equal(await root.lstat("absent"), undefined);
      writeFileSync(join(target, "file"), "x");
      await assert.rejects(root.lstat("file/x"), { code: "ENOTDIR" });
      await root.close();
      rmSync(base, { recursive: true });
    });

    test("a file where a directory belongs, and a link, are refused each with its reason", async () => {
      const { base, target, outside } = fresh();
      writeFileSync(join(target, "plain"), "x");
      symlinkSync(outside, join(target, "link"));
      const root = await TreeDirectory.open(target, { anchored });
      for (const create of [false, true]) {
        assert.equal(
          await refusal(root.child("plain", create)),
          `${join(target, "plain")} is a file where the key needs a directory`,
        );
        assert.equal(
          await refusal(root.child("link", create)),
          `${join(target, "link")} is a symbolic link; restore never follows one`,
        );
      }
      assert.equal(statSync(join(target, "plain")).isFile(), true, "the file is left as it was");
      assert.deepEqual(readdirSync(outside), []);
      await root.close();
      rmSync(base, { recursive: true });
    });

    test("any other error passes through as it is, not as a refusal", async () => {
      const { base, target } = fresh();
      const root = await TreeDirectory.open(target, { anchored });
      await assert.rejects(root.child("n".repeat(300), true), (err: unknown) => {
        assert.ok(!(err instanceof UnsafeKeyError));
        assert.equal((err as NodeJS.ErrnoException).code, "ENAMETOOLONG");
        return true;
      });
      await root.close();
      rmSync(base, { recursive: true });
    });

    test("writers racing to make the same new directory all succeed", async () => {
      const { base, target } = fresh();
      const root = await TreeDirectory.open(target, { anchored });
      await Promise.all(Array.from({ length: 8 }, (_, i) => writeInto(root, ["new", "deeper", `f${i}`], `${i}`)));
      assert.deepEqual(readdirSync(join(target, "new/deeper")).sort(), [
        "f0",
        "f1",
        "f2",
        "f3",
        "f4",
        "f5",
        "f6",
        "f7",
      ]);
      await root.close();
      rmSync(base, { recursive: true });
    });

    test("a name as long as the file system allows is written (its temporary name is cut short)", async () => {
      const { base, target } = fresh();
      const root = await TreeDirectory.open(target, { anchored });
      const name = "x".repeat(250);
      await writeInto(root, ["dir", name], "long");
      assert.equal(readFileSync(join(target, "dir", name), "utf8"), "long");
      assert.deepEqual(readdirSync(join(target, "dir")), [name]);
      await root.close();
      rmSync(base, { recursive: true });
    });

    test("the status returned is the placed file's, taken after the rename", async () => {
      const { base, target } = fresh();
      const root = await TreeDirectory.open(target, {
        anchored,
        // Let the clock move between the write and the rename, so the rename's ctime differs.
        onWriteStep: async (step: WriteStep) => {
          if (step === "written") await sleep(30);
        },
      });
      const stats = await writeInto(root, ["a", "f.txt"], "x");
      const placed = statSync(join(target, "a/f.txt"), { bigint: true });
      assert.equal(stats?.ino, placed.ino);
      assert.equal(stats?.ctimeNs, placed.ctimeNs);
      await root.close();
      rmSync(base, { recursive: true });
    });

    test("nothing is left open: not the directories walked, nor the target", { skip: !hasProc }, async () => {
      const { base, target } = fresh();
      mkdirSync(join(target, "a/b"), { recursive: true });
      const before = openFiles();
      const root = await TreeDirectory.open(target, { anchored });
      await writeInto(root, ["a", "b", "c", "f.txt"], "x");
      await root.within(["a", "b", "absent"], false, async () => {});
      await assert.rejects(
        root.within(["a", "b", "c", "f.txt"], false, async () => {}),
        UnsafeKeyError,
      );
      await root.close();
      assert.equal(openFiles(), before);
      rmSync(base, { recursive: true });
    });
  });
}

describe("tree writer: a directory replaced under its name", () => {
  const replace = (target: string) => {
    renameSync(join(target, "a"), join(target, "a-held"));
    mkdirSync(join(target, "a"));
  };

  test("by path: refused before the rename, naming the directory; nothing placed", async () => {
    const { base, target } = fresh();
    mkdirSync(join(target, "a"));
    const root = await TreeDirectory.open(target, {
      anchored: false,
      onWriteStep: (step) => (step === "written" ? replace(target) : undefined),
    });
    assert.equal(
      await refusal(writeInto(root, ["a", "f.txt"], "x")),
      `${join(target, "a")} was moved or replaced during the restore`,
    );
    assert.deepEqual(readdirSync(join(target, "a")), []);
    await root.close();
    rmSync(base, { recursive: true });
  });

  test("by path: a directory removed meanwhile is refused too", async () => {
    const { base, target } = fresh();
    mkdirSync(join(target, "a"));
    const root = await TreeDirectory.open(target, {
      anchored: false,
      onWriteStep: (step) => (step === "written" ? renameSync(join(target, "a"), join(target, "a-held")) : undefined),
    });
    assert.equal(
      await refusal(writeInto(root, ["a", "f.txt"], "x")),
      `${join(target, "a")} was moved or replaced during the restore`,
    );
    assert.equal(existsSync(join(target, "a")), false);
    await root.close();
    rmSync(base, { recursive: true });
  });

  test("by default where /proc exists, names resolve through the directory held", { skip: !hasProc }, async () => {
    const { base, target } = fresh();
    mkdirSync(join(target, "a"));
    const root = await TreeDirectory.open(target, {
      onWriteStep: (step) => (step === "written" ? replace(target) : undefined),
    });
    await writeInto(root, ["a", "f.txt"], "x");
    assert.equal(readFileSync(join(target, "a-held/f.txt"), "utf8"), "x");
    assert.deepEqual(readdirSync(join(target, "a")), []);
    await root.close();
    rmSync(base, { recursive: true });
  });
});
