// Where state lives: the site bucket CloudFront serves, the version store the agent stages bytes in, the
// index table, and the bucket that receives access logs of both buckets and the distribution.
import { Duration, RemovalPolicy } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as s3 from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";
import type { EnvironmentConfig } from "./environment-config.ts";
import { acknowledge } from "./nag.ts";

export class Storage extends Construct {
  readonly logsBucket: s3.Bucket;
  readonly siteBucket: s3.Bucket;
  readonly versionBucket: s3.Bucket;
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, env: EnvironmentConfig) {
    super(scope, id);
    const removalPolicy = env.stage === "prod" ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const secure = {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      removalPolicy,
    };

    this.logsBucket = new s3.Bucket(this, "AccessLogs", {
      ...secure,
      // CloudFront standard logging writes with ACLs, so this bucket must accept object-writer ACLs.
      objectOwnership: s3.ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ id: "expire-logs", expiration: Duration.days(Math.max(90, env.retentionDays)) }],
    });
    acknowledge(
      this.logsBucket,
      "AwsSolutions-S1",
      "This is the access-log bucket itself; logging it into itself would loop.",
    );

    this.siteBucket = new s3.Bucket(this, "Site", {
      ...secure,
      // Versioning is the safety net under the pipeline's own version store: an overwrite or delete by
      // mistake can still be undone by hand for the retention period.
      versioned: true,
      lifecycleRules: [
        { id: "expire-noncurrent", noncurrentVersionExpiration: Duration.days(env.retentionDays) },
        { id: "abort-incomplete-uploads", abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      serverAccessLogsBucket: this.logsBucket,
      serverAccessLogsPrefix: "site/",
    });

    this.versionBucket = new s3.Bucket(this, "Versions", {
      ...secure,
      // Keys here are never overwritten (run id in every key), so object versioning would add nothing.
      versioned: false,
      lifecycleRules: [
        { id: "restore-retention", expiration: Duration.days(env.retentionDays) },
        { id: "abort-incomplete-uploads", abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      serverAccessLogsBucket: this.logsBucket,
      serverAccessLogsPrefix: "versions/",
    });

    this.table = new dynamodb.Table(this, "Index", {
      partitionKey: { name: "pk", type: dynamodb.AttributeType.STRING },
      sortKey: { name: "sk", type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: env.stage === "prod",
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy,
    });
  }
}
