// CloudFront in front of the site bucket: a new distribution with origin access control, or an existing
// one imported by id (whose origin must use an origin access control for this bucket). A viewer-request
// function serves index.html for directory URLs.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Stack } from "aws-cdk-lib";
import * as acm from "aws-cdk-lib/aws-certificatemanager";
import * as cloudfront from "aws-cdk-lib/aws-cloudfront";
import * as origins from "aws-cdk-lib/aws-cloudfront-origins";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as s3 from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";
import { PROJECT_ROOT } from "./apply-function.ts";
import type { DistributionConfig } from "./environment-config.ts";
import { acknowledge } from "./nag.ts";

export const DIRECTORY_INDEX_SOURCE = join(PROJECT_ROOT, "lambdas/viewer-request/directory-index.js");

export class SiteDistribution extends Construct {
  readonly distribution: cloudfront.IDistribution;

  constructor(
    scope: Construct,
    id: string,
    config: Exclude<DistributionConfig, { kind: "none" }>,
    siteBucket: s3.Bucket,
    logsBucket: s3.IBucket,
  ) {
    super(scope, id);
    if (config.kind === "imported") {
      this.distribution = cloudfront.Distribution.fromDistributionAttributes(this, "Imported", {
        distributionId: config.distributionId,
        domainName: config.domainName,
      });
      // The imported distribution reads through its origin access control: allow exactly that distribution.
      siteBucket.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: "CloudFrontReadsSite",
          principals: [new iam.ServicePrincipal("cloudfront.amazonaws.com")],
          actions: ["s3:GetObject"],
          resources: [siteBucket.arnForObjects("*")],
          conditions: {
            StringEquals: {
              "AWS:SourceArn": `arn:aws:cloudfront::${Stack.of(this).account}:distribution/${config.distributionId}`,
            },
          },
        }),
      );
      return;
    }
    const directoryIndex = new cloudfront.Function(this, "DirectoryIndex", {
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      code: cloudfront.FunctionCode.fromInline(readFileSync(DIRECTORY_INDEX_SOURCE, "utf8")),
      comment: "Serve index.html for directory URLs",
    });
    const distribution = new cloudfront.Distribution(this, "Distribution", {
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(siteBucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        compress: true,
        functionAssociations: [{ function: directoryIndex, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }],
      },
      defaultRootObject: "index.html",
      priceClass:
        cloudfront.PriceClass[
          config.priceClass === "PriceClass_All"
            ? "PRICE_CLASS_ALL"
            : config.priceClass === "PriceClass_200"
              ? "PRICE_CLASS_200"
              : "PRICE_CLASS_100"
        ],
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      enableLogging: true,
      logBucket: logsBucket,
      logFilePrefix: "cloudfront/",
      ...(config.domainNames && config.certificateArn
        ? {
            domainNames: config.domainNames,
            minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            certificate: acm.Certificate.fromCertificateArn(this, "Certificate", config.certificateArn),
          }
        : {}),
    });
    this.distribution = distribution;
    acknowledge(distribution, "AwsSolutions-CFR1", "A public web site: visitors come from every country.");
    acknowledge(
      distribution,
      "AwsSolutions-CFR2",
      "A static site with no forms or APIs; a web ACL costs more than it protects. " +
        "Attach one per environment if required.",
    );
    if (!config.domainNames) {
      acknowledge(
        distribution,
        "AwsSolutions-CFR4",
        "Without a custom domain the distribution uses the default *.cloudfront.net certificate, " +
          "whose TLS policy CloudFront fixes.",
      );
    }
  }
}
