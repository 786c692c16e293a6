// The `sitesync` command line: one subcommand per job (commander parses, generates the help, and each
// command's action is a few named steps), the configuration, and the one mapping of errors to exit codes.
import { resolve } from "node:path";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { createAwsClients, type AwsClients } from "../aws/clients.ts";
import { ConfigError, errorMessage } from "../core/errors.ts";
import { createLogger, type Level, type Logger } from "../core/logger.ts";
import { CheckpointMismatchError } from "./adopt/adopt-checkpoint.ts";
import { formatAdoptSummary, runAdopt } from "./adopt/adopt.ts";
import { loadConfig, type AgentConfig, type CliOverrides } from "./config.ts";
import { outputMode, sharedStdio } from "./output-mode.ts";
import { DEFAULT_PROGRESS_SECONDS, Progress } from "./progress.ts";
import { DEFAULT_CONFIG_FILE, runInit } from "./init.ts";
import { formatRedrive, runRedrive } from "./redrive.ts";
import { LockHeldError } from "./lock.ts";
import { RestoreTimeError, runHostRestore, type HostRestoreResult } from "./restore/restore-host.ts";
import { formatStatus, readStatus } from "./status.ts";
import { runMetrics } from "./run-metrics.ts";
import { formatRestoreSummary, formatSummary } from "./summaries.ts";
import { RootMissingError } from "./sync/diff.ts";
import { runSync, SafetyGuardError } from "./sync/sync.ts";
import { runConfigFromStack } from "./stack-config.ts";
import { StackOutputsError } from "../core/stack-config.ts";

export const EXIT = { ok: 0, failed: 1, usage: 2, locked: 3, guard: 4, attention: 5 } as const;

const OUTPUT_HELP = `
Output: a terminal gets text, anything else JSON, each stream judged on its own. On a terminal: a summary
for a person on stdout and a live progress line on stderr. Off one: stdout gets the result as one JSON
object, stderr JSON log lines and a {"msg":"progress"} line every --progress-interval seconds; one file
for both (cron's 2>&1) carries JSON only. --json and --text choose the result's form wherever it goes.
agent/output-mode.ts has the decision table.
`;

const EXIT_CODES = `
Exit codes:
  0  done              1  failed (retry later; nothing half-published)
  2  bad usage/config  3  another run holds the lock
  4  a safety guard stopped the run (empty tree, or too many deletions)
  5  status only: something needs a person (dead letters, a failed workflow, a stuck run)`;

/** Options every command takes. */
interface CommonOptions {
  config?: string;
  dryRun?: boolean;
  force?: boolean;
  json?: boolean;
  text?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  /** Explicit, it wins over --quiet and --verbose. */
  logLevel?: Level;
  progressInterval: number;
  exclude?: string[];
}

interface SyncOptions extends CommonOptions {
  prefix?: string;
  delete: boolean;
}

interface RestoreOptions extends CommonOptions {
  prefix?: string;
  asOf?: string;
  fromQueue?: boolean;
  delete?: boolean;
}

interface StatusOptions extends CommonOptions {
  runs: number;
  since: number;
}

interface AdoptOptions extends CommonOptions {
  delete?: boolean;
  fudge?: number;
  resume?: boolean;
}

/** Thrown for a usage mistake commander cannot see (a combination of options): exit 2 with its message. */
class UsageError extends Error {
  override readonly name = "UsageError";
}

export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram((result) => {
    code = result;
  });
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    throw err;
  }
  return code;
}

function buildProgram(done: (code: number) => void): Command {
  const program = new Command("sitesync")
    .description("Publish a static site tree to S3 and CloudFront.")
    .addHelpText("after", EXIT_CODES)
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      writeErr: (text) => process.stderr.write(prefixed(text)),
      writeOut: (text) => process.stdout.write(text),
    });

  common(
    program
      .command("sync")
      .description("Compare DIR (default: root from the config) with the index, stage what changed, send manifests.")
      .argument("[dir]", "the tree to publish (overrides root)")
      .option("--prefix <prefix>", "key prefix in the bucket (overrides the config)")
      .option("--no-delete", "publish new and changed files, delete nothing"),
  ).action((dir: string | undefined, options: SyncOptions) =>
    run(
      options,
      done,
      async (config, clients, logger, progress) => {
        const result = await runSync(config, clients, logger, {
          dryRun: options.dryRun === true,
          force: options.force === true,
          progress,
        });
        if (!result.dryRun) logger.metric?.("run metrics", runMetrics(result, new Date()));
        return { result, human: formatSummary(result) };
      },
      overridesFor(dir, options),
      "sync",
    ),
  );

  common(
    program
      .command("restore")
      .description(
        "Rebuild DIR (default: root) from what the index publishes, or as of --as-of. Only a restore into root " +
          "updates the index; DIR elsewhere is a scratch copy. Extra files go only with --delete, past the guard.",
      )
      .argument("[dir]", "where to write (default: root from the config)")
      .option("--prefix <prefix>", "the part of the site to restore (e.g. docs/), within the config's prefix")
      .option("--as-of <time>", "ISO 8601 with its zone (2026-11-25T09:00:00Z), within retentionDays")
      .option("--from-queue", "apply the plans the Restore workflow put on the restore queue")
      .option("--delete", "also remove files the restored state does not hold"),
  ).action((dir: string | undefined, options: RestoreOptions) =>
    run(
      options,
      done,
      async (config, clients, logger, progress) => {
        if (options.fromQueue && (options.prefix !== undefined || options.asOf !== undefined)) {
          throw new UsageError("restore --from-queue takes the prefix and time from its plan: drop them");
        }
        const result = await runHostRestore(config, clients, logger, {
          prefix: options.prefix ?? "",
          ...(options.asOf !== undefined ? { asOf: options.asOf } : {}),
          ...(options.fromQueue ? { fromQueue: true } : {}),
          dir: dir !== undefined ? resolve(dir) : config.root,
          delete: options.delete === true,
          force: options.force === true,
          dryRun: options.dryRun === true,
          progress,
        });
        return { result, human: formatRestoreSummary(result), code: restoreExitCode(result) };
      },
      overridesFor(undefined, { ...options, prefix: undefined }),
      options.fromQueue ? "restore --from-queue" : "restore",
    ),
  );

  common(
    program
      .command("adopt")
      .description(
        "Build the index from one listing of a bucket another tool already fills (a file counts as published " +
          "when its size matches and its mtime is not later than LastModified + --fudge). Never writes to the bucket.",
      )
      .argument("[dir]", "the tree (overrides root)")
      .option("--delete", "queue keys that have no file for deletion")
      .addOption(new Option("--fudge <seconds>", "clock difference allowed between the host and S3").argParser(seconds))
      .option("--resume", "continue an interrupted adoption"),
  ).action((dir: string | undefined, options: AdoptOptions) =>
    run(
      options,
      done,
      async (config, clients, logger, progress) => {
        const interrupt = new AbortController();
        process.once("SIGINT", () => interrupt.abort());
        const result = await runAdopt(config, clients, logger, {
          dryRun: options.dryRun === true,
          delete: options.delete === true,
          resume: options.resume === true,
          force: options.force === true,
          signal: interrupt.signal,
          progress,
          ...(options.fudge !== undefined ? { fudgeSeconds: options.fudge } : {}),
        });
        return { result, human: formatAdoptSummary(result) };
      },
      overridesFor(dir, options),
      "adopt",
    ),
  );
  configured(
    program
      .command("status")
      .description(
        "The last runs (files changed, sent, applied, PostSync and its invalidation paths), open runs, the " +
          "queues' depth, PostSync and Restore executions running or failed, the index's size. Changes nothing.",
      )
      .addOption(new Option("--runs <n>", "how many of the newest runs to show").argParser(count).default(10))
      .addOption(
        new Option("--since <hours>", "report workflow executions that failed this recently")
          .argParser(count)
          .default(24),
      )
      .addHelpText(
        "after",
        "\nExits 5 when something needs a person: messages in the dead-letter queue, a PostSync or Restore that " +
          "failed\nwithin --since, a run open longer than resendAfterMinutes, or an interrupted run not settled.",
      ),
  ).action((options: StatusOptions) =>
    run(
      options,
      done,
      async (config, clients) => {
        const result = await readStatus(config, clients, { runs: options.runs, sinceHours: options.since });
        return { result, human: formatStatus(result), code: result.attention.length > 0 ? EXIT.attention : EXIT.ok };
      },
      {},
    ),
  );

  configured(
    program
      .command("redrive")
      .description(
        "Send the manifests in the dead-letter queue back to the manifest queue, once their cause is fixed " +
          "(each message's attributes kept). Reports how many moved and failed; exits 1 if any failed.",
      )
      .option("-n, --dry-run", "count what would move, move nothing"),
  ).action((options: CommonOptions) =>
    run(
      options,
      done,
      async (config, clients) => {
        const result = await runRedrive(config, clients, {
          dryRun: options.dryRun === true,
          source: options.config ?? "",
        });
        const code = result.failed.length + result.notDeleted.length > 0 ? EXIT.failed : EXIT.ok;
        return { result, human: formatRedrive(result), code };
      },
      {},
    ),
  );

  program
    .command("init")
    .description("Write a starting agent configuration, its deployment fields empty for config --from-stack.")
    .argument("[file]", "where to write it", DEFAULT_CONFIG_FILE)
    .option("--force", "overwrite the file if it exists")
    .action((file: string, options: { force?: boolean }) =>
      operatorCommand(done, async () => runInit(file, options.force === true)),
    );

  program
    .command("config")
    .description("Fill the deployment's fields of the agent configuration from its stack's outputs (CloudFormation).")
    .requiredOption("--from-stack <name>", "the deployed stack, e.g. sitesync-prod")
    .option("--region <region>", "the stack's region (default: the file's region, else AWS_REGION or the profile's)")
    .option("-c, --config <file>", "the configuration to update, or create", DEFAULT_CONFIG_FILE)
    .action((options: { fromStack: string; region?: string; config: string }) =>
      operatorCommand(done, () =>
        runConfigFromStack({
          stackName: options.fromStack,
          file: options.config,
          ...(options.region !== undefined ? { region: options.region } : {}),
        }),
      ),
    );
  return program;
}

/** A command that sets the agent up rather than runs it: prints what it did, or why it could not. */
async function operatorCommand(done: (code: number) => void, job: () => Promise<string>): Promise<void> {
  try {
    process.stdout.write(await job());
    done(EXIT.ok);
  } catch (err) {
    done(reportFailure(err, createLogger({ level: "info" })));
  }
}

/** The options of every command that reads a configuration file. */
function configured(command: Command): Command {
  return command
    .option("-c, --config <file>", 'configuration file (JSON; see README "Agent configuration")')
    .addOption(
      new Option("--json", "print the result as one JSON object (the default when stdout is not a terminal)").conflicts(
        "text",
      ),
    )
    .option("--text", "print the result as text for a person, even when stdout is not a terminal")
    .addOption(new Option("-q, --quiet", "no summary or progress; log warnings and errors only").conflicts("verbose"))
    .option("-v, --verbose", "log debug lines too")
    .addOption(
      new Option("--log-level <level>", "how much to log (default info; wins over --quiet and --verbose)").choices([
        "debug",
        "info",
        "warn",
        "error",
      ]),
    )
    .addOption(
      new Option("--progress-interval <seconds>", "between progress lines when stderr is not a terminal")
        .argParser(seconds)
        .default(DEFAULT_PROGRESS_SECONDS),
    )
    .addHelpText("after", OUTPUT_HELP + EXIT_CODES);
}

/** The options every command that works on the tree shares. */
function common(command: Command): Command {
  return configured(
    command
      .option("--exclude <glob>", "leave out matching site paths (repeatable; adds to the config's list)", collect)
      .option("-n, --dry-run", "print the plan and change nothing")
      .option("--force", "go past the mass-deletion guard"),
  );
}

function overridesFor(dir: string | undefined, options: Partial<SyncOptions>): CliOverrides {
  return {
    // A directory on the command line is relative to where the command runs, not to the config file.
    ...(dir !== undefined ? { root: resolve(dir) } : {}),
    ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
    ...(options.delete === false ? { delete: false } : {}),
    ...(options.exclude ? { exclude: options.exclude } : {}),
  };
}

/** What a command did: its result (printed as JSON), the same for a person, and its exit code. */
interface Outcome {
  result: unknown;
  human: string;
  code?: number;
}

/**
 * The steps of every command: load the configuration, build the clients, do the job, print its result,
 * and turn whatever went wrong into the exit code the README documents.
 */
async function run(
  options: CommonOptions,
  done: (code: number) => void,
  job: (config: AgentConfig, clients: AwsClients, logger: Logger, progress: Progress) => Promise<Outcome>,
  overrides: CliOverrides,
  /** The command as its progress line names it; absent: a short command that shows no progress. */
  command?: string,
): Promise<void> {
  const mode = outputMode({
    stdoutIsTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    sharedStream: sharedStdio(),
    json: options.json === true,
    text: options.text === true,
    quiet: options.quiet === true,
    verbose: options.verbose === true,
  });
  const logger = createLogger({ level: options.logLevel ?? mode.level, json: mode.logs === "json" });
  const progress = new Progress({
    command: command ?? "",
    mode: command === undefined ? "off" : mode.progress,
    logger,
    intervalMs: options.progressInterval * 1000,
    ...(process.stderr.columns ? { columns: process.stderr.columns } : {}),
  });
  try {
    if (!options.config) throw new UsageError("--config FILE is required");
    const config = loadConfig(options.config, overrides);
    const clients = createAwsClients({
      region: config.region,
      ...(config.endpoints ? { endpoints: config.endpoints } : {}),
      ...(config.credentials ? { credentials: config.credentials } : {}),
      maxSockets: config.concurrency.files * 2,
    });
    try {
      progress.start();
      const outcome = await job(config, clients, logger, progress).finally(() => progress.stop());
      if (mode.result === "json") process.stdout.write(`${JSON.stringify(outcome.result)}\n`);
      else if (mode.result === "human") process.stdout.write(outcome.human);
      done(outcome.code ?? EXIT.ok);
    } finally {
      clients.destroy();
    }
  } catch (err) {
    done(reportFailure(err, logger));
  }
}

/** Logs why a command stopped and returns its exit code. */
function reportFailure(err: unknown, logger: Logger): number {
  if (err instanceof UsageError) {
    process.stderr.write(`sitesync: ${err.message}\n`);
    return EXIT.usage;
  }
  const known: Array<[number, Array<new (...args: never[]) => Error>]> = [
    [EXIT.usage, [ConfigError, CheckpointMismatchError, RestoreTimeError, StackOutputsError]],
    [EXIT.locked, [LockHeldError]],
    [EXIT.guard, [SafetyGuardError, RootMissingError]],
  ];
  for (const [code, types] of known) {
    if (types.some((type) => err instanceof type)) {
      logger.error((err as Error).message);
      return code;
    }
  }
  logger.error(`failed: ${errorMessage(err)}`, { error: (err as Error)?.name });
  return EXIT.failed;
}

/** A restore that reports files it could not restore, or deletions it skipped, did not fully succeed. */
function restoreExitCode(result: HostRestoreResult): number {
  const reported = [result.refused, result.unrestorable, result.failed, result.messagesLeft];
  return reported.some((l) => l.length > 0) || result.deletionSkipped !== undefined ? EXIT.failed : EXIT.ok;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError("it must be a number of seconds");
  return n;
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("it must be a whole number from 1");
  return n;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function prefixed(text: string): string {
  return text.startsWith("error:") ? `sitesync: ${text}` : text;
}
