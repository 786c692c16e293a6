// What every step that publishes to the site works with: the clients, the two buckets, the index and the
// deployment's publish rules.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { S3Client } from "@aws-sdk/client-s3";
import type { PublishRules } from "../core/publish-rules.ts";

export interface SiteDeps {
  s3: S3Client;
  dynamodb: DynamoDBClient;
  siteBucket: string;
  versionBucket: string;
  table: string;
  rules: PublishRules;
}
