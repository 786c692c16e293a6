// Field schemas the contracts share, each saying in its error what a right value looks like.
import * as z from "zod/mini";
import { errorMessage } from "../errors.ts";
import type { BytesLocation, DesiredPut } from "../index-record.ts";
import { isMtime } from "../mtime.ts";
import { parsePublishRules, type PublishRules } from "../publish-rules.ts";
import { isRunId } from "../run-id.ts";

export const count = z
  .int({ error: "expected a whole number ≥ 0" })
  .check(z.minimum(0, { error: "expected a whole number ≥ 0" }));

export const positiveCount = z
  .int({ error: "expected a whole number ≥ 1" })
  .check(z.minimum(1, { error: "expected a whole number ≥ 1" }));

export const nonEmpty = (what: string) =>
  z.string({ error: `expected ${what}` }).check(z.minLength(1, { error: `expected ${what}` }));

export const runId = z
  .string({ error: "expected a run id such as 20261125T114723123Z-9f3ac1" })
  .check(z.refine(isRunId, { error: "expected a run id such as 20261125T114723123Z-9f3ac1" }));

/** Nanoseconds since the epoch as a decimal string (core/mtime.ts): a JSON number would lose precision. */
export const mtime = z
  .string({ error: "expected nanoseconds since the epoch as a decimal string" })
  .check(z.refine(isMtime, { error: "expected nanoseconds since the epoch as a decimal string" }));

/**
 * A range of a pack, or an object of its own: an object location may not carry half a range, so a range
 * with a bad offset is refused rather than read as an object.
 */
export const bytesLocation: z.ZodMiniType<BytesLocation> = z.union(
  [
    z.object({ key: z.string(), offset: count, length: count }),
    z.object({ key: z.string(), offset: z.optional(z.never()), length: z.optional(z.never()) }),
  ],
  { error: 'expected {"key", "offset", "length"} (a range of a pack, whole numbers ≥ 0) or {"key"} (an object)' },
);

export const desiredPut: z.ZodMiniType<DesiredPut> = z.object({
  op: z.literal("put"),
  version: nonEmpty("a version"),
  size: count,
  mtime,
  contentType: nonEmpty("a Content-Type"),
  source: bytesLocation,
  run: z.string(),
});

/** A Lambda environment variable holding JSON, read with `schema` once it is JSON. */
export const jsonVariable = <T>(what: string, schema: z.ZodMiniType<T>) =>
  z.pipe(
    z.pipe(
      z.string({ error: `expected ${what} as JSON` }),
      z.transform((text: string, ctx): unknown => {
        try {
          return JSON.parse(text);
        } catch {
          ctx.issues.push({ code: "custom", message: `expected ${what} as JSON`, input: text });
          return z.NEVER;
        }
      }),
    ),
    schema,
  );

/** A whole number written as decimal digits, as numbers travel in environment variables. */
export const decimalVariable = (what: string) =>
  z.pipe(
    z
      .string({ error: `expected ${what} as decimal digits` })
      .check(z.regex(/^\d+$/, { error: `expected ${what} as decimal digits` })),
    z.pipe(z.transform(Number), positiveCount),
  );

/**
 * The deployment's publish rules, as the CDK app writes them from config/environments.json; read with the
 * one validator of publish rules (core/publish-rules.ts), which also normalises their prefixes.
 */
export const publishRulesVariable = jsonVariable(
  "the publish rules",
  z.pipe(
    z.unknown(),
    z.transform((raw: unknown, ctx): PublishRules => {
      try {
        return parsePublishRules(raw, "PUBLISH_RULES");
      } catch (err) {
        ctx.issues.push({ code: "custom", message: `expected publish rules (${errorMessage(err)})`, input: raw });
        return z.NEVER;
      }
    }),
  ),
);

/** What Lambda itself sets in every function's environment. */
export const awsRegion = nonEmpty("the AWS region (Lambda sets AWS_REGION)");
