// The schema of the agent's configuration file: every setting's type, range and default, and what its
// error says — the rule a right value keeps and an example of one, beside the setting. agent/config.ts
// parses with it and turns the first issue into a ConfigError naming the file and the field.
//
// zod/mini, as the contracts (core/contracts/): the agent's one-file bundle keeps it small.
import * as z from "zod/mini";
import type { ContentTypeRules } from "../core/content-type.ts";
import { ALL_DOT_FILES, DEFAULT_DOT_FILES } from "../core/dot-files.ts";
import { DEFAULT_DIRECTORY_INDEX, DEFAULT_ERROR_PAGE } from "../core/edge-rules.ts";
import { isKnownEncoding, normalisePrefix } from "../core/keys.ts";

/** JSON has no comments: a top-level "//" (a string or a list of them) documents the file and is ignored. */
export const NOTES_FIELD = "//";

export const DEFAULTS = {
  prefix: "",
  region: "us-east-1",
  // The stack's retentionDays in the prod example (config/environments.json) and the README's costs.
  retentionDays: 90,
  nameEncoding: "latin1",
  exclude: [] as string[],
  delete: true,
  deleteGuard: { maxShare: 0.5, minFiles: 20, minDirectoryFiles: 100 },
  // Longer than PostSync waits for a run (30 minutes) and than a healthy apply backlog lasts.
  resendAfterMinutes: 60,
  lockWarnMinutes: 360,
  // Longer than an FTP client takes between two writes of a live upload; short beside the cron interval.
  settleSeconds: 60,
  concurrency: { directories: 8, files: 32, uploads: 4 },
  // 8 MiB packs: one PUT carries hundreds of small files; files from 4 MiB up get an object of their own.
  pack: { maxBytes: 8 * 1024 * 1024, maxFiles: 1000, largeFileBytes: 4 * 1024 * 1024 },
};

/** Leaves room under S3's 1,024-byte key limit for the site's own paths. */
const MAX_PREFIX_BYTES = 256;

// An issue's message carries the rule and the example, split apart again by `ruleAndExample`: a
// separator no configuration text holds, since every message is made here.
const EXAMPLE_SEPARATOR = "\u001f";

function message(rule: string, example?: string): string {
  return example === undefined ? rule : `${rule}${EXAMPLE_SEPARATOR}${example}`;
}

/** What every issue of a setting says: `rule` (given the wrong value, when it names it) and an example. */
function says(rule: string | ((input: unknown) => string), example?: string) {
  return {
    error: (issue: { input?: unknown }) => message(typeof rule === "string" ? rule : rule(issue.input), example),
  };
}

/** What an object's issues say: `unknown` for a setting it does not know, `rule` for a value not an object. */
function objectSays(unknown: string, rule: string, example: string) {
  return {
    error: (issue: z.core.$ZodRawIssue) => message(issue.code === "unrecognized_keys" ? unknown : rule, example),
  };
}

/** The rule and the example an issue's message carries (see `says`). */
export function ruleAndExample(message: string): { rule: string; example?: string } {
  const [rule = message, example] = message.split(EXAMPLE_SEPARATOR);
  return example === undefined ? { rule } : { rule, example };
}

/** A setting judged as a whole: whatever is wrong inside it, its error is the setting's own rule. */
function whole<T>(schema: z.ZodMiniType<T>, error: ReturnType<typeof says>) {
  return z.pipe(
    z.custom((value) => schema.safeParse(value).success, error),
    schema,
  );
}

/** A string `test` accepts; any other value is told `rule`. */
function text(test: (value: string) => boolean, rule: string, example: string) {
  const error = says(rule, example);
  return z.string(error).check(z.refine(test, error));
}

const nonEmptyString = (example: string) => text((value) => value !== "", "must be a non-empty string", example);

function wholeNumber(min: number, max: number, fallback: number, example: string) {
  const error = says(`must be a whole number from ${min} to ${max}`, example);
  return z._default(z.int(error).check(z.minimum(min, error), z.maximum(max, error)), fallback);
}

function numberFrom(min: number, max: number, fallback: number, example: string) {
  const error = says(`must be a number from ${min} to ${max}`, example);
  return z._default(z.number(error).check(z.minimum(min, error), z.maximum(max, error)), fallback);
}

const isHttpUrl = (value: string) => /^https?:\/\//.test(value);

const queueUrl = (rule: string) => text(isHttpUrl, rule, '"https://sqs.…/NAME"');

/** A stack output's state machine ARN; the example names the workflow. */
function stateMachineArn(output: string) {
  return text(
    (value) => /^arn:aws[\w-]*:states:[\w-]+:\d{12}:stateMachine:[\w-]+$/.test(value),
    `must be a state machine ARN (the stack output ${output})`,
    `"arn:aws:states:eu-west-1:123456789012:stateMachine:${output.replace(/StateMachineArn$/, "")}…"`,
  );
}

/** A nested settings object: an object, holding only the settings it names. */
function section<Shape extends z.core.$ZodLooseShape>(name: string, shape: Shape, example: string) {
  const settings = Object.keys(shape).join(", ");
  return z.strictObject(
    shape,
    objectSays(`is not a known setting; ${name} takes ${settings}`, "must be an object", example),
  );
}

const prefix = z.pipe(
  z.string(says("must be a string", '"www/"')),
  z.transform((raw: string, ctx) => {
    const normalised = normalisePrefix(raw);
    // Browsers and CloudFront resolve "." and ".." in a path: the site would be published where no URL reaches.
    const dotted = normalised.split("/").some((segment) => segment === "." || segment === "..");
    if (!dotted && Buffer.byteLength(normalised) <= MAX_PREFIX_BYTES) return normalised;
    const rule = `must be a path of at most ${MAX_PREFIX_BYTES} bytes with no "." or ".." segment`;
    ctx.issues.push({
      code: "custom",
      message: message(`${rule}, not ${JSON.stringify(raw.slice(0, 80))}`, '"www/"'),
      input: raw,
    });
    return z.NEVER;
  }),
);

const globs = (rule: string, example: string) => whole(z.array(z.string().check(z.minLength(1))), says(rule, example));

/**
 * `"include"` and `"exclude"` are the settings of before `publish`: every dot name (but .ht* files and
 * .sitesync/), or none — not even .well-known/. Absent: .well-known/ only.
 */
const dotFiles = z._default(
  z.pipe(
    z.transform((value: unknown) =>
      value === "include" ? ALL_DOT_FILES : value === "exclude" ? { publish: [] } : value,
    ),
    z.strictObject(
      {
        publish: globs(
          "must be an array of globs over the site paths of the dot files and folders to publish",
          '["**/.well-known/**"]',
        ),
      },
      objectSays(
        "is not a known setting",
        'must be "include", "exclude" or {"publish": [globs]}',
        '{"publish": ["**/.well-known/**", ".nojekyll"]}',
      ),
    ),
  ),
  DEFAULT_DOT_FILES,
);

const isSiteFilePath = (path: string) =>
  path !== "" && !path.startsWith("/") && !path.endsWith("/") && !path.split("/").includes("..");

const errorPage = z._default(
  text(isSiteFilePath, "must be the site-relative path of a file", '"errors/404.html"'),
  DEFAULT_ERROR_PAGE,
);

/** A name within a folder: no "/", and not "..". */
const FILE_NAME = /^(?!\.\.$)[^/]+$/;

const directoryIndex = z._default(
  whole(
    z.array(z.string().check(z.regex(FILE_NAME))).check(z.minLength(1)),
    says("must be a list of file names, tried in order", '["index.html", "index.htm"]'),
  ),
  DEFAULT_DIRECTORY_INDEX,
);

const isMimeType = (value: string) => /^[\w.+-]+\/[\w.+-]+/.test(value);

const contentTypes: z.ZodMiniType<ContentTypeRules> = z._default(
  z.strictObject(
    {
      overrides: z.optional(
        whole(
          z.record(z.string(), z.string().check(z.refine(isMimeType))),
          says("must map extensions to MIME types", '{"overrides": {"map": "application/json"}, "charset": "utf-8"}'),
        ),
      ),
      charset: z.optional(z.nullable(z.string(says("must be a string or null", '"utf-8"')))),
      fallback: z.optional(text(isMimeType, "must be a MIME type", '"application/octet-stream"')),
    },
    objectSays(
      "is not a contentTypes setting (overrides, charset, fallback)",
      "must be an object",
      '{"overrides": {"map": "application/json"}, "charset": "utf-8"}',
    ),
  ),
  {},
);

const ENDPOINTS_EXAMPLE =
  '{"s3": "http://127.0.0.1:4566", "sqs": "http://127.0.0.1:4566", "dynamodb": "http://127.0.0.1:4567"}';
const endpoint = z.optional(text(isHttpUrl, "must be a URL", ENDPOINTS_EXAMPLE));
const endpoints = z.strictObject(
  { s3: endpoint, sqs: endpoint, dynamodb: endpoint, sfn: endpoint },
  objectSays("is not a service the agent uses", "must be an object", ENDPOINTS_EXAMPLE),
);

const credentials = whole(
  // Not strict: the SDK marks a credentials object it was given (`$source`), and a configuration written
  // from one carries the mark; a misspelt field already leaves a required one missing.
  z.object({ accessKeyId: z.string(), secretAccessKey: z.string() }),
  says(
    "must have accessKeyId and secretAccessKey (local stack only; in AWS use the instance role)",
    '{"accessKeyId": "local", "secretAccessKey": "local"}',
  ),
);

const deleteGuard = section(
  "deleteGuard",
  {
    maxShare: numberFrom(0, 1, DEFAULTS.deleteGuard.maxShare, "0.5"),
    minFiles: wholeNumber(0, Number.MAX_SAFE_INTEGER, DEFAULTS.deleteGuard.minFiles, "20"),
    minDirectoryFiles: wholeNumber(1, Number.MAX_SAFE_INTEGER, DEFAULTS.deleteGuard.minDirectoryFiles, "100"),
  },
  '{"maxShare": 0.5, "minFiles": 20}',
);

const concurrency = section(
  "concurrency",
  {
    directories: wholeNumber(1, 256, DEFAULTS.concurrency.directories, "8"),
    files: wholeNumber(1, 1024, DEFAULTS.concurrency.files, "32"),
    uploads: wholeNumber(1, 64, DEFAULTS.concurrency.uploads, "4"),
  },
  '{"directories": 8, "files": 32, "uploads": 4}',
);

const pack = section(
  "pack",
  {
    maxBytes: wholeNumber(1024, 64 * 1024 * 1024, DEFAULTS.pack.maxBytes, "8388608"),
    maxFiles: wholeNumber(1, 100_000, DEFAULTS.pack.maxFiles, "1000"),
    largeFileBytes: wholeNumber(1, Number.MAX_SAFE_INTEGER, DEFAULTS.pack.largeFileBytes, "4194304"),
  },
  '{"maxBytes": 8388608, "maxFiles": 1000, "largeFileBytes": 4194304}',
).check(
  z.superRefine((value, ctx) => {
    if (value.largeFileBytes <= value.maxBytes) return;
    ctx.issues.push({
      code: "custom",
      path: ["largeFileBytes"],
      message: message("must not exceed pack.maxBytes", String(value.maxBytes)),
      input: value.largeFileBytes,
    });
  }),
);

const settings = {
  [NOTES_FIELD]: z.optional(
    z.union(
      [z.string(), z.array(z.string())],
      says("is a note: a string or a list of strings", '["why prefix is www/"]'),
    ),
  ),
  root: nonEmptyString('"/srv/ftp/site"'),
  prefix: z._default(prefix, DEFAULTS.prefix),
  region: z._default(nonEmptyString('"eu-west-1"'), DEFAULTS.region),
  siteBucket: nonEmptyString('"example-com-site"'),
  versionBucket: nonEmptyString('"example-com-versions"'),
  table: nonEmptyString('"sitesync-prod-index"'),
  queueUrl: nonEmptyString('"https://sqs.eu-west-1.amazonaws.com/123456789012/sitesync-prod-manifests"').check(
    z.refine(isHttpUrl, says("must be a queue URL", '"https://sqs.…/NAME"')),
  ),
  restoreQueueUrl: z.optional(queueUrl("must be a queue URL (the stack output RestoreQueueUrl)")),
  postSyncStateMachineArn: z.optional(stateMachineArn("PostSyncStateMachineArn")),
  deadLetterQueueUrl: z.optional(queueUrl("must be a queue URL (the stack output DeadLetterQueueUrl)")),
  restoreStateMachineArn: z.optional(stateMachineArn("RestoreStateMachineArn")),
  endpoints: z.optional(endpoints),
  credentials: z.optional(credentials),
  stateDir: nonEmptyString('"/var/lib/sitesync"'),
  nameEncoding: z._default(
    nonEmptyString('"latin1"').check(
      z.refine(
        isKnownEncoding,
        says((input) => `"${input}" is not an encoding this Node.js knows`, '"latin1" or "windows-1252"'),
      ),
    ),
    DEFAULTS.nameEncoding,
  ),
  exclude: z._default(globs("must be an array of glob strings", '["**/*.tmp", "private/**"]'), DEFAULTS.exclude),
  dotFiles,
  errorPage,
  directoryIndex,
  delete: z._default(z.boolean(says("must be true or false", "true")), DEFAULTS.delete),
  deleteGuard: z.prefault(deleteGuard, {}),
  contentTypes,
  concurrency: z.prefault(concurrency, {}),
  pack: z.prefault(pack, {}),
  retentionDays: wholeNumber(1, 3650, DEFAULTS.retentionDays, "90"),
  resendAfterMinutes: wholeNumber(1, 100_000, DEFAULTS.resendAfterMinutes, "60"),
  lockWarnMinutes: wholeNumber(1, 100_000, DEFAULTS.lockWarnMinutes, "360"),
  settleSeconds: wholeNumber(0, 86_400, DEFAULTS.settleSeconds, "60"),
};

/** Every setting the file may hold, in the order the error for an unknown one lists them. */
const SETTINGS = Object.keys(settings);

/** The configuration file, its defaults filled; relative paths are still relative to the file. */
export const configFile = z.strictObject(settings, {
  error: (issue) =>
    issue.code === "unrecognized_keys"
      ? `is not a known setting; the settings are ${SETTINGS.join(", ")}`
      : message("must hold a JSON object", '{"root": "/srv/ftp/site", ...}'),
});
