// Prints the bundle size of every function in the synthesized app (`npm run synth` runs it after
// `cdk synth`): each must stay well under 1 MiB so cold starts stay short.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const outDir = process.argv[2] ?? "cdk.out";
const LIMIT = 1024 * 1024;
let failed = false;
for (const file of readdirSync(outDir).filter((f) => f.endsWith(".template.json"))) {
  const template = JSON.parse(readFileSync(join(outDir, file), "utf8")) as {
    Resources: Record<string, { Type: string; Metadata?: Record<string, string> }>;
  };
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== "AWS::Lambda::Function") continue;
    const assetPath = resource.Metadata?.["aws:asset:path"];
    if (!assetPath) continue;
    const dir = join(outDir, assetPath);
    const files = readdirSync(dir);
    const bytes = files.reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
    const gzipped = files.reduce((sum, f) => sum + gzipSync(readFileSync(join(dir, f))).length, 0);
    const verdict = bytes < LIMIT ? "ok" : "OVER 1 MiB";
    if (bytes >= LIMIT) failed = true;
    console.log(
      `${file.replace(".template.json", "")}  ${id.padEnd(44)} ${(bytes / 1024).toFixed(1).padStart(8)} KiB  ` +
        `(${(gzipped / 1024).toFixed(1)} KiB gzipped)  ${files.join(", ")}  ${verdict}`,
    );
  }
}
process.exitCode = failed ? 1 : 0;
