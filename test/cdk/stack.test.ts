// The deployment as CloudFormation: every resource, its settings, and the exact statements of every policy.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Match } from "aws-cdk-lib/assertions";
import { DIRECTORY_INDEX_SOURCE, DIRECTORY_MARKER_SOURCE } from "../../lib/distribution.ts";
import { environment, getAtt, objects, resource, synth } from "./support.ts";

/** A DefinitionString with its Fn::Join tokens flattened (GetAtt and Ref shown by logical id). */
function resolveJoin(value: unknown): string {
  if (typeof value === "string") return value;
  const v = value as Record<string, any>;
  if (v["Fn::Join"]) return (v["Fn::Join"][1] as unknown[]).map(resolveJoin).join(v["Fn::Join"][0]);
  if (v["Fn::GetAtt"]) return `${v["Fn::GetAtt"][0]}.${v["Fn::GetAtt"][1]}`;
  if (v.Ref) return String(v.Ref);
  throw new Error(`unexpected token ${JSON.stringify(value)}`);
}

const prod = environment("prod");
const prodTemplate = synth(prod);
const dev = environment("dev");
const devTemplate = synth(dev);

describe("resources of an environment (prod)", () => {
  test("exactly these resources, nothing else", () => {
    const expected: Record<string, number> = {
      "AWS::S3::Bucket": 3,
      "AWS::S3::BucketPolicy": 3,
      "AWS::DynamoDB::Table": 1,
      "AWS::SQS::Queue": 3,
      "AWS::SQS::QueuePolicy": 3,
      "AWS::Logs::LogGroup": 13,
      "AWS::IAM::Role": 14,
      "AWS::IAM::Policy": 13,
      "AWS::IAM::ManagedPolicy": 1,
      "AWS::IAM::InstanceProfile": 1,
      "AWS::Lambda::Function": 11,
      "AWS::Lambda::EventSourceMapping": 1,
      "AWS::Lambda::Permission": 1,
      "AWS::Events::Rule": 1,
      "AWS::StepFunctions::StateMachine": 2,
      "AWS::SNS::Topic": 1,
      "AWS::SNS::TopicPolicy": 1,
      "AWS::SNS::Subscription": 1,
      "AWS::CloudWatch::Alarm": 8,
      "AWS::CloudWatch::Dashboard": 1,
      "AWS::CloudFront::Distribution": 1,
      "AWS::CloudFront::OriginAccessControl": 1,
      "AWS::CloudFront::Function": 2,
      "AWS::CloudFront::KeyValueStore": 1,
    };
    const all = prodTemplate.toJSON().Resources as Record<string, { Type: string }>;
    const actual: Record<string, number> = {};
    for (const r of Object.values(all)) if (r.Type !== "AWS::CDK::Metadata") actual[r.Type] = (actual[r.Type] ?? 0) + 1;
    assert.deepEqual(actual, expected);
  });

  test("site bucket: private, encrypted, TLS only, versioned with a noncurrent-version expiry, logged", () => {
    const site = resource(prodTemplate, "AWS::S3::Bucket", "StorageSite");
    assert.deepEqual(site.props.PublicAccessBlockConfiguration, {
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    assert.deepEqual(site.props.BucketEncryption, {
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
    });
    assert.deepEqual(site.props.VersioningConfiguration, { Status: "Enabled" });
    assert.deepEqual(site.props.LifecycleConfiguration.Rules, [
      {
        Id: "expire-noncurrent",
        NoncurrentVersionExpiration: { NoncurrentDays: prod.retentionDays },
        Status: "Enabled",
      },
      { Id: "abort-incomplete-uploads", AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: "Enabled" },
    ]);
    assert.equal(site.props.LoggingConfiguration.LogFilePrefix, "site/");
  });

  test("version store: private, encrypted, every staged version kept for the restore retention", () => {
    const versions = resource(prodTemplate, "AWS::S3::Bucket", "StorageVersions");
    assert.equal(versions.props.PublicAccessBlockConfiguration.RestrictPublicBuckets, true);
    assert.equal(versions.props.VersioningConfiguration, undefined);
    assert.deepEqual(versions.props.LifecycleConfiguration.Rules, [
      { Id: "restore-retention", ExpirationInDays: prod.retentionDays, Status: "Enabled" },
      { Id: "abort-incomplete-uploads", AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: "Enabled" },
    ]);
  });

  test("every bucket, queue and topic refuses requests without TLS", () => {
    for (const [type, prefix, action] of [
      ["AWS::S3::BucketPolicy", "StorageSite", "s3:*"],
      ["AWS::S3::BucketPolicy", "StorageVersions", "s3:*"],
      ["AWS::S3::BucketPolicy", "StorageAccessLogs", "s3:*"],
      ["AWS::SQS::QueuePolicy", "QueueManifests", "sqs:*"],
      ["AWS::SQS::QueuePolicy", "QueueDeadLetters", "sqs:*"],
    ] as const) {
      const statements = resource(prodTemplate, type, prefix).props.PolicyDocument.Statement;
      assert.equal(statements[0].Effect, "Deny");
      assert.equal(statements[0].Action, action);
      assert.deepEqual(statements[0].Condition, { Bool: { "aws:SecureTransport": "false" } });
    }
    const topic = resource(prodTemplate, "AWS::SNS::TopicPolicy", "AlarmsTopic").props.PolicyDocument.Statement;
    assert.deepEqual(
      topic.map((s: { Effect: string; Action: string }) => [s.Effect, s.Action]),
      [["Deny", "sns:Publish"]],
    );
  });

  test("index table: on demand, point-in-time recovery, deletion protection outside dev", () => {
    const table = resource(prodTemplate, "AWS::DynamoDB::Table", "StorageIndex").props;
    assert.equal(table.BillingMode, "PAY_PER_REQUEST");
    assert.deepEqual(table.PointInTimeRecoverySpecification, { PointInTimeRecoveryEnabled: true });
    assert.equal(table.DeletionProtectionEnabled, true);
    assert.deepEqual(table.KeySchema, [
      { AttributeName: "pk", KeyType: "HASH" },
      { AttributeName: "sk", KeyType: "RANGE" },
    ]);
    assert.equal(resource(devTemplate, "AWS::DynamoDB::Table", "StorageIndex").props.DeletionProtectionEnabled, false);
    prodTemplate.hasResource("AWS::DynamoDB::Table", { DeletionPolicy: "Retain" });
  });

  test(`manifest queue: encrypted, visibility six times the function timeout, \
dead letters after maxReceiveCount`, () => {
    const dlq = resource(prodTemplate, "AWS::SQS::Queue", "QueueDeadLetters");
    const queue = resource(prodTemplate, "AWS::SQS::Queue", "QueueManifests").props;
    assert.equal(queue.SqsManagedSseEnabled, true);
    assert.equal(queue.VisibilityTimeout, prod.apply.timeoutSeconds * 6);
    assert.deepEqual(queue.RedrivePolicy, {
      deadLetterTargetArn: getAtt(dlq.id),
      maxReceiveCount: prod.apply.maxReceiveCount,
    });
    assert.equal(dlq.props.SqsManagedSseEnabled, true);
    assert.equal(dlq.props.MessageRetentionPeriod, 14 * 24 * 3600);
  });

  test("apply function: ARM, Node.js 22, its settings, and an SQS event source reporting batch item failures", () => {
    const fn = resource(prodTemplate, "AWS::Lambda::Function", "ApplyFunction");
    assert.equal(fn.props.Runtime, "nodejs22.x");
    assert.deepEqual(fn.props.Architectures, ["arm64"]);
    assert.equal(fn.props.Handler, "index.handler");
    assert.equal(fn.props.Timeout, prod.apply.timeoutSeconds);
    assert.equal(fn.props.MemorySize, prod.apply.memoryMb);
    const vars = fn.props.Environment.Variables;
    const names = [
      ...["DEAD_LETTER_QUEUE_URL", "INDEX_TABLE", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_SERVICE_NAME"],
      ...["PUBLISH_RULES", "SITESYNC_ENVIRONMENT", "SITE_BUCKET", "VERSION_BUCKET"],
    ];
    assert.deepEqual(Object.keys(vars).sort(), names);
    assert.equal(vars.SITESYNC_ENVIRONMENT, "prod");
    assert.deepEqual(JSON.parse(vars.PUBLISH_RULES), prod.publishRules);
    const deadLetters = resource(prodTemplate, "AWS::SQS::Queue", "QueueDeadLetters").id;
    assert.deepEqual(vars.DEAD_LETTER_QUEUE_URL, { Ref: deadLetters });
    const mapping = resource(prodTemplate, "AWS::Lambda::EventSourceMapping", "ApplyFunction").props;
    assert.equal(mapping.BatchSize, prod.apply.batchSize);
    assert.equal(mapping.MaximumBatchingWindowInSeconds, prod.apply.maxBatchingWindowSeconds);
    assert.deepEqual(mapping.ScalingConfig, { MaximumConcurrency: prod.apply.maxConcurrency });
    assert.deepEqual(mapping.FunctionResponseTypes, ["ReportBatchItemFailures"]);
    assert.deepEqual(mapping.EventSourceArn, getAtt(resource(prodTemplate, "AWS::SQS::Queue", "QueueManifests").id));
  });

  test(`PostSync: await with backoff, publish what was applied, then fail loudly; \
listings in a Map, batches one at a time`, () => {
    const machine = resource(prodTemplate, "AWS::StepFunctions::StateMachine", "WorkflowsPostSync").props;
    const definition = JSON.parse(resolveJoin(machine.DefinitionString));
    assert.equal(definition.QueryLanguage ?? "JSONPath", "JSONPath");
    assert.deepEqual(Object.keys(definition.States), [
      "AwaitApplied",
      "DescribeUnappliedRun",
      "AnythingSent",
      "PlanListings",
      "GenerateListings",
      "PlanInvalidations",
      "Invalidate",
      "Outcome",
      "Done",
      "RunNotApplied",
    ]);
    const retries = (state: { Retry?: Array<{ ErrorEquals: string[]; Comment?: string; MaxAttempts?: number }> }) =>
      state.Retry ?? [];
    const awaitRetry = retries(definition.States.AwaitApplied).find((r) => r.ErrorEquals.includes("RunNotApplied"))!;
    assert.ok(awaitRetry.MaxAttempts! >= 30, "polls for the configured 30 minutes");
    // Past the wait, the run is described as it stands and its listings and invalidations still happen.
    assert.deepEqual(
      definition.States.AwaitApplied.Catch.map((c: { Next: string }) => c.Next),
      ["DescribeUnappliedRun"],
    );
    assert.equal(definition.States.DescribeUnappliedRun.Parameters.Payload.final, true);
    assert.equal(definition.States.DescribeUnappliedRun.Next, "AnythingSent");
    assert.equal(definition.States.Invalidate.Next, "Outcome");
    assert.deepEqual(definition.States.Outcome.Choices, [
      { Variable: "$.run.partial", BooleanEquals: true, Next: "RunNotApplied" },
    ]);
    assert.equal(definition.States.RunNotApplied.Type, "Fail");
    // A run that sent nothing ends, unless the agent says the .htaccess rules changed.
    assert.deepEqual(definition.States.AnythingSent.Choices, [
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
    ]);
    assert.equal(definition.States.GenerateListings.MaxConcurrency, 4);
    assert.equal(definition.States.Invalidate.MaxConcurrency, 1);
    const invalidateRetry = retries(definition.States.Invalidate.ItemProcessor.States.InvalidateBatch);
    assert.ok(invalidateRetry.some((r) => r.ErrorEquals.includes("TooManyInvalidationsInProgress")));
    // Every Retry and Catch, nested states included, says why it is there.
    const all: Array<{ Comment?: string }> = [];
    const collect = (states: Record<string, any>) => {
      for (const state of Object.values(states)) {
        all.push(...(state.Retry ?? []), ...(state.Catch ?? []));
        if (state.ItemProcessor) collect(state.ItemProcessor.States);
      }
    };
    collect(definition.States);
    assert.equal(all.length, 9, "3 on AwaitApplied, 1 on each other step, 2 on InvalidateBatch");
    for (const rule of all) assert.ok((rule.Comment ?? "").length > 20, JSON.stringify(rule));
    assert.deepEqual(machine.TracingConfiguration, { Enabled: true });
    assert.equal(machine.LoggingConfiguration.Level, "ALL");
  });

  test("Restore: start, pages in a bounded Map (site or host), finish; every Retry says why", () => {
    const machine = resource(prodTemplate, "AWS::StepFunctions::StateMachine", "WorkflowsRestore").props;
    const definition = JSON.parse(resolveJoin(machine.DefinitionString));
    assert.deepEqual(Object.keys(definition.States), ["StartRestore", "Target", "SitePages", "HostPages", "Finish"]);
    assert.deepEqual(definition.States.Target.Choices, [
      { Variable: "$.restore.target", StringEquals: "host", Next: "HostPages" },
    ]);
    for (const map of ["SitePages", "HostPages"]) {
      assert.equal(definition.States[map].Type, "Map");
      assert.equal(definition.States[map].MaxConcurrency, 4);
    }
    const rules = [
      ...definition.States.StartRestore.Retry,
      ...definition.States.Finish.Retry,
      ...definition.States.SitePages.ItemProcessor.States.RestoreSitePage.Retry,
      ...definition.States.HostPages.ItemProcessor.States.PlanHostPage.Retry,
    ];
    for (const rule of rules) assert.ok(rule.Comment.length > 20);
    assert.deepEqual(machine.TracingConfiguration, { Enabled: true });
    const plans = resource(prodTemplate, "AWS::SQS::Queue", "WorkflowsRestoreHostPlans").props;
    assert.equal(plans.SqsManagedSseEnabled, true);
  });

  test("workflow functions: ARM, Node.js 22, one bundle per workflow with one handler each", () => {
    const handlers = Object.values(prodTemplate.findResources("AWS::Lambda::Function"))
      .map((r) => (r as { Properties: { Handler: string; Runtime: string; Architectures: string[] } }).Properties)
      .filter((p) => p.Handler !== "index.handler");
    assert.deepEqual(handlers.map((p) => p.Handler).sort(), [
      "index.awaitRun",
      "index.finish",
      "index.generateListings",
      "index.hostPage",
      "index.invalidate",
      "index.planInvalidations",
      "index.planListings",
      "index.sitePage",
      "index.start",
      "index.watch",
    ]);
    for (const p of handlers) {
      assert.equal(p.Runtime, "nodejs22.x");
      assert.deepEqual(p.Architectures, ["arm64"]);
    }
  });

  test(`CloudFront: origin access control, HTTPS, the directory functions, the site's 404 page for missing \
keys, the custom domain`, () => {
    const dist = resource(prodTemplate, "AWS::CloudFront::Distribution", "CdnDistribution").props.DistributionConfig;
    assert.deepEqual(dist.Aliases, ["www.example.com"]);
    assert.equal(dist.ViewerCertificate.MinimumProtocolVersion, "TLSv1.2_2021");
    assert.equal(dist.DefaultRootObject, "index.html");
    assert.equal(dist.DefaultCacheBehavior.ViewerProtocolPolicy, "redirect-to-https");
    const index = resource(prodTemplate, "AWS::CloudFront::Function", "CdnDirectoryIndex");
    const marker = resource(prodTemplate, "AWS::CloudFront::Function", "CdnDirectoryMarker");
    assert.deepEqual(dist.DefaultCacheBehavior.FunctionAssociations, [
      { EventType: "viewer-request", FunctionARN: { "Fn::GetAtt": [index.id, "FunctionARN"] } },
      { EventType: "viewer-response", FunctionARN: { "Fn::GetAtt": [marker.id, "FunctionARN"] } },
    ]);
    for (const fn of [index, marker]) assert.equal(fn.props.FunctionConfig.Runtime, "cloudfront-js-2.0");
    // The deployed code is the files the local server runs.
    assert.equal(index.props.FunctionCode, readFileSync(DIRECTORY_INDEX_SOURCE, "utf8"));
    assert.equal(marker.props.FunctionCode, readFileSync(DIRECTORY_MARKER_SOURCE, "utf8"));
    const kvs = resource(prodTemplate, "AWS::CloudFront::KeyValueStore", "CdnEdgeRules");
    assert.deepEqual(index.props.FunctionConfig.KeyValueStoreAssociations, [
      { KeyValueStoreARN: { "Fn::GetAtt": [kvs.id, "Arn"] } },
    ]);
    // S3 behind origin access control answers a missing key with 403 (404 only to who may list the bucket).
    assert.deepEqual(dist.CustomErrorResponses, [
      { ErrorCachingMinTTL: 60, ErrorCode: 403, ResponseCode: 404, ResponsePagePath: "/.sitesync/404.html" },
      { ErrorCachingMinTTL: 60, ErrorCode: 404, ResponseCode: 404, ResponsePagePath: "/.sitesync/404.html" },
    ]);
    const oacId = resource(prodTemplate, "AWS::CloudFront::OriginAccessControl", "Cdn").id;
    assert.deepEqual(dist.Origins[0].OriginAccessControlId, { "Fn::GetAtt": [oacId, "Id"] });
    assert.equal(dist.Logging.Prefix, "cloudfront/");
    const sitePolicy = resource(prodTemplate, "AWS::S3::BucketPolicy", "StorageSite").props.PolicyDocument.Statement;
    const distId = resource(prodTemplate, "AWS::CloudFront::Distribution", "CdnDistribution").id;
    assert.equal(sitePolicy.length, 2, "TLS only, and reads by this distribution");
    assert.deepEqual(sitePolicy[1], {
      Action: "s3:GetObject",
      Condition: {
        StringEquals: {
          "AWS:SourceArn": {
            "Fn::Join": [
              "",
              [
                "arn:",
                { Ref: "AWS::Partition" },
                ":cloudfront::",
                { Ref: "AWS::AccountId" },
                ":distribution/",
                { Ref: distId },
              ],
            ],
          },
        },
      },
      Effect: "Allow",
      Principal: { Service: "cloudfront.amazonaws.com" },
      Resource: objects(resource(prodTemplate, "AWS::S3::Bucket", "StorageSite").id),
    });
  });

  test(`alarms: dead letters, oldest manifest age, apply lag, failed files, each workflow's failures, a silent \
agent, all to the topic`, () => {
    const topicId = resource(prodTemplate, "AWS::SNS::Topic", "AlarmsTopic").id;
    const alarms = prodTemplate.findResources("AWS::CloudWatch::Alarm");
    assert.equal(Object.keys(alarms).length, 8);
    for (const alarm of Object.values(alarms) as Array<{ Properties: { AlarmActions: unknown[] } }>) {
      assert.deepEqual(alarm.Properties.AlarmActions, [{ Ref: topicId }]);
    }
    const dlqAlarm = resource(prodTemplate, "AWS::CloudWatch::Alarm", "AlarmsDeadLetters").props;
    assert.equal(dlqAlarm.MetricName, "ApproximateNumberOfMessagesVisible");
    assert.equal(dlqAlarm.Threshold, 0);
    assert.deepEqual(dlqAlarm.Dimensions, [
      {
        Name: "QueueName",
        Value: { "Fn::GetAtt": [resource(prodTemplate, "AWS::SQS::Queue", "QueueDeadLetters").id, "QueueName"] },
      },
    ]);
    assert.equal(
      resource(prodTemplate, "AWS::CloudWatch::Alarm", "AlarmsOldestManifest").props.MetricName,
      "ApproximateAgeOfOldestMessage",
    );
    prodTemplate.hasResourceProperties("AWS::SNS::Subscription", { Protocol: "email", Endpoint: "ops@example.com" });
  });

  test("the watchdog: every 15 minutes, reads only the index, alarms when the agent has not finished a run", () => {
    const silent = resource(prodTemplate, "AWS::CloudWatch::Alarm", "WatchdogNoRecentRun").props;
    assert.equal(silent.Namespace, "sitesync");
    assert.equal(silent.MetricName, "MinutesSinceLastRun");
    assert.deepEqual(silent.Dimensions, [
      { Name: "Environment", Value: "prod" },
      { Name: "service", Value: "watchdog" },
    ]);
    assert.equal(silent.Threshold, 120);
    assert.equal(silent.ComparisonOperator, "GreaterThanThreshold");
    const rule = resource(prodTemplate, "AWS::Events::Rule", "WatchdogSchedule").props;
    assert.equal(rule.ScheduleExpression, "rate(15 minutes)");
    const fn = resource(prodTemplate, "AWS::Lambda::Function", "WatchdogWatch");
    assert.deepEqual(rule.Targets[0].Arn, { "Fn::GetAtt": [fn.id, "Arn"] });
    const role = resource(prodTemplate, "AWS::IAM::Policy", "WatchdogWatchRole");
    const statements = role.props.PolicyDocument.Statement as Array<{ Sid?: string; Action: string | string[] }>;
    assert.deepEqual(statements.find((s) => s.Sid === "ReadLastRuns")?.Action, "dynamodb:Query");
  });

  test("outputs carry what the agent's configuration needs", () => {
    const outputs = Object.keys(prodTemplate.toJSON().Outputs);
    for (const name of [
      "Region",
      "SiteBucket",
      "VersionBucket",
      "IndexTable",
      "ManifestQueueUrl",
      "PostSyncStateMachineArn",
      "AgentInstanceProfile",
      "DistributionId",
      "DistributionDomain",
    ]) {
      assert.ok(outputs.includes(name), name);
    }
  });
});

describe("the exact statements of every policy", () => {
  const ids = {
    table: resource(prodTemplate, "AWS::DynamoDB::Table", "StorageIndex").id,
    site: resource(prodTemplate, "AWS::S3::Bucket", "StorageSite").id,
    versions: resource(prodTemplate, "AWS::S3::Bucket", "StorageVersions").id,
    queue: resource(prodTemplate, "AWS::SQS::Queue", "QueueManifests").id,
    logs: resource(prodTemplate, "AWS::Logs::LogGroup", "ApplyLogs").id,
    deadLetters: resource(prodTemplate, "AWS::SQS::Queue", "QueueDeadLetters").id,
  };

  test(`apply function: its logs, the index, staged bytes, the site, the manifest queue, \
the DLQ — nothing more`, () => {
    const policy = resource(prodTemplate, "AWS::IAM::Policy", "ApplyRole").props.PolicyDocument.Statement;
    assert.deepEqual(policy, [
      {
        Sid: "WriteOwnLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        // A log group's Fn::GetAtt Arn ends in ":*": its streams.
        Resource: getAtt(ids.logs),
      },
      {
        Sid: "ReadAndRecordIndex",
        Effect: "Allow",
        Action: ["dynamodb:BatchGetItem", "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:UpdateItem"],
        Resource: getAtt(ids.table),
      },
      { Sid: "ReadStagedBytes", Effect: "Allow", Action: "s3:GetObject", Resource: objects(ids.versions) },
      {
        Sid: "PublishSite",
        Effect: "Allow",
        Action: ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:PutObject"],
        Resource: objects(ids.site),
      },
      // HEAD for the version check (a missing key answers 404 only to a caller that may list the bucket), and
      // reads of adopted objects, which are the source of their own rewrite copies.
      { Sid: "CheckSite", Effect: "Allow", Action: "s3:GetObject", Resource: objects(ids.site) },
      { Sid: "TellMissingObjects", Effect: "Allow", Action: "s3:ListBucket", Resource: getAtt(ids.site) },
      // A manifest that can never apply is parked at once rather than retried maxReceiveCount times.
      { Sid: "ParkPoisonManifests", Effect: "Allow", Action: "sqs:SendMessage", Resource: getAtt(ids.deadLetters) },
      // The event source mapping's own calls, no more (CDK's SqsEventSource would add ChangeMessageVisibility
      // and GetQueueUrl).
      {
        Sid: "PollManifests",
        Effect: "Allow",
        Action: ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"],
        Resource: getAtt(ids.queue),
      },
    ]);
    const role = resource(prodTemplate, "AWS::IAM::Role", "ApplyRole").props;
    assert.deepEqual(role.AssumeRolePolicyDocument.Statement, [
      { Action: "sts:AssumeRole", Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" } },
    ]);
    assert.equal(role.ManagedPolicyArns, undefined, "no managed policies");
  });

  test("agent: index, staging under packs/ and objects/, manifests, restore reads, listings — nothing more", () => {
    const policy = resource(prodTemplate, "AWS::IAM::ManagedPolicy", "AgentPolicy").props.PolicyDocument.Statement;
    assert.deepEqual(policy, [
      {
        Sid: "ReadAndWriteIndex",
        Effect: "Allow",
        Action: [
          "dynamodb:BatchGetItem",
          "dynamodb:BatchWriteItem",
          "dynamodb:DescribeTable",
          "dynamodb:GetItem",
          "dynamodb:PutItem",
          "dynamodb:Query",
          "dynamodb:UpdateItem",
        ],
        Resource: getAtt(ids.table),
      },
      {
        Sid: "StageBytes",
        Effect: "Allow",
        Action: ["s3:AbortMultipartUpload", "s3:PutObject"],
        Resource: [objects(ids.versions, "/objects/*"), objects(ids.versions, "/packs/*")],
      },
      { Sid: "RecordRunChanges", Effect: "Allow", Action: "s3:PutObject", Resource: objects(ids.versions, "/runs/*") },
      { Sid: "SendManifests", Effect: "Allow", Action: "sqs:SendMessage", Resource: getAtt(ids.queue) },
      {
        Sid: "ReadVersionsForRestore",
        Effect: "Allow",
        Action: "s3:GetObject",
        Resource: [objects(ids.site), objects(ids.versions, "/objects/*"), objects(ids.versions, "/packs/*")],
      },
      { Sid: "ListSiteForAdoption", Effect: "Allow", Action: "s3:ListBucket", Resource: getAtt(ids.site) },
      {
        Sid: "TakeRestorePlans",
        Effect: "Allow",
        Action: ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:ReceiveMessage"],
        Resource: getAtt(resource(prodTemplate, "AWS::SQS::Queue", "WorkflowsRestoreHostPlans").id),
      },
      {
        Sid: "StartPostSync",
        Effect: "Allow",
        Action: "states:StartExecution",
        Resource: { Ref: resource(prodTemplate, "AWS::StepFunctions::StateMachine", "WorkflowsPostSync").id },
      },
      {
        Sid: "ReadQueueDepth",
        Effect: "Allow",
        Action: "sqs:GetQueueAttributes",
        Resource: [getAtt(ids.deadLetters), getAtt(ids.queue)],
      },
      {
        Sid: "RedriveDeadLetters",
        Effect: "Allow",
        Action: ["sqs:DeleteMessage", "sqs:ReceiveMessage"],
        Resource: getAtt(ids.deadLetters),
      },
      {
        Sid: "ListWorkflowExecutions",
        Effect: "Allow",
        Action: "states:ListExecutions",
        Resource: [
          { Ref: resource(prodTemplate, "AWS::StepFunctions::StateMachine", "WorkflowsPostSync").id },
          { Ref: resource(prodTemplate, "AWS::StepFunctions::StateMachine", "WorkflowsRestore").id },
        ],
      },
      {
        Sid: "ReadPostSyncResults",
        Effect: "Allow",
        Action: "states:DescribeExecution",
        Resource: {
          "Fn::Join": [
            "",
            [
              "arn:aws:states:eu-west-1:222222222222:execution:",
              {
                "Fn::GetAtt": [
                  resource(prodTemplate, "AWS::StepFunctions::StateMachine", "WorkflowsPostSync").id,
                  "Name",
                ],
              },
              ":*",
            ],
          ],
        },
      },
    ]);
    const role = resource(prodTemplate, "AWS::IAM::Role", "AgentRole").props;
    assert.deepEqual(role.AssumeRolePolicyDocument.Statement, [
      { Action: "sts:AssumeRole", Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" } },
    ]);
    assert.deepEqual(role.ManagedPolicyArns, [
      { Ref: resource(prodTemplate, "AWS::IAM::ManagedPolicy", "AgentPolicy").id },
    ]);
    prodTemplate.resourceCountIs("AWS::IAM::User", 0);
  });

  test("an agent outside AWS gets an IAM user with the same policy and no access key", () => {
    const t = synth(environment("prod", (env) => (env.agent = { kind: "user", noRunAlarmMinutes: 120 })));
    t.resourceCountIs("AWS::IAM::User", 1);
    t.resourceCountIs("AWS::IAM::AccessKey", 0);
    t.resourceCountIs("AWS::IAM::InstanceProfile", 0);
    t.hasResourceProperties("AWS::IAM::User", { ManagedPolicyArns: [{ Ref: Match.stringLikeRegexp("^AgentPolicy") }] });
  });

  test("PostSync steps: each function reaches only what its step needs", () => {
    const logs = (prefix: string) => resource(prodTemplate, "AWS::Logs::LogGroup", `WorkflowsPostSync${prefix}Logs`).id;
    const own = (prefix: string) => ({
      Sid: "WriteOwnLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: getAtt(logs(prefix)),
    });
    const runs = objects(ids.versions, "/runs/*");
    // A missing edge rules file must answer NoSuchKey (404), which S3 does only to a caller that may list.
    const listVersions = {
      Sid: "TellMissingEdgeRules",
      Effect: "Allow",
      Action: "s3:ListBucket",
      Resource: getAtt(ids.versions),
    };
    const expected: Record<string, unknown[]> = {
      AwaitRun: [
        own("AwaitRun"),
        {
          Sid: "ReadRun",
          Effect: "Allow",
          Action: ["dynamodb:GetItem", "dynamodb:Query"],
          Resource: getAtt(ids.table),
        },
      ],
      PlanListings: [
        own("PlanListings"),
        { Sid: "RunArtifacts", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: runs },
        listVersions,
        {
          Sid: "ReadIndexForEdge",
          Effect: "Allow",
          Action: ["dynamodb:GetItem", "dynamodb:Query"],
          Resource: getAtt(ids.table),
        },
        { Sid: "ReadErrorPageSource", Effect: "Allow", Action: "s3:GetObject", Resource: objects(ids.site) },
        { Sid: "ListSite", Effect: "Allow", Action: "s3:ListBucket", Resource: getAtt(ids.site) },
        { Sid: "WriteErrorPage", Effect: "Allow", Action: "s3:PutObject", Resource: objects(ids.site, "/.sitesync/*") },
        {
          Sid: "WriteEdgeRedirects",
          Effect: "Allow",
          Action: [
            "cloudfront-keyvaluestore:DescribeKeyValueStore",
            "cloudfront-keyvaluestore:ListKeys",
            "cloudfront-keyvaluestore:UpdateKeys",
          ],
          Resource: getAtt(resource(prodTemplate, "AWS::CloudFront::KeyValueStore", "CdnEdgeRules").id),
        },
      ],
      GenerateListings: [
        own("GenerateListings"),
        { Sid: "RunArtifacts", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: runs },
        listVersions,
        {
          Sid: "ReadAndRecordListings",
          Effect: "Allow",
          Action: [
            "dynamodb:BatchGetItem",
            "dynamodb:DeleteItem",
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:Query",
          ],
          Resource: getAtt(ids.table),
        },
        {
          Sid: "WriteListingsAndMarkers",
          Effect: "Allow",
          Action: ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
          Resource: objects(ids.site),
        },
        { Sid: "ListSite", Effect: "Allow", Action: "s3:ListBucket", Resource: getAtt(ids.site) },
        {
          Sid: "ReadStagedPages",
          Effect: "Allow",
          Action: "s3:GetObject",
          Resource: [objects(ids.versions, "/objects/*"), objects(ids.versions, "/packs/*")],
        },
      ],
      PlanInvalidations: [
        own("PlanInvalidations"),
        { Sid: "RunArtifacts", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: runs },
      ],
      Invalidate: [
        own("Invalidate"),
        { Sid: "ReadPlan", Effect: "Allow", Action: "s3:GetObject", Resource: runs },
        {
          Sid: "Invalidate",
          Effect: "Allow",
          Action: "cloudfront:CreateInvalidation",
          Resource: {
            "Fn::Join": [
              "",
              [
                "arn:aws:cloudfront::222222222222:distribution/",
                { Ref: resource(prodTemplate, "AWS::CloudFront::Distribution", "CdnDistribution").id },
              ],
            ],
          },
        },
      ],
    };
    for (const [step, statements] of Object.entries(expected)) {
      assert.deepEqual(
        resource(prodTemplate, "AWS::IAM::Policy", `WorkflowsPostSync${step}Role`).props.PolicyDocument.Statement,
        statements,
        step,
      );
    }
  });

  test("Restore steps: each function reaches only what its step needs", () => {
    const logs = (prefix: string) => resource(prodTemplate, "AWS::Logs::LogGroup", `WorkflowsRestore${prefix}Logs`).id;
    const own = (prefix: string) => ({
      Sid: "WriteOwnLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: getAtt(logs(prefix)),
    });
    const runs = objects(ids.versions, "/runs/*");
    const plans = getAtt(resource(prodTemplate, "AWS::SQS::Queue", "WorkflowsRestoreHostPlans").id);
    const expected: Record<string, unknown[]> = {
      Start: [
        own("Start"),
        { Sid: "ReadIndex", Effect: "Allow", Action: "dynamodb:Query", Resource: getAtt(ids.table) },
        { Sid: "WritePages", Effect: "Allow", Action: "s3:PutObject", Resource: runs },
      ],
      SitePage: [
        own("SitePage"),
        {
          Sid: "ReadAndWriteIndex",
          Effect: "Allow",
          Action: ["dynamodb:BatchWriteItem", "dynamodb:Query", "dynamodb:UpdateItem"],
          Resource: getAtt(ids.table),
        },
        { Sid: "RunArtifacts", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: runs },
        { Sid: "SendManifests", Effect: "Allow", Action: "sqs:SendMessage", Resource: getAtt(ids.queue) },
      ],
      HostPage: [
        own("HostPage"),
        { Sid: "ReadIndex", Effect: "Allow", Action: "dynamodb:Query", Resource: getAtt(ids.table) },
        { Sid: "ReadPages", Effect: "Allow", Action: "s3:GetObject", Resource: runs },
        { Sid: "SendPlans", Effect: "Allow", Action: "sqs:SendMessage", Resource: plans },
      ],
      Finish: [
        own("Finish"),
        { Sid: "RecordRun", Effect: "Allow", Action: "dynamodb:PutItem", Resource: getAtt(ids.table) },
        {
          Sid: "StartPostSync",
          Effect: "Allow",
          Action: "states:StartExecution",
          Resource: { Ref: resource(prodTemplate, "AWS::StepFunctions::StateMachine", "WorkflowsPostSync").id },
        },
      ],
    };
    for (const [step, statements] of Object.entries(expected)) {
      assert.deepEqual(
        resource(prodTemplate, "AWS::IAM::Policy", `WorkflowsRestore${step}Role`).props.PolicyDocument.Statement,
        statements,
        step,
      );
    }
  });

  test(`workflows: log delivery and X-Ray (no resource-level permissions exist), \
and PostSync invokes its five functions`, () => {
    for (const [workflow, steps] of [
      ["PostSync", ["AwaitRun", "PlanListings", "GenerateListings", "PlanInvalidations", "Invalidate"]],
      ["Restore", ["Start", "SitePage", "HostPage", "Finish"]],
    ] as const) {
      const [delivery, invokes] = resource(prodTemplate, "AWS::IAM::Policy", `Workflows${workflow}StateMachineRole`)
        .props.PolicyDocument.Statement;
      const fnIds = steps.map(
        (step) => resource(prodTemplate, "AWS::Lambda::Function", `Workflows${workflow}${step}`).id,
      );
      // The unqualified functions only: the Task states name no version or alias.
      assert.deepEqual(invokes, {
        Effect: "Allow",
        Action: "lambda:InvokeFunction",
        Resource: fnIds.sort().map(getAtt),
      });
      assert.deepEqual(delivery, {
        Effect: "Allow",
        Action: [
          "logs:CreateLogDelivery",
          "logs:DeleteLogDelivery",
          "logs:DescribeLogGroups",
          "logs:DescribeResourcePolicies",
          "logs:GetLogDelivery",
          "logs:ListLogDeliveries",
          "logs:PutResourcePolicy",
          "logs:UpdateLogDelivery",
          "xray:GetSamplingRules",
          "xray:GetSamplingTargets",
          "xray:PutTelemetryRecords",
          "xray:PutTraceSegments",
        ],
        Resource: "*",
      });
    }
  });

  test("an imported distribution reads the site bucket through exactly that distribution", () => {
    const t = synth(
      environment(
        "prod",
        (env) =>
          (env.distribution = {
            kind: "imported",
            distributionId: "E2QWRUHAPOMQZL",
            domainName: "d111111abcdef8.cloudfront.net",
          }),
      ),
    );
    t.resourceCountIs("AWS::CloudFront::Distribution", 0);
    // The functions and the key value store are made to be associated by hand (README, Deploying).
    t.resourceCountIs("AWS::CloudFront::Function", 2);
    t.resourceCountIs("AWS::CloudFront::KeyValueStore", 1);
    const statements = resource(t, "AWS::S3::BucketPolicy", "StorageSite").props.PolicyDocument.Statement;
    assert.deepEqual(statements[1], {
      Sid: "CloudFrontReadsSite",
      Effect: "Allow",
      Principal: { Service: "cloudfront.amazonaws.com" },
      Action: "s3:GetObject",
      Resource: objects(resource(t, "AWS::S3::Bucket", "StorageSite").id),
      Condition: { StringEquals: { "AWS:SourceArn": "arn:aws:cloudfront::222222222222:distribution/E2QWRUHAPOMQZL" } },
    });
  });
});
