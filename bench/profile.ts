// `--profile DIR`: CPU profiles of the bench's Node children (agent runs and cloud sides), for finding where
// the time goes. Node refuses --cpu-prof in NODE_OPTIONS, so the flags are added to each child's command line.
let profileDir: string | undefined;

export function enableProfiles(dir: string): void {
  profileDir = dir;
}

export function profileFlags(kind: "agent" | "cloud"): string[] {
  if (profileDir === undefined) return [];
  return ["--cpu-prof", `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${kind}-${Date.now()}-\${pid}.cpuprofile`];
}
