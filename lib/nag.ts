// cdk-nag acknowledgements. Each carries its reason in a sentence; wildcard findings are acknowledged one
// resource at a time (`AwsSolutions-IAM5[Resource::<Logical.Arn>/prefix/*]`) so a new wildcard elsewhere
// still fails synthesis.
import { Stack, Validations, type CfnElement } from "aws-cdk-lib";
import type { IConstruct } from "constructs";

export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/** The IAM5 finding id for `<resource>.Arn` followed by `suffix`, e.g. "/*" or ":*". */
export function wildcardFinding(resource: IConstruct, suffix: string): string {
  const stack = Stack.of(resource);
  const cfn = (resource.node.defaultChild ?? resource) as CfnElement;
  const logicalId = stack.resolve(stack.getLogicalId(cfn)) as string;
  return `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>${suffix}]`;
}
