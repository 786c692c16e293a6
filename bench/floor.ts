// The floor a no-change run is measured against: `find` reading what sitesync's scan reads of every file
// (size, mtime, ctime, inode: one lstat each), with its output thrown away. The best of three warm runs.
import { runTimed } from "./timed.ts";

export async function findFloor(root: string): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    const run = await runTimed("/bin/sh", ["-c", 'find "$0" -type f -printf "%s %T@ %C@ %i\\n" > /dev/null', root]);
    if (run.code !== 0) throw new Error(`find exited ${run.code}: ${run.stderr.trim().slice(-500)}`);
    best = Math.min(best, run.seconds);
  }
  return best;
}
