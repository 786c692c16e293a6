// Every state machine of every environment's template, validated as Amazon States Language by asl-validator
// (its JSON schemas, JSONPath syntax, transitions, terminal states, Task resource ARNs): zero findings. Every
// Task bounded by its function's timeout; the listing pages' loop run by the local executor.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { DEFAULT_ENVIRONMENTS_FILE } from "../../lib/environment-config.ts";
import { executeDefinition, workflowDefinition } from "../../local/state-machines.ts";
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

/** Every Task state of a definition, Map iterators included. */
function taskStates(states: Record<string, Record<string, unknown>>): Array<[string, Record<string, unknown>]> {
  return Object.entries(states).flatMap(([name, state]) => {
    const inner = (state.ItemProcessor as { States?: Record<string, Record<string, unknown>> } | undefined)?.States;
    return [
      ...(state.Type === "Task" ? [[name, state] as [string, Record<string, unknown>]] : []),
      ...taskStates(inner ?? {}),
    ];
  });
}

describe("Task timeouts", () => {
  // The service's default is a year: an invocation that never answers would hold the execution that long.
  test("every Task state ends a minute after its function's own timeout", async () => {
    const template = await synthesizeTemplate(environment("prod"));
    const machines = Object.values(template.Resources).filter((r) => r.Type === "AWS::StepFunctions::StateMachine");
    let tasks = 0;
    for (const machine of machines) {
      const definition = JSON.parse(resolve(machine.Properties?.DefinitionString, environment("prod"))) as {
        States: Record<string, Record<string, unknown>>;
      };
      for (const [name, state] of taskStates(definition.States)) {
        const arn = String((state.Parameters as { FunctionName: string }).FunctionName);
        const fn = template.Resources[arn.slice(arn.lastIndexOf(":") + 1)];
        assert.equal(fn?.Type, "AWS::Lambda::Function", name);
        assert.equal(state.TimeoutSeconds, Number(fn?.Properties?.Timeout) + 60, name);
        tasks++;
      }
    }
    assert.ok(tasks >= 10, `${tasks} Task states`);
  });
});

describe("PostSync's listing pages", () => {
  test("a page goes on in another invocation until the step says it is done, each page on its own", async () => {
    const { definition } = workflowDefinition(await synthesizeTemplate(environment("local")), "PostSync");
    const invocations: Array<{ page: number; from: number }> = [];
    const result = await executeDefinition(
      definition,
      { runId: "20261202T000000000Z-aaaaaa" },
      {
        WorkflowsPostSyncAwaitRun: async () => ({
          runId: "20261202T000000000Z-aaaaaa",
          prefix: "",
          sent: 5,
          changePages: 1,
          partial: false,
        }),
        WorkflowsPostSyncPlanListings: async () => ({ pages: [0, 1], directories: 350 }),
        // Page 0 takes three invocations, page 1 one.
        WorkflowsPostSyncGenerateListings: async (payload) => {
          const { page, from } = payload as { page: number; from: number };
          invocations.push({ page, from });
          const next = page === 0 && from < 100 ? from + 50 : null;
          return { outcomes: { written: 1, unchanged: 0, removed: 0, "real-page": 0, empty: 0 }, next };
        },
        WorkflowsPostSyncPlanInvalidations: async () => ({ batches: [], paths: 0, requested: 0 }),
        WorkflowsPostSyncInvalidate: async () => assert.fail("no batch to invalidate"),
      },
    );
    assert.equal(result.status, "SUCCEEDED", JSON.stringify(result));
    assert.deepEqual(
      invocations.sort((a, b) => a.page - b.page || a.from - b.from),
      [
        { page: 0, from: 0 },
        { page: 0, from: 50 },
        { page: 0, from: 100 },
        { page: 1, from: 0 },
      ],
    );
  });
});
