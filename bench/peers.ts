// The peer tools, rclone and the AWS CLI (`aws s3 sync`), found or installed from Debian, and the exact
// command each one runs. Both publish the tree straight to a bucket: without an index of their own, every run
// lists the bucket and compares it with the tree.
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface Peer {
  name: string;
  version: string;
  /** The flags, as printed in the report. */
  flags: string;
  command(tree: string, bucket: string, s3Endpoint: string): { file: string; args: string[]; env: NodeJS.ProcessEnv };
}

export interface PeerSetup {
  peers: Peer[];
  /** Why a peer is missing, when it is. */
  notes: string[];
}

/** Debian's awscli is v2 at /usr/bin/aws; an older v1 elsewhere on PATH is not the one to measure. */
const AWS_CLI = "/usr/bin/aws";

export function setUpPeers(benchDir: string, log: (line: string) => void): PeerSetup {
  const notes: string[] = [];
  let rclone = which("rclone");
  let aws = existsSync(AWS_CLI) ? AWS_CLI : undefined;
  const missing = [...(rclone ? [] : ["rclone"]), ...(aws ? [] : ["awscli"])];
  if (missing.length > 0) {
    log(`installing ${missing.join(" and ")} from Debian (apt-get)…`);
    const problem = aptInstall(missing);
    if (problem) notes.push(`apt-get install ${missing.join(" ")} failed: ${problem}`);
    rclone = which("rclone");
    aws = existsSync(AWS_CLI) ? AWS_CLI : undefined;
  }
  const peers: Peer[] = [];
  if (rclone) peers.push(rclonePeer(rclone, benchDir));
  else notes.push("rclone: not installed and could not be installed; skipped");
  if (aws) peers.push(awsPeer(aws, benchDir));
  else notes.push(`aws s3 sync: ${AWS_CLI} not installed and could not be installed; skipped`);
  return { peers, notes };
}

function which(name: string): string | undefined {
  const res = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
  const path = res.stdout.trim();
  return res.status === 0 && path !== "" ? path : undefined;
}

/** `apt-get update` once, then the install; returns what went wrong, or undefined. */
function aptInstall(packages: string[]): string | undefined {
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const asRoot = process.getuid?.() === 0 ? [] : ["sudo", "-n"];
  const run = (args: string[]) => {
    const [file, ...rest] = [...asRoot, ...args];
    const res = spawnSync(file!, rest, { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 600_000 });
    if (res.error) return res.error.message;
    return res.status === 0 ? undefined : `exit ${res.status}: ${res.stderr.trim().split("\n").slice(-3).join(" / ")}`;
  };
  return run(["apt-get", "update"]) ?? run(["apt-get", "install", "-y", ...packages]);
}

function versionOf(file: string, args: string[]): string {
  const res = spawnSync(file, args, { encoding: "utf8", env: peerEnv() });
  return `${res.stdout}${res.stderr}`.trim().split("\n")[0] ?? "unknown";
}

/**
 * The environment for a peer: no AWS settings of this machine (rclone refuses to start when AWS_CA_BUNDLE
 * is set, and a profile or region from the host would change what is measured), the local stack's static
 * credentials instead.
 */
function peerEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith("AWS_") || k.startsWith("RCLONE_") || k.endsWith("_CA_BUNDLE")) continue;
    env[k] = v;
  }
  return { ...env, AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local", ...extra };
}

function rclonePeer(file: string, benchDir: string): Peer {
  // An empty config file: the remote is defined entirely by environment variables below.
  const config = join(benchDir, "rclone.conf");
  writeFileSync(config, "");
  return {
    name: "rclone",
    version: versionOf(file, ["version"]).replace(/^rclone\s+/, ""),
    flags:
      "rclone sync TREE remote:BUCKET, defaults " +
      "(--transfers 4 --checkers 8, size+modtime compare: a HEAD per listed object), " +
      "s3 provider Other, force_path_style",
    command: (tree, bucket, s3Endpoint) => ({
      file,
      args: ["sync", tree, `bench:${bucket}`],
      env: peerEnv({
        RCLONE_CONFIG: config,
        RCLONE_CONFIG_BENCH_TYPE: "s3",
        RCLONE_CONFIG_BENCH_PROVIDER: "Other",
        RCLONE_CONFIG_BENCH_ENV_AUTH: "false",
        RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: "local",
        RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: "local",
        RCLONE_CONFIG_BENCH_REGION: "us-east-1",
        RCLONE_CONFIG_BENCH_ENDPOINT: s3Endpoint,
        RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE: "true",
      }),
    }),
  };
}

function awsPeer(file: string, benchDir: string): Peer {
  // Path-style addressing comes from a config file of its own; nothing of the host's ~/.aws is read.
  const config = join(benchDir, "aws.conf");
  writeFileSync(config, "[default]\nregion = us-east-1\ns3 =\n  addressing_style = path\n");
  return {
    name: "aws s3 sync",
    version: versionOf(file, ["--version"]).split(" ")[0] ?? "unknown",
    flags:
      "aws s3 sync TREE s3://BUCKET --delete --only-show-errors, defaults " +
      "(max_concurrent_requests 10, size + mtime-newer compare from the listing), " +
      "addressing_style path",
    command: (tree, bucket, s3Endpoint) => ({
      file,
      args: ["--endpoint-url", s3Endpoint, "s3", "sync", tree, `s3://${bucket}`, "--delete", "--only-show-errors"],
      env: peerEnv({
        AWS_CONFIG_FILE: config,
        AWS_SHARED_CREDENTIALS_FILE: join(benchDir, "aws-credentials-none"),
        AWS_DEFAULT_REGION: "us-east-1",
        AWS_EC2_METADATA_DISABLED: "true",
        AWS_PAGER: "",
      }),
    }),
  };
}
