// Synthesizes environments for template assertions. Bundling is skipped (the bundle is measured by
// `npm run synth`); the cdk-nag AwsSolutions plugin runs on every synthesis and fails it on a finding.
import { Template } from "aws-cdk-lib/assertions";
import { buildApp } from "../../lib/app.ts";
import { loadEnvironment, type EnvironmentConfig } from "../../lib/environment-config.ts";

export function environment(name: string, change?: (env: EnvironmentConfig) => void): EnvironmentConfig {
  const env = loadEnvironment(name);
  change?.(env);
  return env;
}

export function synth(env: EnvironmentConfig): Template {
  const { stack } = buildApp(env, { context: { "aws:cdk:bundling-stacks": [] } });
  return Template.fromStack(stack);
}

/** The single resource of a type whose logical id starts with `prefix`. */
export function resource(template: Template, type: string, prefix: string): { id: string; props: Record<string, any> } {
  const found = Object.entries(template.findResources(type)).filter(([id]) => id.startsWith(prefix));
  if (found.length !== 1) throw new Error(`expected one ${type} named ${prefix}*, found ${found.length}`);
  const [id, r] = found[0]!;
  return { id, props: (r as { Properties: Record<string, any> }).Properties };
}

export const getAtt = (id: string) => ({ "Fn::GetAtt": [id, "Arn"] });
export const objects = (id: string, suffix = "/*") => ({ "Fn::Join": ["", [getAtt(id), suffix]] });
