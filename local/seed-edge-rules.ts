// Until the agent reads .htaccess files itself, the local stack does what it will do after a run: parse
// every .htaccess of the tree (core/htaccess.ts), build the edge rules (core/edge-rules.ts), store them as
// a run's artifact and let PostSync's publishEdge make them take effect (key value store, error page). The
// agent's version calls the same functions for its own run, before it starts PostSync.
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { putEdgeRules } from "../aws/edge-store.ts";
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

export interface SeededEdgeRules {
  runId: string;
  /** Directives not carried over, by file and line. */
  unsupported: Array<HtaccessProblem & { file: string }>;
  problems: EdgeProblem[];
}

export async function seedEdgeRules(stack: LocalStack, root: string, prefix = ""): Promise<SeededEdgeRules> {
  const files = await readHtaccessFiles(root);
  const { rules, problems } = buildEdgeRules(files, { prefix });
  const runId = newRunId();
  const d = stack.definition;
  await putEdgeRules(stack.clients.s3, d.versionBucket, runId, rules);
  const store = stack.postSync.keyValueStore;
  await publishEdge(
    { runId, prefix },
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
  const unsupported = files.flatMap((f) =>
    f.unsupported.map((u) => ({ ...u, file: `${f.dir === "" ? "" : `${f.dir}/`}.htaccess` })),
  );
  return { runId, unsupported, problems };
}
