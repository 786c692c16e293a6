// Writing into the host tree without ever following a symbolic link, even one swapped in for a directory
// while a restore runs: a check by path followed by a write by path is a race (time of check, time of use)
// that can put bytes outside the tree. So every directory is held open, from the target down, one name at
// a time, each opened with O_NOFOLLOW; files are created with O_CREAT|O_EXCL|O_NOFOLLOW, written through
// their descriptor and renamed into place within the directory held.
//
// On Linux a name is resolved through the open directory itself (/proc/self/fd/N/name: the kernel follows
// the descriptor to the directory held, wherever its path leads now): openat(2) and renameat(2), which
// Node lacks. Where /proc is missing, names go by path and the directory is checked to be still the one
// held, at its own path, after the temporary file is created (before any byte is written) and again
// before the rename and before a removal; a swap there is refused.
import { constants, existsSync, type BigIntStats, type Dirent } from "node:fs";
import { lstat, mkdir, open, readdir, realpath, rename, stat, unlink, type FileHandle } from "node:fs/promises";

export class UnsafeKeyError extends Error {
  override readonly name = "UnsafeKeyError";
}

/** "directory": the file's directory is resolved and held; "written": its bytes are in the temporary file. */
export type WriteStep = "directory" | "written";
export type WriteStepHook = (step: WriteStep, path: string) => void | Promise<void>;

export interface TreeOptions {
  /** Resolve names through /proc/self/fd; default: when this system has it. */
  anchored?: boolean;
  /** Called between the checks and the writes of each file (tests change the tree there). */
  onWriteStep?: WriteStepHook;
}

type Name = string | Buffer;
const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_CREAT, O_EXCL, O_WRONLY } = constants;
const SLASH = Buffer.from("/");
const code = (err: unknown) => (err as NodeJS.ErrnoException).code;

export class TreeDirectory {
  private readonly handle: FileHandle;
  /** Where the directory was when opened: for messages, and for names where it cannot be anchored. */
  readonly path: Buffer;
  private readonly options: TreeOptions & { anchored: boolean };

  private constructor(handle: FileHandle, path: Buffer, options: TreeOptions & { anchored: boolean }) {
    this.handle = handle;
    this.path = path;
    this.options = options;
  }

  /** The target directory itself (a link to it is fine: it is the user's choice, not a name in the tree). */
  static async open(target: string, options: TreeOptions = {}): Promise<TreeDirectory> {
    const real = await realpath(target, { encoding: "buffer" });
    const handle = await open(real, O_RDONLY | O_DIRECTORY);
    const anchored = options.anchored ?? existsSync(`/proc/self/fd/${handle.fd}`);
    return new TreeDirectory(handle, real, { ...options, anchored });
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  /** Runs `use` on the subdirectory at `names`, held open meanwhile; undefined when one is absent. */
  async within<T>(names: Name[], create: boolean, use: (dir: TreeDirectory) => Promise<T>): Promise<T | undefined> {
    const opened: TreeDirectory[] = [];
    try {
      let dir: TreeDirectory = this;
      for (const name of names) {
        const next = await dir.child(name, create);
        if (!next) return undefined;
        opened.push(next);
        dir = next;
      }
      return await use(dir);
    } finally {
      for (const dir of opened) await dir.close();
    }
  }

  /** The subdirectory `name`, made if `create`; undefined when absent; UnsafeKeyError for a link or a file. */
  async child(name: Name, create: boolean): Promise<TreeDirectory | undefined> {
    const display = this.display(name);
    // Stryker disable next-line BooleanLiteral: equivalent unless the directory made is removed before it is opened
    for (let made = false; ; made = true) {
      let handle: FileHandle;
      try {
        handle = await open(this.at(name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      } catch (err) {
        if (code(err) === "ENOENT" && create && !made) {
          await mkdir(this.at(name)).catch((e: unknown) => {
            if (code(e) !== "EEXIST") throw e;
          });
          continue;
        }
        if (code(err) === "ENOENT") return undefined;
        if (code(err) !== "ELOOP" && code(err) !== "ENOTDIR") throw err;
        const link = (await lstat(this.at(name)).catch(() => undefined))?.isSymbolicLink();
        throw new UnsafeKeyError(
          link
            ? `${display} is a symbolic link; restore never follows one`
            : `${display} is a file where the key needs a directory`,
        );
      }
      const dir = new TreeDirectory(handle, display, this.options);
      try {
        await dir.verify();
      } catch (err) {
        await handle.close();
        throw err;
      }
      return dir;
    }
  }

  /** What is at `name` now, without following a link; undefined when nothing is. */
  async lstat(name: Name): Promise<BigIntStats | undefined> {
    return lstat(this.at(name), { bigint: true }).catch((err: unknown) => {
      if (code(err) === "ENOENT") return undefined;
      throw err;
    });
  }

  async entries(): Promise<Array<Dirent<Buffer>>> {
    const entries = await readdir(this.at(""), { encoding: "buffer", withFileTypes: true });
    await this.verify();
    return entries;
  }

  async remove(name: Name): Promise<void> {
    await this.verify();
    await unlink(this.at(name));
  }

  /**
   * Writes `name` through a temporary file beside it, renamed into place: filled by `fill`, with the given
   * mtime. Returns the placed file's status (its mtime as the file system stored it, its ctime and inode).
   */
  async writeFile(name: string, mtimeSeconds: number, fill: (file: FileHandle) => Promise<void>): Promise<BigIntStats> {
    await this.options.onWriteStep?.("directory", this.display(name).toString());
    const temp = `.${name.slice(0, 100)}.sitesync-restore-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const file = await open(this.at(temp), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o666);
    let placed = false;
    try {
      await this.verify();
      const [created, found] = await Promise.all([file.stat({ bigint: true }), this.lstat(temp)]);
      if (found?.ino !== created.ino || found.dev !== created.dev) {
        throw new UnsafeKeyError(`${this.display(name)}: the directory changed while the file was created`);
      }
      await fill(file);
      await file.utimes(mtimeSeconds, mtimeSeconds);
      const written = await file.stat({ bigint: true });
      await this.options.onWriteStep?.("written", this.display(name).toString());
      await this.verify();
      await rename(this.at(temp), this.at(name));
      // Stryker disable next-line BooleanLiteral: equivalent, removing the temporary name once renamed finds nothing
      placed = true;
      // A rename sets the inode's ctime: the caller records the placed file's status, as a sync will see it.
      const moved = await this.lstat(name);
      return moved?.ino === written.ino ? moved : written;
    } finally {
      await file.close();
      if (!placed) await unlink(this.at(temp)).catch(() => {});
    }
  }

  /** `name` in this directory, as a path the kernel resolves through the descriptor where it can. */
  private at(name: Name): Buffer {
    const base = this.options.anchored ? Buffer.from(`/proc/self/fd/${this.handle.fd}`) : this.path;
    // Stryker disable next-line ConditionalExpression: equivalent, "dir/" names the directory as "dir" does
    return name.length === 0 ? base : Buffer.concat([base, SLASH, Buffer.from(name)]);
  }

  private display(name: Name): Buffer {
    return Buffer.concat([this.path, SLASH, Buffer.from(name)]);
  }

  /** Where names go by path: the path still leads, through no link, to the directory held. */
  private async verify(): Promise<void> {
    if (this.options.anchored) return;
    const [real, now, held] = await Promise.all([
      realpath(this.path, { encoding: "buffer" }).catch(() => undefined),
      stat(this.path, { bigint: true }).catch(() => undefined),
      this.handle.stat({ bigint: true }),
    ]);
    if (!real?.equals(this.path) || now?.ino !== held.ino || now.dev !== held.dev) {
      throw new UnsafeKeyError(`${this.path} was moved or replaced during the restore`);
    }
  }
}
