// Until the agent reads .htaccess files itself, the local stack does what it will do in a run: parse every
// .htaccess of the tree (core/htaccess.ts), build the edge rules (core/edge-rules.ts) and store them where
// PostSync reads them (writeEdgeRules, before the run); the run's PostSync makes them take effect. A run
// that sends nothing starts no PostSync, and the local key value store lives in memory, so `npm start`
// also publishes them directly (publishEdgeNow), as the PostSync the agent starts for changed rules would.
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { putEdgeRules } from "../aws/edge-rules-store.ts";
import { buildEdgeRules, type EdgeProblem } from "../core/edge-rules.ts";
import { type HtaccessProblem, type ParsedHtaccess, parseHtaccess } from "../core/htaccess.ts";
import { newRunId } from "../core/run-id.ts";
import { publishEdge } from "../lambdas/post-sync/publish-edge.ts";
import type { LocalStack } from "./stack.ts";

/** Every .htaccess under `root`, parsed (symbolic links are not followed, as the agent's scan does not). */
export async function readHtaccessFiles(root: string): Promise<ParsedHtaccess[]> {
  const files: ParsedHtaccess[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() && entry.name === ".htaccess") {
        files.push(parseHtaccess(await readFile(path, "utf8"), relative(root, dir).split("\\").join("/")));
      }
    }
  };
  await walk(root);
  return files;
}

export interface WrittenEdgeRules {
  /** Directives not carried over, by file and line. */
  unsupported: Array<HtaccessProblem & { file: string }>;
  problems: EdgeProblem[];
}

export async function writeEdgeRules(stack: LocalStack, root: string, prefix = ""): Promise<WrittenEdgeRules> {
  const files = await readHtaccessFiles(root);
  const { rules, problems } = buildEdgeRules(files, { prefix });
  await putEdgeRules(stack.clients.s3, stack.definition.versionBucket, rules);
  const unsupported = files.flatMap((f) =>
    f.unsupported.map((u) => ({ ...u, file: `${f.dir === "" ? "" : `${f.dir}/`}.htaccess` })),
  );
  return { unsupported, problems };
}

/** What PostSync's PlanListings does first: the stored rules to the key value store and the error page. */
export async function publishEdgeNow(stack: LocalStack, prefix = ""): Promise<void> {
  const d = stack.definition;
  const store = stack.postSync.keyValueStore;
  await publishEdge(
    { runId: newRunId(), prefix },
    {
      s3: stack.clients.s3,
      dynamodb: stack.clients.dynamodb,
      siteBucket: d.siteBucket,
      versionBucket: d.versionBucket,
      table: d.table,
      rules: d.publishRules,
      ...(store ? { keyValueStore: store } : {}),
    },
  );
}
