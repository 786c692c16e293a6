// Every state machine of every environment's template, validated as Amazon States Language by asl-validator
// (its JSON schemas, JSONPath syntax, transitions, terminal states, Task resource ARNs): zero findings.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { DEFAULT_ENVIRONMENTS_FILE } from "../../lib/environment-config.ts";
import { synthesizeTemplate } from "../../local/template.ts";
import { environment } from "./support.ts";

type AslValidator = (
  definition: unknown,
  options: { checkPaths: boolean; checkArn: boolean },
) => { isValid: boolean; errorsText: (separator: string) => string };

// A CommonJS module without type declarations.
const validate = createRequire(import.meta.url)("asl-validator") as AslValidator;

const names = Object.keys(
  (JSON.parse(readFileSync(DEFAULT_ENVIRONMENTS_FILE, "utf8")) as { environments: object }).environments,
);

/**
 * The definition string with its CloudFormation tokens replaced as the deployment resolves them: a function's
 * Fn::GetAtt Arn becomes a Lambda ARN, the pseudo parameters the environment's values.
 */
function resolve(value: unknown, env: { account: string; region: string }): string {
  if (typeof value === "string") return value;
  const v = value as Record<string, unknown>;
  const join = v["Fn::Join"] as [string, unknown[]] | undefined;
  if (join) return join[1].map((part) => resolve(part, env)).join(join[0]);
  const getAtt = v["Fn::GetAtt"] as [string, string] | undefined;
  if (getAtt?.[1] === "Arn") return `arn:aws:lambda:${env.region}:${env.account}:function:${getAtt[0]}`;
  const pseudo: Record<string, string> = { "AWS::Partition": "aws", "AWS::Region": env.region };
  if (typeof v.Ref === "string" && pseudo[v.Ref]) return pseudo[v.Ref]!;
  throw new Error(`unexpected token in a state machine definition: ${JSON.stringify(value).slice(0, 200)}`);
}

/** Each state machine's definition in the environment's template (cached on disk: local/template.ts). */
async function definitions(name: string): Promise<Array<[string, Record<string, unknown>]>> {
  const env = environment(name);
  const template = await synthesizeTemplate(env);
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === "AWS::StepFunctions::StateMachine")
    .map(([id, r]) => [id, JSON.parse(resolve(r.Properties?.DefinitionString, env))]);
}

const options = { checkPaths: true, checkArn: true };

describe("Amazon States Language", () => {
  for (const name of names) {
    test(`environment ${name}: every state machine validates with no finding`, async () => {
      const machines = await definitions(name);
      assert.deepEqual(
        machines.map(([id]) => id.replace(/StateMachine.*/, "")),
        ["WorkflowsPostSync", "WorkflowsRestore"],
      );
      for (const [id, definition] of machines) {
        const result = validate(definition, options);
        assert.equal(result.errorsText("\n"), "", id);
        assert.ok(result.isValid, id);
      }
    });
  }

  test("the validator finds a transition to a state that does not exist", async () => {
    const [[, definition]] = (await definitions("local")) as [[string, { States: Record<string, object> }]];
    delete definition.States.Done;
    const result = validate(definition, options);
    assert.equal(result.isValid, false);
    assert.match(result.errorsText("\n"), /Done/);
  });
});
