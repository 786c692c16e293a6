// PostSync: after a run is applied, regenerate the listings that changed and invalidate CloudFront for
// everything the run changed. The definition is written as Amazon States Language (JSONPath, no
// variables: the local executor runs this very definition) so that every Retry and Catch carries its
// reason as a Comment. Each step is its own function with its own role, all from one bundle.
import { Duration, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import type * as sfn from "aws-cdk-lib/aws-stepfunctions";
import type { IDistribution, IKeyValueStore } from "aws-cdk-lib/aws-cloudfront";
import { Construct } from "constructs";
import type { PostSyncVariables } from "../core/contracts/post-sync-environment.ts";
import { SERVICES } from "../core/metric-names.ts";
import type { EnvironmentConfig } from "./environment-config.ts";
import type { Storage } from "./storage.ts";
import {
  createStepFunctions,
  invokeTask,
  LAMBDA_TRANSIENT_RETRY,
  type TaskFunction,
  wildcardFinding,
  workflowStateMachine,
} from "./workflow-functions.ts";

export const POST_SYNC_STEPS = [
  "awaitRun",
  "planListings",
  "generateListings",
  "planInvalidations",
  "invalidate",
] as const;
export type PostSyncStep = (typeof POST_SYNC_STEPS)[number];

/** Attempts of the RunNotApplied retry that add up to at least `minutes` of waiting (5 s, ×1.5, at most 60 s each). */
export function awaitAttempts(minutes: number): number {
  let waited = 0;
  let delay = 5;
  let attempts = 0;
  while (waited < minutes * 60) {
    waited += Math.min(delay, 60);
    delay *= 1.5;
    attempts++;
  }
  return attempts;
}

export class PostSync extends Construct {
  readonly functions: Record<PostSyncStep, nodejs.NodejsFunction>;
  readonly stateMachine: sfn.StateMachine;

  constructor(
    scope: Construct,
    id: string,
    env: EnvironmentConfig,
    storage: Storage,
    distribution?: IDistribution,
    keyValueStore?: IKeyValueStore,
  ) {
    super(scope, id);
    const runs = storage.versionBucket.arnForObjects("runs/*");
    // The edge rules and the listing policy (runs/edge/) are absent until the agent first writes them, which
    // PostSync reads as "none" from NoSuchKey: S3 answers a missing key so only to a caller that may list.
    const listVersions = new iam.PolicyStatement({
      sid: "TellMissingEdgeRules",
      actions: ["s3:ListBucket"],
      resources: [storage.versionBucket.bucketArn],
    });
    const statements: Record<PostSyncStep, iam.PolicyStatement[]> = {
      awaitRun: [
        new iam.PolicyStatement({
          sid: "ReadRun",
          actions: ["dynamodb:GetItem", "dynamodb:Query"],
          resources: [storage.table.tableArn],
        }),
      ],
      planListings: [
        new iam.PolicyStatement({ sid: "RunArtifacts", actions: ["s3:GetObject", "s3:PutObject"], resources: [runs] }),
        listVersions,
        // The edge rules (lambdas/post-sync/publish-edge.ts): the subtrees whose listing policy changed, the
        // error page's source in the index and in the bucket (any key a site names), the page itself.
        new iam.PolicyStatement({
          sid: "ReadIndexForEdge",
          actions: ["dynamodb:Query", "dynamodb:GetItem"],
          resources: [storage.table.tableArn],
        }),
        new iam.PolicyStatement({
          sid: "ReadErrorPageSource",
          actions: ["s3:GetObject"],
          resources: [storage.siteBucket.arnForObjects("*")],
        }),
        // So that the HEAD of a missing error page answers 404, not 403.
        new iam.PolicyStatement({
          sid: "ListSite",
          actions: ["s3:ListBucket"],
          resources: [storage.siteBucket.bucketArn],
        }),
        new iam.PolicyStatement({
          sid: "WriteErrorPage",
          actions: ["s3:PutObject"],
          resources: [storage.siteBucket.arnForObjects(".sitesync/*")],
        }),
        ...(keyValueStore
          ? [
              new iam.PolicyStatement({
                sid: "WriteEdgeRedirects",
                actions: [
                  "cloudfront-keyvaluestore:DescribeKeyValueStore",
                  "cloudfront-keyvaluestore:ListKeys",
                  "cloudfront-keyvaluestore:UpdateKeys",
                ],
                resources: [keyValueStore.keyValueStoreArn],
              }),
            ]
          : []),
      ],
      generateListings: [
        new iam.PolicyStatement({ sid: "RunArtifacts", actions: ["s3:GetObject", "s3:PutObject"], resources: [runs] }),
        listVersions,
        // GetItem and BatchGetItem: who holds a key a listing, a marker or a rewrite copy would be written at.
        new iam.PolicyStatement({
          sid: "ReadAndRecordListings",
          actions: [
            "dynamodb:Query",
            "dynamodb:GetItem",
            "dynamodb:BatchGetItem",
            "dynamodb:PutItem",
            "dynamodb:DeleteItem",
          ],
          resources: [storage.table.tableArn],
        }),
        // Listings and directory pages at <dir>/index.html, directory markers at <dir> (any key a directory
        // can have); each write first reads what is there (HEAD), a directory page copies a site file.
        new iam.PolicyStatement({
          sid: "WriteListingsAndMarkers",
          actions: ["s3:PutObject", "s3:DeleteObject", "s3:GetObject"],
          resources: [storage.siteBucket.arnForObjects("*")],
        }),
        // So that the HEAD of a missing marker answers 404, not 403.
        new iam.PolicyStatement({
          sid: "ListSite",
          actions: ["s3:ListBucket"],
          resources: [storage.siteBucket.bucketArn],
        }),
        // To put back a real index.html that a listing write raced (generate-listings.ts, keepRealPage).
        new iam.PolicyStatement({
          sid: "ReadStagedPages",
          actions: ["s3:GetObject"],
          resources: [storage.versionBucket.arnForObjects("packs/*"), storage.versionBucket.arnForObjects("objects/*")],
        }),
      ],
      planInvalidations: [
        new iam.PolicyStatement({ sid: "RunArtifacts", actions: ["s3:GetObject", "s3:PutObject"], resources: [runs] }),
      ],
      invalidate: [
        new iam.PolicyStatement({ sid: "ReadPlan", actions: ["s3:GetObject"], resources: [runs] }),
        ...(distribution
          ? [
              new iam.PolicyStatement({
                sid: "Invalidate",
                actions: ["cloudfront:CreateInvalidation"],
                resources: [
                  `arn:aws:cloudfront::${Stack.of(this).account}:distribution/${distribution.distributionId}`,
                ],
              }),
            ]
          : []),
      ],
    };
    const environment = {
      SITE_BUCKET: storage.siteBucket.bucketName,
      VERSION_BUCKET: storage.versionBucket.bucketName,
      INDEX_TABLE: storage.table.tableName,
      PUBLISH_RULES: JSON.stringify(env.publishRules),
      INVALIDATION: JSON.stringify({ collapseAbove: env.postSync.collapseAbove, maxPaths: env.postSync.maxPaths }),
      ...(distribution ? { DISTRIBUTION_ID: distribution.distributionId } : {}),
      ...(keyValueStore ? { KEY_VALUE_STORE_ARN: keyValueStore.keyValueStoreArn } : {}),
      SITESYNC_ENVIRONMENT: env.name,
    } satisfies PostSyncVariables;
    const runsWildcard = {
      [wildcardFinding(storage.versionBucket, "/runs/*")]:
        "Run artifacts are keyed by run id under runs/; the wildcard is confined to that prefix of the version store.",
    };
    this.functions = createStepFunctions(this, {
      entry: "lambdas/post-sync/index.ts",
      service: SERVICES.postSync,
      environment,
      description: `sitesync ${env.name}: PostSync step`,
      steps: {
        awaitRun: { statements: statements.awaitRun },
        planListings: {
          statements: statements.planListings,
          wildcards: {
            ...runsWildcard,
            [wildcardFinding(storage.siteBucket, "/*")]:
              "The site's error page may be any file a .htaccess names; only read, to copy it to .sitesync/.",
            [wildcardFinding(storage.siteBucket, "/.sitesync/*")]: "The error page PostSync keeps for CloudFront.",
          },
        },
        generateListings: {
          statements: statements.generateListings,
          timeout: Duration.minutes(15),
          wildcards: {
            ...runsWildcard,
            [wildcardFinding(storage.siteBucket, "/*")]:
              "Listings live at <directory>/index.html and directory markers at <directory>, anywhere in the " +
              "site; a marker or listing never replaces a file the index holds (generate-listings.ts).",
            [wildcardFinding(storage.versionBucket, "/packs/*")]:
              "Staged bytes sit under run-generated keys in packs/; only read, to restore a real page.",
            [wildcardFinding(storage.versionBucket, "/objects/*")]:
              "Staged bytes sit under run-generated keys in objects/; only read, to restore a real page.",
          },
        },
        planInvalidations: { statements: statements.planInvalidations, wildcards: runsWildcard },
        invalidate: { statements: statements.invalidate, wildcards: runsWildcard },
      },
    });
    this.stateMachine = workflowStateMachine(this, postSyncDefinition(this.functions, env), this.functions);
  }
}

/** What AwaitRun returns, kept as $.run for the later steps. */
const RUN_SUMMARY = {
  "runId.$": "$.Payload.runId",
  "prefix.$": "$.Payload.prefix",
  "sent.$": "$.Payload.sent",
  "changePages.$": "$.Payload.changePages",
  "partial.$": "$.Payload.partial",
};

/** The Amazon States Language definition; function ARNs are tokens resolved at synthesis. */
export function postSyncDefinition(
  fns: Record<PostSyncStep, TaskFunction>,
  env: EnvironmentConfig,
): Record<string, unknown> {
  const lambdaRetry = LAMBDA_TRANSIENT_RETRY;
  const invoke = (step: PostSyncStep, payload: Record<string, unknown>) => invokeTask(fns[step], payload);
  return {
    Comment: "PostSync: wait until the run is applied, regenerate changed listings, invalidate CloudFront.",
    StartAt: "AwaitApplied",
    States: {
      AwaitApplied: {
        ...invoke("awaitRun", { "runId.$": "$.runId" }),
        ResultSelector: RUN_SUMMARY,
        ResultPath: "$.run",
        Retry: [
          {
            ErrorEquals: ["RunNotApplied"],
            IntervalSeconds: 5,
            BackoffRate: 1.5,
            MaxDelaySeconds: 60,
            MaxAttempts: awaitAttempts(env.postSync.awaitMinutes),
            Comment:
              "Manifests are still being applied: " +
              `poll with backoff for up to ${env.postSync.awaitMinutes} minutes.`,
          },
          lambdaRetry,
        ],
        Catch: [
          {
            ErrorEquals: ["RunNotApplied"],
            ResultPath: "$.error",
            Next: "DescribeUnappliedRun",
            Comment:
              "Past the limit part of the run is stuck (see the dead-letter queue): still make the listings and " +
              "invalidations of what was applied, then fail loudly so the alarm fires.",
          },
        ],
        Next: "AnythingSent",
      },
      DescribeUnappliedRun: {
        ...invoke("awaitRun", { "runId.$": "$.runId", final: true }),
        ResultSelector: RUN_SUMMARY,
        ResultPath: "$.run",
        Retry: [lambdaRetry],
        Next: "AnythingSent",
      },
      AnythingSent: {
        Type: "Choice",
        Comment:
          "A run that sent nothing ends here, unless the agent says its .htaccess rules changed " +
          '(start input {"runId", "edgeRules": true}): PlanListings publishes them.',
        Choices: [
          {
            And: [
              { Variable: "$.run.sent", NumericEquals: 0 },
              {
                Or: [
                  { Not: { Variable: "$.edgeRules", IsPresent: true } },
                  { Variable: "$.edgeRules", BooleanEquals: false },
                ],
              },
            ],
            Next: "Done",
          },
        ],
        Default: "PlanListings",
      },
      PlanListings: {
        ...invoke("planListings", {
          "runId.$": "$.run.runId",
          "prefix.$": "$.run.prefix",
          "changePages.$": "$.run.changePages",
        }),
        ResultSelector: { "pages.$": "$.Payload.pages" },
        ResultPath: "$.listings",
        Retry: [lambdaRetry],
        Next: "GenerateListings",
      },
      GenerateListings: {
        Type: "Map",
        ItemsPath: "$.listings.pages",
        MaxConcurrency: 4,
        ItemSelector: {
          "runId.$": "$.run.runId",
          "prefix.$": "$.run.prefix",
          "page.$": "$$.Map.Item.Value",
          from: 0,
        },
        ItemProcessor: {
          ProcessorConfig: { Mode: "INLINE" },
          StartAt: "GenerateListingPage",
          States: {
            GenerateListingPage: {
              ...invoke("generateListings", {
                "runId.$": "$.runId",
                "prefix.$": "$.prefix",
                "page.$": "$.page",
                "from.$": "$.from",
              }),
              ResultSelector: { "outcomes.$": "$.Payload.outcomes", "next.$": "$.Payload.next" },
              ResultPath: "$.part",
              Retry: [lambdaRetry],
              Next: "RestOfPage",
            },
            RestOfPage: {
              Type: "Choice",
              Comment:
                "The step starts no directory past half of its time; the rest of the page (next) goes to " +
                "another invocation, so a page of large directories never meets the function's timeout.",
              // Not IsNull rather than IsNull false: aws-local-stepfunctions 3 never matches the latter.
              Choices: [{ Not: { Variable: "$.part.next", IsNull: true }, Next: "NextPartOfPage" }],
              Default: "PageDone",
            },
            NextPartOfPage: {
              Type: "Pass",
              Parameters: { "runId.$": "$.runId", "prefix.$": "$.prefix", "page.$": "$.page", "from.$": "$.part.next" },
              Next: "GenerateListingPage",
            },
            PageDone: { Type: "Succeed" },
          },
        },
        ResultPath: null,
        Next: "PlanInvalidations",
      },
      PlanInvalidations: {
        ...invoke("planInvalidations", {
          "runId.$": "$.run.runId",
          "prefix.$": "$.run.prefix",
          "changePages.$": "$.run.changePages",
          "listingPages.$": "$.listings.pages",
        }),
        ResultSelector: { "batches.$": "$.Payload.batches", "paths.$": "$.Payload.paths" },
        ResultPath: "$.invalidations",
        Retry: [lambdaRetry],
        Next: "Invalidate",
      },
      Invalidate: {
        Type: "Map",
        ItemsPath: "$.invalidations.batches",
        // One batch at a time: CloudFront limits invalidations in progress per distribution.
        MaxConcurrency: 1,
        ItemSelector: { "runId.$": "$.run.runId", "batch.$": "$$.Map.Item.Value" },
        ItemProcessor: {
          ProcessorConfig: { Mode: "INLINE" },
          StartAt: "InvalidateBatch",
          States: {
            InvalidateBatch: {
              ...invoke("invalidate", { "runId.$": "$.runId", "batch.$": "$.batch" }),
              ResultSelector: { "id.$": "$.Payload.id", "paths.$": "$.Payload.paths" },
              Retry: [
                {
                  ErrorEquals: ["TooManyInvalidationsInProgress"],
                  IntervalSeconds: 20,
                  BackoffRate: 1.5,
                  MaxDelaySeconds: 300,
                  MaxAttempts: 30,
                  JitterStrategy: "FULL",
                  Comment:
                    "CloudFront's in-progress limit is reached: " +
                    "wait for earlier invalidations to finish, never drop the batch.",
                },
                lambdaRetry,
              ],
              End: true,
            },
          },
        },
        ResultPath: null,
        Next: "Outcome",
      },
      Outcome: {
        Type: "Choice",
        Choices: [{ Variable: "$.run.partial", BooleanEquals: true, Next: "RunNotApplied" }],
        Default: "Done",
      },
      Done: { Type: "Succeed" },
      RunNotApplied: {
        Type: "Fail",
        Error: "RunNotApplied",
        Cause:
          `The run was not fully applied within ${env.postSync.awaitMinutes} ` +
          `minute${env.postSync.awaitMinutes === 1 ? "" : "s"}; ` +
          "listings and invalidations were made for what was applied; manifests may be in the dead-letter queue.",
      },
    },
  };
}
