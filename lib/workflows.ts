// The Step Functions workflows: PostSync (listings and invalidations after a run) and Restore. JSONPath
// only, no variables: the local executor ignores JSONata and Assign, and the local stack runs these very
// definitions. Their task handlers arrive with their own issues (#5, #6); until then each workflow fails
// at once with a cause that says so, rather than pretend to succeed.
import { Duration } from "aws-cdk-lib";
import * as logs from "aws-cdk-lib/aws-logs";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import { acknowledge } from "./nag.ts";

export class Workflows extends Construct {
  readonly postSync: sfn.StateMachine;
  readonly restore: sfn.StateMachine;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.postSync = this.#pending("PostSync", "PostSync (index pages and CloudFront invalidations) is not yet implemented: issue #5");
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
