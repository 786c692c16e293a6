// `--profile DIR`: CPU profiles of the bench's Node children (agent runs and cloud sides), for finding where
// the time goes. Node refuses --cpu-prof in NODE_OPTIONS, so the flags are added to each child's command line.
// Each kind gets a folder of its own and Node's own file names, which carry the thread: the agent and the apply
// handlers run in worker threads, and one name per process would let the main thread's profile overwrite theirs.
import { mkdirSync } from "node:fs";
import { join } from "node:path";

let profileDir: string | undefined;

export function enableProfiles(dir: string): void {
  profileDir = dir;
}

export function profileFlags(kind: "agent" | "cloud"): string[] {
  if (profileDir === undefined) return [];
  const dir = join(profileDir, kind);
  mkdirSync(dir, { recursive: true });
  return ["--cpu-prof", `--cpu-prof-dir=${dir}`];
}
