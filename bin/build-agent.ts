// `npm run build:agent`: the agent as one ES module file, for an FTP host that has Node.js 22 and nothing
// else — no npm, no build tools, no node_modules. Copy dist/sitesync.mjs and run `node sitesync.mjs sync …`.
//
//   node bin/build-agent.ts [--out FILE]      (default dist/sitesync.mjs)
//
// Everything is bundled, the SDK included, in the versions the lock file pins. The build fails if the CDK
// (lib/, aws-cdk-lib, constructs) finds its way in: the agent must never carry the infrastructure code.
import { chmodSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const projectDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({ options: { out: { type: "string" } } });
const outFile = resolve(values.out ?? join(projectDir, "dist", "sitesync.mjs"));
mkdirSync(dirname(outFile), { recursive: true });

const result = await build({
  entryPoints: [join(projectDir, "bin", "sitesync.ts")],
  outfile: outFile,
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node22",
  minify: true,
  // ES module builds of the SDK tree-shake; the CommonJS ones do not (as for the apply function).
  mainFields: ["module", "main"],
  // Some dependencies still call require(); give the ES module bundle one.
  banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
});

// Paths in the metafile are relative to the working directory; compare them from the project's root.
const forbidden = Object.keys(result.metafile.inputs)
  .map((input) => relative(projectDir, resolve(input)))
  .filter((input) => /^lib\/|node_modules\/(aws-cdk-lib|constructs|aws-cdk)\//.test(input));
if (forbidden.length > 0) {
  console.error(`build-agent: the bundle pulled in infrastructure code:\n  ${forbidden.slice(0, 10).join("\n  ")}`);
  process.exit(1);
}
chmodSync(outFile, 0o755);
const bytes = statSync(outFile).size;
const gzipped = gzipSync(readFileSync(outFile)).length;
const shown = relative(process.cwd(), outFile);
console.log(
  `${shown.startsWith("..") ? outFile : shown}  ${(bytes / 1024).toFixed(1)} KiB  ` +
    `(${(gzipped / 1024).toFixed(1)} KiB gzipped)`,
);
