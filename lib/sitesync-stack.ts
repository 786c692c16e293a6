// One environment of sitesync: every part of DESIGN.md, wired with least privilege.
import { CfnOutput, Stack, type StackProps } from "aws-cdk-lib";
import type { Construct } from "constructs";
import { AgentIdentity } from "./agent-identity.ts";
import { Alarms } from "./alarms.ts";
import { ApplyFunction } from "./apply-function.ts";
import { Dashboard } from "./dashboard.ts";
import { SiteDistribution } from "./distribution.ts";
import type { EnvironmentConfig } from "./environment-config.ts";
import { ManifestQueue } from "./manifest-queue.ts";
import { Storage } from "./storage.ts";
import { Watchdog } from "./watchdog.ts";
import { Workflows } from "./workflows.ts";

export interface SiteSyncStackProps extends StackProps {
  environment: EnvironmentConfig;
}

export class SiteSyncStack extends Stack {
  readonly storage: Storage;
  readonly queue: ManifestQueue;
  readonly apply: ApplyFunction;
  readonly workflows: Workflows;
  readonly agent: AgentIdentity;
  readonly distribution?: SiteDistribution;

  constructor(scope: Construct, id: string, props: SiteSyncStackProps) {
    super(scope, id, props);
    const env = props.environment;
    this.storage = new Storage(this, "Storage", env);
    this.queue = new ManifestQueue(this, "Queue", env);
    this.apply = new ApplyFunction(this, "Apply", env, this.storage, this.queue);
    if (env.distribution.kind !== "none") {
      this.distribution = new SiteDistribution(
        this,
        "Cdn",
        env.distribution,
        this.storage.siteBucket,
        this.storage.logsBucket,
      );
    }
    this.workflows = new Workflows(
      this,
      "Workflows",
      env,
      this.storage,
      this.queue,
      this.distribution?.distribution,
      this.distribution?.keyValueStore,
    );
    this.agent = new AgentIdentity(
      this,
      "Agent",
      env,
      this.storage,
      this.queue,
      this.workflows.postSync.stateMachine,
      this.workflows.restore.restoreQueue,
      this.workflows.restore.stateMachine,
    );
    const watchdog = new Watchdog(this, "Watchdog", env, this.storage);
    const alarms = new Alarms(
      this,
      "Alarms",
      env.name,
      this.queue,
      [this.workflows.postSync.stateMachine, this.workflows.restore.stateMachine],
      watchdog.alarms,
      env.alarmEmail,
    );
    new Dashboard(
      this,
      "Dashboard",
      env,
      this.queue,
      { postSync: this.workflows.postSync.stateMachine, restore: this.workflows.restore.stateMachine },
      alarms.alarms,
    );

    // What the agent's configuration file needs (README: "Agent configuration").
    const output = (name: string, value: string, description: string) =>
      new CfnOutput(this, name, { value, description });
    output("Region", this.region, "region");
    output("SiteBucket", this.storage.siteBucket.bucketName, "siteBucket");
    output("VersionBucket", this.storage.versionBucket.bucketName, "versionBucket");
    output("IndexTable", this.storage.table.tableName, "table");
    output("ManifestQueueUrl", this.queue.queue.queueUrl, "queueUrl");
    output("DeadLetterQueueUrl", this.queue.deadLetterQueue.queueUrl, "where failed manifests wait");
    output("PostSyncStateMachineArn", this.workflows.postSync.stateMachine.stateMachineArn, "postSyncStateMachineArn");
    output(
      "RestoreStateMachineArn",
      this.workflows.restore.stateMachine.stateMachineArn,
      "restore workflow (aws stepfunctions start-execution)",
    );
    output(
      "RestoreQueueUrl",
      this.workflows.restore.restoreQueue.queueUrl,
      "restoreQueueUrl (sitesync restore --from-queue)",
    );
    if (this.agent.instanceProfile)
      output("AgentInstanceProfile", this.agent.instanceProfile.instanceProfileName, "attach to the FTP host");
    if (this.agent.user) output("AgentUser", this.agent.user.userName, "create an access key for it");
    if (this.distribution) {
      output("DistributionId", this.distribution.distribution.distributionId, "CloudFront distribution");
      output("DistributionDomain", this.distribution.distribution.distributionDomainName, "the site's address");
    }
  }
}
