// cdk-nag acknowledgements. Each carries its reason in a sentence; wildcard findings are acknowledged one
// resource at a time (`AwsSolutions-IAM5[Resource::<Logical.Arn>/prefix/*]`) so a new wildcard elsewhere
// still fails synthesis.
import { Stack, Token, Validations, type CfnElement } from "aws-cdk-lib";
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

/** The IAM5 finding id for the executions of a state machine, "arn:…:execution:<Name>:*". */
export function executionsFinding(stateMachine: IConstruct): string {
  const stack = Stack.of(stateMachine);
  const cfn = (stateMachine.node.defaultChild ?? stateMachine) as CfnElement;
  const logicalId = stack.resolve(stack.getLogicalId(cfn)) as string;
  // cdk-nag names a pseudo parameter <AWS::Name> where the stack's environment leaves it unresolved.
  const part = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value);
  const arn =
    `arn:${part(stack.partition, "Partition")}:states:${part(stack.region, "Region")}:` +
    `${part(stack.account, "AccountId")}:execution:<${logicalId}.Name>:*`;
  return `AwsSolutions-IAM5[Resource::${arn}]`;
}
