// `sitesync config --from-stack NAME`: fills the deployment's fields of the agent's configuration from
// the stack's outputs (core/stack-config.ts decides which from which), with the operator's credentials.
// An existing file keeps every other field, its "//" note and its order; a missing one is made from the
// starting configuration (agent/init.ts).
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { createCloudFormationClient } from "../aws/clients.ts";
import { describeStack } from "../aws/stack-outputs.ts";
import { ConfigError, errorMessage } from "../core/errors.ts";
import { configFromStack, RESOURCE_FIELDS, withStackValues } from "../core/stack-config.ts";
import { parseConfig } from "./config.ts";
import { configText, startingConfig } from "./init.ts";

export interface ConfigFromStackOptions {
  stackName: string;
  /** The stack's region; absent: the file's `region`, else the operator's (AWS_REGION, the profile). */
  region?: string;
  file: string;
}

/** Fills and writes the file; returns what it did, for the operator. Throws StackOutputsError, ConfigError. */
export async function runConfigFromStack(options: ConfigFromStackOptions): Promise<string> {
  const { file, stackName } = options;
  const existing = existsSync(file) ? readConfigObject(file) : undefined;
  const fileRegion = typeof existing?.region === "string" && existing.region !== "" ? existing.region : undefined;
  // A person waits at the terminal: fail in seconds, not after eight backed-off attempts.
  const cfn = createCloudFormationClient({ region: options.region ?? fileRegion, maxAttempts: 3 });
  try {
    const stack = await describeStack(cfn, stackName);
    const { values, notes } = configFromStack(stack, stackName, await cfn.config.region());
    const before = existing ?? startingConfig(file);
    const filled = withStackValues(before, values);
    writeAtomically(file, configText(filled));

    const width = Math.max(...RESOURCE_FIELDS.map((f) => f.length));
    const lines = [
      `${existing ? "Updated" : "Created"} ${file} from stack ${stackName}:`,
      ...RESOURCE_FIELDS.map((field) => {
        const was = before[field];
        const change = typeof was === "string" && was !== "" && was !== values[field] ? `  (was ${was})` : "";
        return `  ${field.padEnd(width)}  ${values[field]}${change}`;
      }),
      ...notes.map((n) => `  ${n.output} ${n.value}: ${n.use}`),
    ];
    try {
      parseConfig(filled, file, dirname(resolve(file)));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      lines.push(`Still to fix before a sync: ${err.message}`);
    }
    if (!existing) lines.push(`Set root and stateDir in ${file}, then: sitesync sync --config ${file} --dry-run`);
    return `${lines.join("\n")}\n`;
  } finally {
    cfn.destroy();
  }
}

function readConfigObject(file: string): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new ConfigError(file, "(file)", `is not valid JSON: ${errorMessage(err)}`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new ConfigError(file, "(file)", "must hold a JSON object", '{"root": "/srv/ftp/site", ...}');
  return raw as Record<string, unknown>;
}

/** Never a half-written configuration for the next cron run: a whole file renamed over the old, its mode kept. */
function writeAtomically(file: string, text: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  const mode = existsSync(file) ? statSync(file).mode & 0o777 : 0o644;
  writeFileSync(temp, text, { mode });
  renameSync(temp, file);
}
