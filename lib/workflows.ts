// The Step Functions workflows: PostSync (lib/post-sync.ts) and Restore (lib/restore.ts). JSONPath only,
// no variables: the local executor ignores JSONata and Assign, and the local stack runs these very
// definitions.

import type { IDistribution, IKeyValueStore } from "aws-cdk-lib/aws-cloudfront";
import { Construct } from "constructs";
import type { EnvironmentConfig } from "./environment-config.ts";
import type { ManifestQueue } from "./manifest-queue.ts";
import { PostSync } from "./post-sync.ts";
import { Restore } from "./restore.ts";
import type { Storage } from "./storage.ts";

export class Workflows extends Construct {
  readonly postSync: PostSync;
  readonly restore: Restore;

  constructor(
    scope: Construct,
    id: string,
    env: EnvironmentConfig,
    storage: Storage,
    queue: ManifestQueue,
    distribution?: IDistribution,
    keyValueStore?: IKeyValueStore,
  ) {
    super(scope, id);
    this.postSync = new PostSync(this, "PostSync", env, storage, distribution, keyValueStore);
    this.restore = new Restore(this, "Restore", env, storage, queue, this.postSync.stateMachine);
  }
}
