// `npm run build:agent`: the agent as one ES module file, for an FTP host that has Node.js 22 and nothing
// else — no npm, no build tools, no node_modules. Copy dist/sitesync.mjs and run `./sitesync.mjs sync …`.
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
import { createRequire } from "node:module";
import { build, type Plugin } from "esbuild";

const projectDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({ options: { out: { type: "string" } } });
const outFile = resolve(values.out ?? join(projectDir, "dist", "sitesync.mjs"));
mkdirSync(dirname(outFile), { recursive: true });

/**
 * `node:http` and `node:https` through require() instead of an ES import. An ES import of a built-in module
 * makes Node build a facade of all its exports, and reading node:http's lazy ones (WebSocket and friends) loads
 * the whole of Node's undici: 70–230 ms of every start, in the main thread and again in the agent's worker.
 * The bundle's banner defines `require`.
 */
const builtinsThroughRequire: Plugin = {
  name: "builtins-through-require",
  setup(b) {
    const cjs = createRequire(import.meta.url);
    b.onResolve({ filter: /^(node:)?https?$/ }, (args) =>
      // The module below's own require() is the real built-in.
      args.namespace === "builtin-through-require"
        ? { path: args.path, external: true }
        : { path: args.path.replace(/^node:/, ""), namespace: "builtin-through-require" },
    );
    b.onLoad({ filter: /.*/, namespace: "builtin-through-require" }, (args) => {
      const module = cjs(`node:${args.path}`) as Record<string, unknown>;
      // Only plain values: a getter would be read here, at load, which is what this plugin avoids.
      const names = Object.getOwnPropertyNames(module).filter(
        (name) => /^[A-Za-z_$][\w$]*$/.test(name) && "value" in Object.getOwnPropertyDescriptor(module, name)!,
      );
      return {
        contents:
          `const m = require("node:${args.path}");\nexport default m;\n` +
          names.map((name) => `export const ${name} = m.${name};`).join("\n"),
        loader: "js",
      };
    });
  },
};

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
  plugins: [builtinsThroughRequire],
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
