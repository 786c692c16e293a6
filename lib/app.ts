// Builds the CDK app for one environment (`-c env=NAME`), with the cdk-nag AwsSolutions checks applied.
import { App, Validations, type AppProps } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { loadEnvironment, type EnvironmentConfig } from "./environment-config.ts";
import { SiteSyncStack } from "./sitesync-stack.ts";

export function stackName(env: EnvironmentConfig): string {
  return `sitesync-${env.name}`;
}

export function buildApp(env: EnvironmentConfig, appOrProps: App | AppProps = {}): { app: App; stack: SiteSyncStack } {
  const app = appOrProps instanceof App ? appOrProps : new App(appOrProps);
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
