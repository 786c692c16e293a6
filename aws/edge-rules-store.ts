// The site's edge rules (core/edge-rules.ts) in the version store: the agent writes them, PostSync reads
// them. Apart from aws/edge-store.ts so the agent's bundle carries no key value store client.
import type { S3Client } from "@aws-sdk/client-s3";
import { checkContract, parseContract } from "../core/contracts/contract.ts";
import { type EdgeRules, edgeRulesContract } from "../core/edge-rules.ts";
import { putJson, readText } from "./version-store.ts";

/**
 * The agent writes the site's rules here when they change, before it starts PostSync (its role may put
 * runs/*, not read it), and again before the version store's expiry (agent/sync/htaccess-rules.ts); every
 * PostSync reads the newest. Absent (an agent that writes none): PostSync keeps the store and the listing
 * policy as they are and serves the default error page.
 */
export const EDGE_RULES_KEY = "runs/edge/rules.json";
/** The listing policy PostSync last applied, to find the directories whose listings a rule change affects. */
export const LISTING_POLICY_KEY = "runs/edge/listing-policy.json";

/** Writes the site's edge rules, checked against their contract first. */
export async function putEdgeRules(s3: S3Client, versionBucket: string, rules: EdgeRules): Promise<void> {
  checkContract(edgeRulesContract, rules, "the edge rules");
  await putJson(s3, versionBucket, EDGE_RULES_KEY, rules);
}

/** The site's edge rules, or undefined when the agent wrote none. */
export async function getEdgeRules(s3: S3Client, versionBucket: string): Promise<EdgeRules | undefined> {
  const raw = await getOptionalJson(s3, versionBucket, EDGE_RULES_KEY);
  return raw === undefined ? undefined : parseContract(edgeRulesContract, raw, EDGE_RULES_KEY);
}

export async function getOptionalJson(s3: S3Client, bucket: string, key: string): Promise<unknown> {
  try {
    return JSON.parse(await readText(s3, bucket, key));
  } catch (err) {
    const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === "NoSuchKey" || e.$metadata?.httpStatusCode === 404) return undefined;
    throw err;
  }
}
