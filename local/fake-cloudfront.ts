// CloudFront has no local server, so this is the one fake in the tests. It is strict: it refuses every batch
// the real service is known to refuse, with the service's error code as the error's name, so a test fails where
// a deployment would. The rules, and where they come from:
//
//  - Amazon CloudFront Developer Guide, "Invalidating files" → "What you need to know when invalidating paths"
//    ("Specifying the Files to Invalidate"): through the API a path must begin with "/"; the "*" wildcard must
//    be the last character ("You can't use a wildcard within the path; only at the end"); a path has at most
//    4,000 characters; non-ASCII characters and RFC 1738 "unsafe" characters must be URL-encoded.
//  - The same guide, "Concurrent invalidation request maximum", and "Quotas" → "Quotas on invalidations": per
//    distribution at most 3,000 file paths and, independently, 15 wildcard paths in progress at one time;
//    "one invalidation request for up to 3,000 files". Over the in-progress maximum → TooManyInvalidationsInProgress;
//    a request over 3,000 paths → BatchTooLarge ("Invalidation batch specified is too large").
//  - CloudFront API Reference, "InvalidationBatch" → CallerReference: the same CallerReference with the same
//    request returns the invalidation created before; with a different Path → InvalidationBatchAlreadyExists.
//  - CloudFront API Reference, "CreateInvalidation" → Errors: BatchTooLarge, InvalidArgument, NoSuchDistribution,
//    TooManyInvalidationsInProgress (and NoSuchInvalidation for GetInvalidation).
//  - Which characters are refused rather than merely mismatched: an unencoded space (aws/aws-sdk-go#223) and an
//    unencoded "~" (aws/aws-sdk-js-v3#4042) both get InvalidArgument "Your request contains one or more invalid
//    invalidation paths". We refuse the whole RFC 1738 unsafe set, and a "%" that does not start an escape.
//
// Not documented anywhere we found, so not enforced: duplicate paths within a batch (accepted, each counted
// against the in-progress maximum). Enforced without a source, as the stricter choice: an empty batch and an
// empty CallerReference are InvalidArgument, and CallerReference replays compare the paths in order.
import { randomBytes } from "node:crypto";
import type { InvalidationService, InvalidationStatus } from "../aws/cdn.ts";

// Written out here, not imported from the invalidation planner: the fake must check the planner, not share its numbers.
export const CLOUDFRONT_RULES = {
  maxPathsPerRequest: 3000,
  maxFilePathsInProgress: 3000,
  maxWildcardPathsInProgress: 15,
  maxPathLength: 4000,
} as const;

/**
 * RFC 1738 §2.2 "unsafe" characters, which CloudFront wants encoded; "%" is handled apart
 * (it may start an escape).
 */
const UNSAFE = new Set([...' <>"#{}|\\^~[]`']);

/** An error as the SDK throws it for a service error: an Error whose name is the service's error code. */
export class CloudFrontError extends Error {
  override readonly name: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = code;
  }
}

export interface InvalidationCall {
  distributionId: string;
  paths: string[];
  callerReference: string;
  at: Date;
}

export interface FakeCloudFrontOptions {
  /** The distributions that exist; any other id is NoSuchDistribution. */
  distributions: string[];
  /** How long an invalidation stays InProgress (default 200 ms), so the in-progress maxima can be reached. */
  completeAfterMs?: number;
}

interface Invalidation {
  id: string;
  distributionId: string;
  paths: string[];
  callerReference: string;
  createdAt: number;
}

export class FakeCloudFront implements InvalidationService {
  /** Every accepted CreateInvalidation, CallerReference replays included (they return the earlier id). */
  readonly calls: Array<InvalidationCall & { id: string }> = [];
  /** Every refused CreateInvalidation, with the error code it got. */
  readonly refusals: Array<InvalidationCall & { error: string; message: string }> = [];
  readonly #distributions: Set<string>;
  readonly #completeAfterMs: number;
  #invalidations: Invalidation[] = [];

  constructor(options: FakeCloudFrontOptions) {
    this.#distributions = new Set(options.distributions);
    this.#completeAfterMs = options.completeAfterMs ?? 200;
  }

  async createInvalidation(input: {
    distributionId: string;
    paths: string[];
    callerReference: string;
  }): Promise<{ id: string; status: InvalidationStatus }> {
    const call: InvalidationCall = { ...input, paths: [...input.paths], at: new Date() };
    try {
      const invalidation = this.#accept(call);
      this.calls.push({ ...call, id: invalidation.id });
      return { id: invalidation.id, status: this.#status(invalidation) };
    } catch (err) {
      if (err instanceof CloudFrontError) this.refusals.push({ ...call, error: err.name, message: err.message });
      throw err;
    }
  }

  async getInvalidation(input: {
    distributionId: string;
    id: string;
  }): Promise<{ id: string; status: InvalidationStatus }> {
    this.#requireDistribution(input.distributionId);
    const invalidation = this.#invalidations.find(
      (i) => i.distributionId === input.distributionId && i.id === input.id,
    );
    if (!invalidation) throw new CloudFrontError("NoSuchInvalidation", "The specified invalidation does not exist.");
    return { id: invalidation.id, status: this.#status(invalidation) };
  }

  /** The paths of every invalidation created, in order (a CallerReference replay adds none). */
  allPaths(): string[] {
    return this.#invalidations.flatMap((i) => i.paths);
  }

  /** Forgets every invalidation, call and refusal; the distributions stay. */
  reset(): void {
    this.#invalidations = [];
    this.calls.length = 0;
    this.refusals.length = 0;
  }

  #accept(call: InvalidationCall): Invalidation {
    this.#requireDistribution(call.distributionId);
    if (call.paths.length > CLOUDFRONT_RULES.maxPathsPerRequest) {
      throw new CloudFrontError(
        "BatchTooLarge",
        `Invalidation batch specified is too large: ${call.paths.length} paths, ` +
          `at most ${CLOUDFRONT_RULES.maxPathsPerRequest}.`,
      );
    }
    if (call.paths.length === 0)
      throw new CloudFrontError("InvalidArgument", "An invalidation batch needs at least one path.");
    if (call.callerReference === "") throw new CloudFrontError("InvalidArgument", "CallerReference must not be empty.");
    const invalid = call.paths
      .map((path) => [path, pathProblem(path)] as const)
      .filter(([, problem]) => problem !== undefined);
    if (invalid.length > 0) {
      const detail = invalid
        .slice(0, 5)
        .map(([path, problem]) => `${JSON.stringify(path)} (${problem})`)
        .join(", ");
      throw new CloudFrontError(
        "InvalidArgument",
        `Your request contains one or more invalid invalidation paths: ${detail}`,
      );
    }

    const earlier = this.#invalidations.find(
      (i) => i.distributionId === call.distributionId && i.callerReference === call.callerReference,
    );
    if (earlier) {
      const same = earlier.paths.length === call.paths.length && earlier.paths.every((p, i) => p === call.paths[i]);
      if (same) return earlier;
      throw new CloudFrontError(
        "InvalidationBatchAlreadyExists",
        `CallerReference ${JSON.stringify(call.callerReference)} ` +
          `was already used for invalidation ${earlier.id} with different paths.`,
      );
    }

    const inProgress = this.#invalidations.filter(
      (i) => i.distributionId === call.distributionId && this.#status(i) === "InProgress",
    );
    const count = (paths: string[]) => ({
      wildcards: paths.filter(isWildcard).length,
      files: paths.filter((p) => !isWildcard(p)).length,
    });
    const running = count(inProgress.flatMap((i) => i.paths));
    const wanted = count(call.paths);
    if (running.files + wanted.files > CLOUDFRONT_RULES.maxFilePathsInProgress) {
      throw new CloudFrontError(
        "TooManyInvalidationsInProgress",
        `${running.files} file paths in progress and ${wanted.files} more requested; ` +
          `at most ${CLOUDFRONT_RULES.maxFilePathsInProgress} per distribution.`,
      );
    }
    if (running.wildcards + wanted.wildcards > CLOUDFRONT_RULES.maxWildcardPathsInProgress) {
      throw new CloudFrontError(
        "TooManyInvalidationsInProgress",
        `${running.wildcards} wildcard paths in progress and ${wanted.wildcards} more requested; ` +
          `at most ${CLOUDFRONT_RULES.maxWildcardPathsInProgress} per distribution.`,
      );
    }

    const invalidation: Invalidation = { ...call, id: newInvalidationId(), createdAt: call.at.getTime() };
    this.#invalidations.push(invalidation);
    return invalidation;
  }

  #requireDistribution(distributionId: string): void {
    if (!this.#distributions.has(distributionId)) {
      throw new CloudFrontError("NoSuchDistribution", `The specified distribution does not exist: ${distributionId}`);
    }
  }

  // Computed from the clock when asked, so no timer outlives a test.
  #status(invalidation: Invalidation): InvalidationStatus {
    return Date.now() - invalidation.createdAt >= this.#completeAfterMs ? "Completed" : "InProgress";
  }
}

function isWildcard(path: string): boolean {
  return path.endsWith("*");
}

/** Why CloudFront would refuse the path, or undefined if it would accept it. */
function pathProblem(path: string): string | undefined {
  if (!path.startsWith("/")) return "does not begin with /";
  if (path.length > CLOUDFRONT_RULES.maxPathLength) return `longer than ${CLOUDFRONT_RULES.maxPathLength} characters`;
  const star = path.indexOf("*");
  if (star !== -1 && star !== path.length - 1) return "* is allowed only as the last character";
  for (const char of path) {
    const code = char.codePointAt(0)!;
    if (code < 0x21 || code > 0x7e)
      return (
        `unencoded ${code > 0x7e ? "non-ASCII" : "control or space"} ` +
        `character U+${code.toString(16).toUpperCase().padStart(4, "0")}`
      );
    if (UNSAFE.has(char)) return `unencoded unsafe character ${char}`;
  }
  if (/%(?![0-9A-Fa-f]{2})/.test(path)) return "% that does not start a %XX escape";
  return undefined;
}

/** Shaped like CloudFront's ids (14 upper-case letters and digits, starting with I). */
function newInvalidationId(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  return `I${[...randomBytes(13)].map((b) => alphabet[b % alphabet.length]).join("")}`;
}
