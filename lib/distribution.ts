// CloudFront in front of the site bucket: a new distribution with origin access control, or an existing
// one imported by id (whose origin must use an origin access control for this bucket). Serving as the old
// Apache host did:
//  - viewer request (lambdas/viewer-request/directory-index.js): the .htaccess redirects, from a key value
//    store PostSync fills; "/dir/" → "dir/index.html" (PostSync's directory page);
//  - viewer response (lambdas/viewer-request/directory-marker.js): "/dir" → 301 "/dir/" when the bucket
//    holds PostSync's directory marker at "dir"; an extensionless file (/LICENSE) is served as a file;
//  - custom error responses: S3 behind origin access control answers a missing key with 403 (404 only to a
//    caller that may list the bucket, which CloudFront may not), so both become the site's error page
//    (ERROR_PAGE_KEY, kept by PostSync) with status 404, for files and directories alike.
// An imported distribution gets the same functions and store, to associate by hand (README, Deploying).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Duration, Stack } from "aws-cdk-lib";
import * as acm from "aws-cdk-lib/aws-certificatemanager";
import * as cloudfront from "aws-cdk-lib/aws-cloudfront";
import * as origins from "aws-cdk-lib/aws-cloudfront-origins";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as s3 from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";
import { ERROR_PAGE_KEY } from "../core/edge-rules.ts";
import { PROJECT_ROOT } from "./apply-function.ts";
import type { DistributionConfig } from "./environment-config.ts";
import { acknowledge } from "./nag.ts";

export const DIRECTORY_INDEX_SOURCE = join(PROJECT_ROOT, "lambdas/viewer-request/directory-index.js");
export const DIRECTORY_MARKER_SOURCE = join(PROJECT_ROOT, "lambdas/viewer-request/directory-marker.js");
/** How long CloudFront caches a 404 for a URL: a page published meanwhile shows within a minute. */
export const ERROR_CACHING_SECONDS = 60;

export class SiteDistribution extends Construct {
  readonly distribution: cloudfront.IDistribution;
  /** The .htaccess redirects at the edge, written by PostSync (core/edge-rules.ts). */
  readonly keyValueStore: cloudfront.KeyValueStore;
  readonly directoryIndex: cloudfront.Function;
  readonly directoryMarker: cloudfront.Function;

  constructor(
    scope: Construct,
    id: string,
    config: Exclude<DistributionConfig, { kind: "none" }>,
    siteBucket: s3.Bucket,
    logsBucket: s3.IBucket,
  ) {
    super(scope, id);
    this.keyValueStore = new cloudfront.KeyValueStore(this, "EdgeRules", {
      comment: "sitesync: the site's .htaccess redirects (written by PostSync)",
    });
    this.directoryIndex = new cloudfront.Function(this, "DirectoryIndex", {
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      code: cloudfront.FunctionCode.fromInline(readFileSync(DIRECTORY_INDEX_SOURCE, "utf8")),
      comment: "sitesync: .htaccess redirects; /dir/ serves the directory's page",
      keyValueStore: this.keyValueStore,
    });
    this.directoryMarker = new cloudfront.Function(this, "DirectoryMarker", {
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      code: cloudfront.FunctionCode.fromInline(readFileSync(DIRECTORY_MARKER_SOURCE, "utf8")),
      comment: "sitesync: /dir redirects to /dir/ when dir is a directory",
    });
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
    const distribution = new cloudfront.Distribution(this, "Distribution", {
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(siteBucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        compress: true,
        functionAssociations: [
          { function: this.directoryIndex, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST },
          { function: this.directoryMarker, eventType: cloudfront.FunctionEventType.VIEWER_RESPONSE },
        ],
      },
      defaultRootObject: "index.html",
      errorResponses: [403, 404].map((httpStatus) => ({
        httpStatus,
        responseHttpStatus: 404,
        responsePagePath: `/${ERROR_PAGE_KEY}`,
        ttl: Duration.seconds(ERROR_CACHING_SECONDS),
      })),
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
