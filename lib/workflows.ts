// The Step Functions workflows: PostSync (listings and invalidations after a run, lib/post-sync.ts) and
// Restore. JSONPath only, no variables: the local executor ignores JSONata and Assign, and the local stack
// runs these very definitions. Restore's task handlers arrive with issue #6; until then it fails at once
// with a cause that says so, rather than pretend to succeed.
import { Duration } from "aws-cdk-lib";
import * as logs from "aws-cdk-lib/aws-logs";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import type { IDistribution } from "aws-cdk-lib/aws-cloudfront";
import type { EnvironmentConfig } from "./environment-config.ts";
import { acknowledge } from "./nag.ts";
import { PostSync } from "./post-sync.ts";
import type { Storage } from "./storage.ts";

export class Workflows extends Construct {
  readonly postSync: PostSync;
  readonly restore: sfn.StateMachine;

  constructor(scope: Construct, id: string, env: EnvironmentConfig, storage: Storage, distribution?: IDistribution) {
    super(scope, id);
    this.postSync = new PostSync(this, "PostSync", env, storage, distribution);
    this.restore = this.#pending("Restore", "Restore (site to a point in time, host tree from S3) is not yet implemented: issue #6");
  }

  #pending(name: string, cause: string): sfn.StateMachine {
    const logGroup = new logs.LogGroup(this, `${name}Logs`, { retention: logs.RetentionDays.THREE_MONTHS });
    const machine = new sfn.StateMachine(this, name, {
      queryLanguage: sfn.QueryLanguage.JSON_PATH,
      definitionBody: sfn.DefinitionBody.fromChainable(
        new sfn.Fail(this, `${name}NotYetImplemented`, { error: "NotYetImplemented", cause }),
      ),
      timeout: Duration.hours(6),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    acknowledge(
      machine.role,
      "AwsSolutions-IAM5[Resource::*]",
      "X-Ray tracing and CloudWatch Logs delivery (logs:CreateLogDelivery and friends) do not support resource-level permissions.",
    );
    return machine;
  }
}
