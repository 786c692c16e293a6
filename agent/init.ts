// `sitesync init [FILE]`: a starting agent configuration, commented through its "//" note. The fields a
// deployment decides are left empty for `sitesync config --from-stack` (agent/stack-config.ts) to fill;
// until then the file fails validation saying so. The rest holds the defaults.
import { writeFileSync } from "node:fs";
import { ConfigError } from "../core/errors.ts";
import { RESOURCE_FIELDS } from "../core/stack-config.ts";
import { DEFAULTS, NOTES_FIELD } from "./config.ts";

/** The file `init` writes and `config --from-stack` updates when none is named. */
export const DEFAULT_CONFIG_FILE = "sitesync.json";

/** The starting configuration for `file` (named in its note, so the command to run is ready to copy). */
export function startingConfig(file: string): Record<string, unknown> {
  return {
    [NOTES_FIELD]: [
      'The sitesync agent\'s configuration; README "Agent configuration" describes every field.',
      `The deployment's fields (${RESOURCE_FIELDS.join(", ")}) are its stack's outputs: fill them ` +
        `with \`sitesync config --from-stack NAME -c ${file}\` (NAME: sitesync-ENV), again after a deploy.`,
      "root: the tree to publish. stateDir: the lock, plan files and the index's replica (a local disk).",
      "retentionDays: the deployment's retentionDays (config/environments.json), how far back restores go.",
      "settleSeconds: files changed this recently wait for the next run (an FTP upload still running).",
      "The other values are the defaults: remove a field to follow the defaults of later versions.",
      `Check it: sitesync sync --config ${file} --dry-run`,
    ],
    root: "/srv/ftp/site",
    stateDir: "/var/lib/sitesync",
    prefix: DEFAULTS.prefix,
    ...Object.fromEntries(RESOURCE_FIELDS.map((field) => [field, ""])),
    retentionDays: DEFAULTS.retentionDays,
    exclude: DEFAULTS.exclude,
    settleSeconds: DEFAULTS.settleSeconds,
    resendAfterMinutes: DEFAULTS.resendAfterMinutes,
    lockWarnMinutes: DEFAULTS.lockWarnMinutes,
    deleteGuard: DEFAULTS.deleteGuard,
    concurrency: DEFAULTS.concurrency,
  };
}

/** The configuration file as sitesync writes it: two-space JSON, one field a line, ending in a newline. */
export function configText(config: Record<string, unknown>): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** Writes the starting configuration; an existing file is refused unless `force` (exit 2). */
export function runInit(file: string, force: boolean): string {
  try {
    writeFileSync(file, configText(startingConfig(file)), { flag: force ? "w" : "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST")
      throw new ConfigError(file, "(file)", "exists; pass --force to overwrite it");
    throw err;
  }
  return (
    `Wrote ${file}. Next:\n` +
    `  sitesync config --from-stack sitesync-ENV -c ${file}   # the deployment's fields, from its stack\n` +
    `  edit root and stateDir in ${file}\n` +
    `  sitesync sync --config ${file} --dry-run\n`
  );
}
