// Every contract of a workflow step and of a Lambda environment (core/contracts/): what each accepts, and
// what it refuses with the field's path and what was expected there. The manifest and the host restore plan
// have their own tests (manifest.test.ts, host-plan.test.ts).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { applyEnvironment } from "../../core/contracts/apply-environment.ts";
import { parseContract, type Contract } from "../../core/contracts/contract.ts";
import { awaitRunInput, awaitRunOutput } from "../../core/contracts/post-sync-await-run.ts";
import { postSyncEnvironment } from "../../core/contracts/post-sync-environment.ts";
import { postSyncStartInput } from "../../core/contracts/post-sync-start.ts";
import { generateListingsInput, generateListingsOutput } from "../../core/contracts/post-sync-generate-listings.ts";
import { invalidateInput, invalidateOutput } from "../../core/contracts/post-sync-invalidate.ts";
import { planInvalidationsInput, planInvalidationsOutput } from "../../core/contracts/post-sync-plan-invalidations.ts";
import { planListingsInput, planListingsOutput } from "../../core/contracts/post-sync-plan-listings.ts";
import { restoreEnvironment } from "../../core/contracts/restore-environment.ts";
import { restoreFinishInput, restoreFinishOutput } from "../../core/contracts/restore-finish.ts";
import { pageResult, restorePageInput } from "../../core/contracts/restore-page.ts";
import { restoreRequest, restoreStartInput } from "../../core/contracts/restore-start.ts";
import { watchdogEnvironment } from "../../core/contracts/watchdog-environment.ts";
import { BadInputError } from "../../core/errors.ts";

const RUN = "20261125T114723123Z-9f3ac1";
const request = {
  runId: RUN,
  target: "site",
  prefix: "www/docs/",
  sitePrefix: "www/",
  asOf: "2026-11-25T09:00:00.000Z",
  dryRun: false,
  pages: [0, 1],
};
const page = {
  restored: 2,
  removed: 1,
  unchanged: 5,
  unrestorable: 0,
  sent: 3,
  messages: 1,
  sample: ["restore www/docs/a"],
};
const outcomes = { written: 1, unchanged: 2, removed: 0, "real-page": 1, empty: 0 };
const apply = {
  AWS_REGION: "eu-west-1",
  SITE_BUCKET: "site",
  VERSION_BUCKET: "versions",
  INDEX_TABLE: "index",
  PUBLISH_RULES: '{"rewrites": [{"from": "docs", "to": ["v2/docs/"]}], "cacheControl": []}',
  DEAD_LETTER_QUEUE_URL: "https://sqs.eu-west-1.amazonaws.com/123456789012/dlq",
  SITESYNC_ENVIRONMENT: "prod",
};
const postSync = {
  AWS_REGION: "eu-west-1",
  SITE_BUCKET: "site",
  VERSION_BUCKET: "versions",
  INDEX_TABLE: "index",
  PUBLISH_RULES: "{}",
  INVALIDATION: '{"collapseAbove": 10, "maxPaths": 100}',
  DISTRIBUTION_ID: "E2EXAMPLE",
  SITESYNC_ENVIRONMENT: "prod",
};
const noRules = { rewrites: [], cacheControl: [] };
const invalidation = { collapseAbove: 10, maxPaths: 100 };
const restore = {
  AWS_REGION: "eu-west-1",
  VERSION_BUCKET: "versions",
  INDEX_TABLE: "index",
  MANIFEST_QUEUE_URL: "https://sqs/manifests",
  RESTORE_QUEUE_URL: "https://sqs/plans",
  POSTSYNC_STATE_MACHINE_ARN: "arn:aws:states:eu-west-1:123456789012:stateMachine:PostSync",
  RETENTION_DAYS: "90",
};
const finished = {
  runId: RUN,
  target: "site",
  dryRun: false,
  asOf: null,
  ...page,
  postSyncExecutionArn: null,
};

interface Case {
  contract: Contract<unknown>;
  accepts: Array<[string, unknown, unknown?]>;
  refuses: Array<[string, unknown, RegExp]>;
}

const cases: Record<string, Case> = {
  "PostSync AwaitRun input": {
    contract: awaitRunInput,
    accepts: [
      ["a run id", { runId: RUN }],
      ["the final description", { runId: RUN, final: true }],
      ["and drops what it does not read", { runId: RUN, stray: 1 }, { runId: RUN }],
    ],
    refuses: [
      ["no run id", {}, /^"runId": expected a run id such as 20261125T114723123Z-9f3ac1, but it is missing$/],
      ["a run id of another shape", { runId: "run-1" }, /^"runId": expected a run id .*, got "run-1"$/],
      ["final as a string", { runId: RUN, final: "yes" }, /^"final": expected true or false, got "yes"$/],
      ["no object at all", null, /^expected an object, got null$/],
    ],
  },
  "PostSync's execution input": {
    contract: postSyncStartInput,
    accepts: [
      ["a run", { runId: RUN }],
      ["a run whose edge rules changed", { runId: RUN, edgeRules: true }],
    ],
    refuses: [
      ["the flag as a string", { runId: RUN, edgeRules: "true" }, /^"edgeRules": expected true or false, got "true"$/],
      ["a misspelt flag", { runId: RUN, edgeRule: true }, /has fields no writer sends: edgeRule/],
    ],
  },
  "PostSync AwaitRun output": {
    contract: awaitRunOutput,
    accepts: [["a run described", { runId: RUN, prefix: "", sent: 3, applied: 2, changePages: 1, partial: true }]],
    refuses: [
      [
        "a negative count",
        { runId: RUN, prefix: "", sent: -1, applied: 0, changePages: 0, partial: false },
        /^"sent": expected a whole number ≥ 0, got -1$/,
      ],
      [
        "no partial flag",
        { runId: RUN, prefix: "", sent: 0, applied: 0, changePages: 0 },
        /^"partial": expected true or false, but it is missing$/,
      ],
    ],
  },
  "PostSync PlanListings": {
    contract: planListingsInput,
    accepts: [["the run", { runId: RUN, prefix: "www/", changePages: 2 }]],
    refuses: [
      [
        "a fractional page count",
        { runId: RUN, prefix: "", changePages: 1.5 },
        /^"changePages": expected a whole number ≥ 0, got 1.5$/,
      ],
      ["no prefix", { runId: RUN, changePages: 1 }, /^"prefix": expected a string, but it is missing$/],
    ],
  },
  "PostSync PlanListings output": {
    contract: planListingsOutput,
    accepts: [["pages", { pages: [0, 1, 2], directories: 401 }]],
    refuses: [
      [
        "a page that is no number",
        { pages: [0, "1"], directories: 2 },
        /^"pages\[1\]": expected a whole number ≥ 0, got "1"$/,
      ],
    ],
  },
  "PostSync GenerateListingPage": {
    contract: generateListingsInput,
    accepts: [
      ["one page", { runId: RUN, prefix: "", page: 0 }],
      ["the rest of a page", { runId: RUN, prefix: "", page: 3, from: 120 }],
    ],
    refuses: [
      ["no page", { runId: RUN, prefix: "" }, /^"page": expected a whole number ≥ 0, but it is missing$/],
      ["a negative start", { runId: RUN, prefix: "", page: 0, from: -1 }, /^"from": expected a whole number ≥ 0/],
    ],
  },
  "PostSync GenerateListingPage output": {
    contract: generateListingsOutput,
    accepts: [
      ["every outcome counted, the page done", { outcomes, next: null }],
      ["the page to go on at a directory", { outcomes, next: 40 }],
    ],
    refuses: [
      [
        "an outcome missing",
        { outcomes: { ...outcomes, empty: undefined }, next: null },
        /^"outcomes\.empty": expected a whole number ≥ 0, but it is missing$/,
      ],
      ["no word on the rest of the page", { outcomes }, /^"next": /],
    ],
  },
  "PostSync PlanInvalidations": {
    contract: planInvalidationsInput,
    accepts: [["the run and its listing pages", { runId: RUN, prefix: "", changePages: 1, listingPages: [0] }]],
    refuses: [
      [
        "listing pages as a count",
        { runId: RUN, prefix: "", changePages: 1, listingPages: 1 },
        /^"listingPages": expected an array, got 1$/,
      ],
    ],
  },
  "PostSync PlanInvalidations output": {
    contract: planInvalidationsOutput,
    accepts: [["batches", { batches: [0, 1], paths: 82, requested: 10_000 }]],
    refuses: [
      [
        "no requested count",
        { batches: [], paths: 0 },
        /^"requested": expected a whole number ≥ 0, but it is missing$/,
      ],
    ],
  },
  "PostSync InvalidateBatch": {
    contract: invalidateInput,
    accepts: [["a batch", { runId: RUN, batch: 3 }]],
    refuses: [["a negative batch", { runId: RUN, batch: -1 }, /^"batch": expected a whole number ≥ 0, got -1$/]],
  },
  "PostSync InvalidateBatch output": {
    contract: invalidateOutput,
    accepts: [["the invalidation", { id: "I2J0I21PCUYOIK", paths: 15 }]],
    refuses: [["no id", { id: "", paths: 15 }, /^"id": expected the invalidation's id, got ""$/]],
  },
  "Restore input (a person's)": {
    contract: restoreStartInput,
    accepts: [
      ["a site restore", { target: "site", prefix: "docs/", asOf: "2026-11-25T09:00:00Z", dryRun: true }],
      ["a host restore of what is published now", { target: "host", prefix: "www/docs/", sitePrefix: "www" }],
      ["a time with an offset", { target: "site", prefix: "", asOf: "2026-11-25T10:00:00+01:00" }],
    ],
    refuses: [
      [
        "an unknown target",
        { target: "bucket", prefix: "" },
        /^"target": expected "site" or "host", as in \{"target": "site", .*\}, got "bucket"$/,
      ],
      ["no prefix", { target: "site", asOf: "2026-11-25T09:00:00Z" }, /^"prefix": expected a key prefix \(""/],
      [
        "a site restore without a time",
        { target: "site", prefix: "docs/" },
        /^"asOf": expected the time to restore to, which a site restore needs, .*but it is missing$/,
      ],
      [
        "a time without its zone",
        { target: "site", prefix: "", asOf: "2026-11-25T09:00:00" },
        /^"asOf": expected an ISO 8601 time with its zone such as 2026-11-25T09:00:00Z, got "2026-11-25T09:00:00"$/,
      ],
      [
        "a day that does not exist",
        { target: "site", prefix: "", asOf: "2026-02-30T09:00:00Z" },
        /^"asOf": expected an ISO 8601 time/,
      ],
      [
        "a host prefix outside the site prefix",
        { target: "host", prefix: "docs/", sitePrefix: "www/" },
        /^"prefix": expected a host restore's key prefix under "sitePrefix" \("www\/…"\), got "docs\/"$/,
      ],
      [
        "dryRun as a string",
        { target: "site", prefix: "", asOf: "2026-11-25T09:00:00Z", dryRun: "true" },
        /^"dryRun": expected true or false, got "true"$/,
      ],
    ],
  },
  "Restore request (StartRestore's output)": {
    contract: restoreRequest,
    accepts: [
      ["a site restore", request],
      ["a host restore of what is published now", { ...request, target: "host", asOf: undefined }],
    ],
    refuses: [["no pages", { ...request, pages: undefined }, /^"pages": expected an array, but it is missing$/]],
  },
  "Restore page (RestoreSitePage, PlanHostPage)": {
    contract: restorePageInput,
    accepts: [["the request and a page", { restore: request, page: 1 }]],
    refuses: [
      ["no request", { page: 1 }, /^"restore": expected an object, but it is missing$/],
      [
        "a request without its run",
        { restore: { ...request, runId: undefined }, page: 1 },
        /^"restore\.runId": expected a run id/,
      ],
    ],
  },
  "Restore page result": {
    contract: pageResult,
    accepts: [["counts and a sample", page]],
    refuses: [["a sample of numbers", { ...page, sample: [1] }, /^"sample\[0\]": expected a string, got 1$/]],
  },
  "Restore Finish": {
    contract: restoreFinishInput,
    accepts: [["every page's result", { restore: request, results: [page, page] }]],
    refuses: [
      [
        "a page result missing a count",
        { restore: request, results: [page, { ...page, sent: undefined }] },
        /^"results\[1\]\.sent": expected a whole number ≥ 0, but it is missing$/,
      ],
    ],
  },
  "Restore Finish output": {
    contract: restoreFinishOutput,
    accepts: [
      ["a dry run", finished],
      [
        "a restore that started PostSync",
        { ...finished, asOf: request.asOf, postSyncExecutionArn: "arn:aws:states:x" },
      ],
    ],
    refuses: [
      [
        "an absent ARN rather than null",
        { ...finished, postSyncExecutionArn: undefined },
        /^"postSyncExecutionArn": expected a string, but it is missing$/,
      ],
    ],
  },
  "apply function environment": {
    contract: applyEnvironment,
    accepts: [
      [
        "the deployed variables",
        apply,
        { ...apply, PUBLISH_RULES: { rewrites: [{ from: "docs/", to: ["v2/docs/"] }], cacheControl: [] } },
      ],
    ],
    refuses: [
      [
        "no dead-letter queue",
        { ...apply, DEAD_LETTER_QUEUE_URL: undefined },
        /^"DEAD_LETTER_QUEUE_URL": expected the manifest dead-letter queue's URL, but it is missing$/,
      ],
      [
        "publish rules that are not JSON",
        { ...apply, PUBLISH_RULES: "{rewrites" },
        /^"PUBLISH_RULES": expected the publish rules as JSON, got "\{rewrites"$/,
      ],
      [
        "publish rules that overlap",
        { ...apply, PUBLISH_RULES: '{"rewrites": [{"from": "a/", "to": ["a/b/"]}]}' },
        /^"PUBLISH_RULES": expected publish rules \(PUBLISH_RULES: "rewrites\[0\]\.to" "a\/b\/" overlaps "a\/"/,
      ],
      [
        "no publish rules",
        { ...apply, PUBLISH_RULES: undefined },
        /^"PUBLISH_RULES": expected the publish rules as JSON, but it is missing$/,
      ],
    ],
  },
  "PostSync functions' environment": {
    contract: postSyncEnvironment,
    accepts: [
      ["with a distribution", postSync, { ...postSync, PUBLISH_RULES: noRules, INVALIDATION: invalidation }],
      [
        "without one",
        { ...postSync, DISTRIBUTION_ID: undefined },
        { ...postSync, PUBLISH_RULES: noRules, INVALIDATION: invalidation, DISTRIBUTION_ID: undefined },
      ],
    ],
    refuses: [
      [
        "a zero path limit",
        { ...postSync, INVALIDATION: '{"collapseAbove": 10, "maxPaths": 0}' },
        /^"INVALIDATION\.maxPaths": expected a whole number ≥ 1, got 0$/,
      ],
      [
        "settings that are not JSON",
        { ...postSync, INVALIDATION: "10,100" },
        /^"INVALIDATION": expected the invalidation settings .* as JSON, got "10,100"$/,
      ],
      [
        "an empty distribution id",
        { ...postSync, DISTRIBUTION_ID: "" },
        /^"DISTRIBUTION_ID": expected a CloudFront distribution id, got ""$/,
      ],
    ],
  },
  "Restore functions' environment": {
    contract: restoreEnvironment,
    accepts: [["the deployed variables", restore, { ...restore, RETENTION_DAYS: 90 }]],
    refuses: [
      [
        "no region (Lambda always sets it)",
        { ...restore, AWS_REGION: undefined },
        /^"AWS_REGION": expected the AWS region \(Lambda sets AWS_REGION\), but it is missing$/,
      ],
      [
        "a retention with a unit",
        { ...restore, RETENTION_DAYS: "90d" },
        /^"RETENTION_DAYS": expected the retention in days as decimal digits, got "90d"$/,
      ],
      [
        "no restore queue",
        { ...restore, RESTORE_QUEUE_URL: undefined },
        /^"RESTORE_QUEUE_URL": expected the host restore queue's URL, but it is missing$/,
      ],
    ],
  },
  "watchdog environment": {
    contract: watchdogEnvironment,
    accepts: [
      ["the deployed variables", { AWS_REGION: "eu-west-1", INDEX_TABLE: "index", SITESYNC_ENVIRONMENT: "prod" }],
    ],
    refuses: [
      [
        "no environment name",
        { AWS_REGION: "eu-west-1", INDEX_TABLE: "index" },
        /^"SITESYNC_ENVIRONMENT": expected the deployment environment's name, but it is missing$/,
      ],
    ],
  },
};

for (const [name, { contract, accepts, refuses }] of Object.entries(cases)) {
  describe(name, () => {
    for (const [why, value, parsed] of accepts) {
      test(`accepts ${why}`, () => {
        assert.deepEqual(parseContract(contract, value, ""), parsed ?? value);
      });
    }
    for (const [why, value, message] of refuses) {
      test(`refuses ${why}`, () => {
        assert.throws(
          () => parseContract(contract, value, ""),
          (err: Error) => err instanceof BadInputError && message.test(err.message),
        );
      });
    }
  });
}
