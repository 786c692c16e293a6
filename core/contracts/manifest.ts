// The manifest message: the agent (aws/manifest-queue.ts, through core/manifest.ts's packing) writes it
// to the manifest queue, and so does a site restore (lambdas/restore/steps.ts); the apply handler
// (lambdas/apply/handler.ts) reads it. A message that does not fit is never half-applied.
import * as z from "zod/mini";
import { isPack } from "../index-record.ts";
import { bytesLocation, count, mtime, nonEmpty, runId } from "./fields.ts";

export const MANIFEST_VERSION = 1;

/**
 * SHA-256 of the file's bytes as the agent read them, lowercase hex: the apply handler refuses staged bytes
 * that do not match, and the site PUT carries it for S3 to check. Optional: entries from agents that did not
 * digest still apply (unchecked), so the agent and the apply function can be deployed in either order.
 */
const sha256 = z
  .string({ error: "expected a SHA-256 as 64 lowercase hex digits" })
  .check(z.regex(/^[0-9a-f]{64}$/, { error: "expected a SHA-256 as 64 lowercase hex digits" }));

const putEntry = z
  .object({
    op: z.literal("put"),
    key: nonEmpty("a key"),
    version: nonEmpty("a version"),
    size: count,
    mtime,
    contentType: nonEmpty("a Content-Type"),
    source: bytesLocation,
    sha256: z.optional(sha256),
  })
  .check(
    z.superRefine((entry, ctx) => {
      // Only a size that is itself right can be compared.
      if (isPack(entry.source) && entry.source.length !== entry.size && count.safeParse(entry.size).success) {
        const message = `expected the pack range's length to equal size (${entry.size})`;
        ctx.issues.push({ code: "custom", message, path: ["source", "length"], input: entry.source.length });
      }
    }),
  );

const deleteEntry = z.object({
  op: z.literal("delete"),
  key: nonEmpty("a key"),
  version: nonEmpty("a version"),
});

export const manifestEntry = z.discriminatedUnion("op", [putEntry, deleteEntry]);

export const manifest = z.object({
  v: z.literal(MANIFEST_VERSION, {
    error: `expected manifest version ${MANIFEST_VERSION} (deploy the agent and the apply function from one release)`,
  }),
  runId,
  /** Position of this message within its run, from 0; the run counter uses it to count a message once. */
  seq: count,
  /** The site's key prefix in the bucket; rewrite rules are relative to it. */
  prefix: z.string(),
  /**
   * When the sender sent the message, its entries' bytes already staged: the apply function's lag metric
   * starts here. Optional: a message from an older sender applies all the same, without a lag sample.
   */
  sent: z.optional(z.iso.datetime({ error: "expected when the message was sent, such as 2026-11-25T09:00:00.000Z" })),
  entries: z.array(manifestEntry),
});

export type PutEntry = z.output<typeof putEntry>;
export type DeleteEntry = z.output<typeof deleteEntry>;
export type ManifestEntry = z.output<typeof manifestEntry>;
export type Manifest = z.output<typeof manifest>;
