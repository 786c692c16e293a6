// One owner for each concern: aws/ is the only code that talks to AWS (its adapters over the clients
// aws/clients.ts builds), so nothing in agent/, lambdas/, core/ or local/ may load the AWS SDK at run time —
// a type from it is fine. And core/ is the shared pure logic beneath everything, so it imports nothing
// from the layers above it.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const projectDir = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

function tsFiles(folder: string): string[] {
  return readdirSync(join(projectDir, folder), { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(".ts"))
    .map((name) => join(folder, name))
    .sort();
}

interface ModuleImport {
  specifier: string;
  line: number;
  /** Erased when the file runs: `import type`, `export type`, or a type query. */
  typeOnly: boolean;
}

/** Every module a file names: static imports and re-exports, import() calls and require() calls. */
function importsOf(file: string): ModuleImport[] {
  const text = readFileSync(join(projectDir, file), "utf8");
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: ModuleImport[] = [];
  const add = (node: ts.Node, specifier: ts.Expression | undefined, typeOnly: boolean) => {
    if (specifier && ts.isStringLiteralLike(specifier)) {
      const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
      found.push({ specifier: specifier.text, line, typeOnly });
    }
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      // `import { type A } from "x"` still loads "x" under verbatimModuleSyntax; only `import type` does not.
      add(node, node.moduleSpecifier, node.importClause?.isTypeOnly === true);
    } else if (ts.isExportDeclaration(node)) {
      add(node, node.moduleSpecifier, node.isTypeOnly);
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const loads =
        callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === "require");
      if (loads) add(node, node.arguments[0], false);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const isAwsSdk = (specifier: string) => specifier.startsWith("@aws-sdk/") || specifier.startsWith("@smithy/");

describe("layering", () => {
  const outsideAws = ["agent", "lambdas", "core", "local"].flatMap(tsFiles);

  test("the folders are read (the walk finds their files)", () => {
    for (const folder of ["agent/", "lambdas/", "core/", "local/"]) {
      assert.ok(
        outsideAws.some((f) => f.startsWith(folder)),
        `no .ts file found under ${folder}`,
      );
    }
  });

  test("only aws/ loads the AWS SDK: agent/, lambdas/, core/ and local/ import types from it at most", () => {
    const offences = outsideAws.flatMap((file) =>
      importsOf(file)
        .filter((i) => isAwsSdk(i.specifier) && !i.typeOnly)
        .map((i) => `${file}:${i.line} loads ${i.specifier} (use an adapter in aws/, or import type)`),
    );
    assert.deepEqual(offences, []);
  });

  test("core/ imports nothing outside core/", () => {
    const offences = tsFiles("core").flatMap((file) =>
      importsOf(file)
        .filter((i) => i.specifier.startsWith("."))
        .map((i) => ({ ...i, target: relative(projectDir, resolve(projectDir, dirname(file), i.specifier)) }))
        .filter((i) => !i.target.startsWith("core/"))
        .map((i) => `${file}:${i.line} imports ${i.target}`),
    );
    assert.deepEqual(offences, []);
  });
});
