// Builds the CDK app for one environment (`-c env=NAME`), with the cdk-nag AwsSolutions checks applied.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { App, Validations, type AppProps } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { PROJECT_ROOT } from "./apply-function.ts";
import { loadEnvironment, type EnvironmentConfig } from "./environment-config.ts";
import { SiteSyncStack } from "./sitesync-stack.ts";

/** Where the app's feature flags are: the context of cdk.json, as `cdk init` writes it. */
const CDK_JSON = join(PROJECT_ROOT, "cdk.json");

/** The feature flags of cdk.json (test/cdk/feature-flags.test.ts holds them to the recommended ones). */
export function featureFlags(): Record<string, unknown> {
  return (JSON.parse(readFileSync(CDK_JSON, "utf8")) as { context?: Record<string, unknown> }).context ?? {};
}

export function stackName(env: EnvironmentConfig): string {
  return `sitesync-${env.name}`;
}

export function buildApp(env: EnvironmentConfig, appOrProps: App | AppProps = {}): { app: App; stack: SiteSyncStack } {
  const app = appOrProps instanceof App ? appOrProps : new App(appOrProps);
  // The CLI passes cdk.json's context to the app; one built in process (tests, the local stack) reads it here.
  for (const [flag, value] of Object.entries(featureFlags())) {
    if (app.node.tryGetContext(flag) === undefined) app.node.setContext(flag, value);
  }
  const stack = new SiteSyncStack(app, stackName(env), {
    environment: env,
    env: { account: env.account, region: env.region },
    description: `sitesync (${env.name}): publishes the FTP-edited site to S3 and CloudFront`,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}

export function environmentFromContext(app: App): EnvironmentConfig {
  const name = app.node.tryGetContext("env") as string | undefined;
  if (!name) throw new Error("choose an environment: cdk synth -c env=NAME (see config/environments.json)");
  return loadEnvironment(name);
}
