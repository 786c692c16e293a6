// The schema of one entry of config/environments.json, from which the CDK app's EnvironmentConfig is
// inferred. Every field carries the one message it gives for any wrong value: what it must be and a right
// example, so lib/environment-config.ts only has to put the file and the field's path in front of it.
//
// zod/mini, as in core/contracts/: one API for every schema in the project. It has no built-in messages, so
// a field without its own would say only "Invalid input"; every field here has one.
import * as z from "zod/mini";

/** The error of a field: the problem, then a right value, in the words ConfigError uses. */
const says = (problem: string, example?: string) => ({
  error: example === undefined ? problem : `${problem} (for example: ${example})`,
});

function text(pattern: RegExp, problem: string, example: string) {
  const error = says(problem, example);
  return z.string(error).check(z.regex(pattern, error));
}

function wholeNumber(min: number, max: number, example: number, unit = "") {
  const error = says(`must be a whole number ${unit}from ${min} to ${max}`, String(example));
  return z.int(error).check(z.minimum(min, error), z.maximum(max, error));
}

/** A setting that may be left out: the default is also the example. */
const setting = (fallback: number, min: number, max: number) => z._default(wholeNumber(min, max, fallback), fallback);

/** An object of named settings that refuses any other name, listing the ones it takes. */
function settings<T extends z.core.$ZodLooseShape>(what: string, shape: T, example: string) {
  const known = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? `is not a known setting; ${what} takes ${known}`
        : says("must be an object", example).error,
  });
}

const hostName = text(/\./, "must be a host name", '"www.example.com"');
const hostNames = says("must list the site's host names", '["www.example.com"]');
const domainNames = z.array(hostName, hostNames).check(z.minLength(1, hostNames));
const CERTIFICATE = "an ACM certificate ARN in us-east-1 (CloudFront only takes certificates from there)";
const CERTIFICATE_EXAMPLE = '"arn:aws:acm:us-east-1:123456789012:certificate/…"';

/** A distribution of the stack's own: custom host names need a certificate, and a certificate needs them. */
const newDistribution = settings(
  'a "new" distribution',
  {
    kind: z.literal("new"),
    domainNames: z.optional(domainNames),
    certificateArn: z.optional(
      text(/^arn:aws:acm:us-east-1:\d{12}:certificate\//, `must be ${CERTIFICATE}`, CERTIFICATE_EXAMPLE),
    ),
    priceClass: z._default(
      z.enum(
        ["PriceClass_100", "PriceClass_200", "PriceClass_All"],
        says("must be PriceClass_100, PriceClass_200 or PriceClass_All", '"PriceClass_100"'),
      ),
      "PriceClass_100",
    ),
  },
  '{"kind": "new", "priceClass": "PriceClass_100"}',
).check(
  z.superRefine((d, ctx) => {
    if (d.domainNames !== undefined && d.certificateArn === undefined) {
      const { error } = says(`must be given with domainNames: ${CERTIFICATE}`, CERTIFICATE_EXAMPLE);
      ctx.addIssue({ code: "custom", path: ["certificateArn"], message: error, input: d.certificateArn });
    }
    if (d.certificateArn !== undefined && d.domainNames === undefined) {
      const { error } = says("must be given with certificateArn: the site's host names", '["www.example.com"]');
      ctx.addIssue({ code: "custom", path: ["domainNames"], message: error, input: d.domainNames });
    }
  }),
);

const importedDistribution = settings(
  'an "imported" distribution',
  {
    kind: z.literal("imported"),
    distributionId: text(/^E[A-Z0-9]{5,}$/, "must be a CloudFront distribution id", '"E2QWRUHAPOMQZL"'),
    domainName: text(/\./, "must be the distribution's domain name", '"d111111abcdef8.cloudfront.net"'),
  },
  '{"kind": "imported", "distributionId": "E2QWRUHAPOMQZL", "domainName": "d111111abcdef8.cloudfront.net"}',
);

const noDistribution = settings('a "none" distribution', { kind: z.literal("none") }, '{"kind": "none"}');

const KINDS = '"new", "imported" or "none"';

/**
 * A wrong or missing kind is reported at distribution.kind; a distribution that is not an object, at
 * itself (an invalid_type issue, though zod types this map's issue as the union's only).
 */
export const distributionSchema = z.discriminatedUnion(
  "kind",
  [newDistribution, importedDistribution, noDistribution],
  {
    error: (issue) =>
      says(
        issue.code === "invalid_union" ? `must be ${KINDS}` : `must be an object whose kind is ${KINDS}`,
        '{"kind": "new"}',
      ).error,
  },
);

export const applySchema = settings(
  "apply",
  {
    /** Deliveries of a failing manifest before it moves to the dead-letter queue. */
    maxReceiveCount: setting(5, 1, 1000),
    batchSize: setting(10, 1, 10),
    maxBatchingWindowSeconds: setting(1, 0, 300),
    /** Concurrent apply invocations (the event source's maximum concurrency, 2–1000). */
    maxConcurrency: setting(10, 2, 1000),
    timeoutSeconds: setting(120, 10, 900),
    memoryMb: setting(1024, 128, 10240),
  },
  '{"batchSize": 10, "maxConcurrency": 10}',
);

export const postSyncSchema = settings(
  "postSync",
  {
    /** How long PostSync waits for a run to be applied before it fails (and the alarm fires). */
    awaitMinutes: setting(30, 1, 1440),
    /** A directory with more changed paths of its own than this is invalidated with one wildcard. */
    collapseAbove: setting(10, 1, 3000),
    /** Most invalidation paths one run may cost; more is collapsed further. */
    maxPaths: setting(100, 1, 100_000),
  },
  '{"awaitMinutes": 30}',
);

const agentKind = says(
  'must be "ec2-role" (the FTP host is an EC2 instance) or "user" (access keys)',
  '{"kind": "ec2-role"}',
);

export const agentSchema = settings(
  "agent",
  {
    kind: z.enum(["ec2-role", "user"], agentKind),
    // Two missed 15-minute cron runs, plus the watchdog's own period, before someone is told.
    noRunAlarmMinutes: setting(120, 30, 10_080),
  },
  '{"kind": "ec2-role"}',
);

export const environmentSchema = settings(
  "an environment",
  {
    account: text(/^\d{12}$/, "must be a 12-digit AWS account id", '"123456789012"'),
    region: text(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, "must be an AWS region", '"eu-west-1"'),
    /** "prod" turns on deletion protection and retains data on stack deletion. */
    stage: z.enum(["dev", "prod"], says('must be "dev" or "prod"', '"prod"')),
    distribution: distributionSchema,
    /**
     * Checked after the schema by core/publish-rules.ts, the one validator of publish rules (the apply
     * function reads them with it too), which also normalises their prefixes.
     */
    publishRules: z.optional(z.unknown()),
    /** How long every staged version stays restorable. */
    retentionDays: wholeNumber(1, 3650, 90, "of days "),
    apply: z.prefault(applySchema, {}),
    postSync: z.prefault(postSyncSchema, {}),
    /**
     * How the FTP host's agent gets credentials (an instance role on EC2, or an IAM user with access keys),
     * and how long it may go without finishing a run before the NoRecentRun alarm fires.
     */
    agent: agentSchema,
    alarmEmail: z.optional(text(/^[^@\s]+@[^@\s]+$/, "must be an e-mail address", '"ops@example.com"')),
  },
  '{"account": "123456789012", "region": "eu-west-1", "stage": "prod", "distribution": {"kind": "new"}, …}',
);
