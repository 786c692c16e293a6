// The IAM policies of the synthesized template, made concrete for the local stack, and their evaluation with
// an IAM policy simulator (@cloud-copilot/iam-simulate): a component's identity policies (its role's inline
// and managed policies, or the agent user's), the bucket and queue policies of the resource a request names,
// CloudFormation's references (Ref, Fn::GetAtt, Fn::Join) resolved to the local resources' names and ARNs.
import { runSimulation } from "@cloud-copilot/iam-simulate";
import type { CfnTemplate } from "../../local/template.ts";
import { withoutHash, type ArnScope, type IamRequest } from "./aws-call-recorder.ts";

type Resource = CfnTemplate["Resources"][string];

export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: string;
  Statement: PolicyStatement[];
}

export interface NamedPolicy {
  name: string;
  document: PolicyDocument;
}

/** The identity whose policies a component's calls are made with. */
export interface ComponentIdentity {
  component: string;
  /** The principal's ARN: the function's or state machine's role, or the agent's user or role. */
  principal: string;
  policies: NamedPolicy[];
}

export type Decision = "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied";

/**
 * What `Ref` answers on the local stack, by logical id less CDK's hash ("StorageSite" for
 * "StorageSiteDBA682E2"): a bucket's or table's name, a queue's name (for its ARN), a state machine's ARN,
 * the distribution's id, the key value store's ARN. Anything else is named by its logical id.
 */
export type LocalNames = Record<string, string>;

export class TemplatePolicies {
  readonly #template: CfnTemplate;
  readonly #scope: ArnScope;
  readonly #names: LocalNames;

  constructor(template: CfnTemplate, scope: ArnScope, names: LocalNames) {
    this.#template = template;
    this.#scope = scope;
    this.#names = names;
  }

  /** The identity of the one function, state machine, user or role named `component` (its logical id, less hash). */
  identity(component: string): ComponentIdentity {
    const types = ["AWS::Lambda::Function", "AWS::StepFunctions::StateMachine", "AWS::IAM::User", "AWS::IAM::Role"];
    const found = this.#find((id, r) => withoutHash(id) === component && types.includes(r.Type));
    if (found.length !== 1) throw new Error(`${found.length} principals named ${component}* in the template`);
    const [id, resource] = found[0]!;
    const roleRef = resource.Properties?.Role ?? resource.Properties?.RoleArn;
    const principalId = roleRef ? (roleRef as { "Fn::GetAtt": [string, string] })["Fn::GetAtt"][0] : id;
    return {
      component,
      principal: this.#arnOf(principalId),
      policies: this.#attachedPolicies(principalId),
    };
  }

  /** The bucket or queue policy that governs `resourceArn`, if it has one. */
  resourcePolicy(resourceArn: string): PolicyDocument | undefined {
    const governs = (logicalId: string) => {
      const arn = this.#arnOf(logicalId);
      return resourceArn === arn || resourceArn.startsWith(`${arn}/`);
    };
    const found = this.#find(
      (_, r) =>
        (r.Type === "AWS::S3::BucketPolicy" && governs(refId(r.Properties?.Bucket))) ||
        (r.Type === "AWS::SQS::QueuePolicy" &&
          ((r.Properties?.Queues as unknown[]) ?? []).some((q) => governs(refId(q)))),
    );
    if (found.length > 1) throw new Error(`${found.length} resource policies govern ${resourceArn}`);
    return found[0] ? this.#document(found[0][1].Properties?.PolicyDocument) : undefined;
  }

  /**
   * Evaluates one request as AWS would for a same-account caller: the identity's policies and the resource's
   * policy, over TLS (every client is HTTPS in AWS, and each bucket and queue denies anything else).
   */
  async evaluate(identity: ComponentIdentity, request: IamRequest): Promise<Decision> {
    const resourcePolicy = this.resourcePolicy(request.resource);
    const result = await runSimulation(
      {
        request: {
          principal: identity.principal,
          action: request.action,
          resource: { resource: request.resource, accountId: this.#scope.account },
          contextVariables: { "aws:SecureTransport": "true", ...request.context },
        },
        identityPolicies: identity.policies.map((p) => ({ name: p.name, policy: p.document })),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        ...(resourcePolicy ? { resourcePolicy } : {}),
      },
      {},
    );
    if (result.resultType === "error") {
      throw new Error(
        `the simulator refused ${request.action} on ${request.resource}: ${JSON.stringify(result.errors)}`,
      );
    }
    return result.overallResult as Decision;
  }

  #find(match: (id: string, resource: Resource) => boolean): Array<[string, Resource]> {
    return Object.entries(this.#template.Resources).filter(([id, r]) => match(id, r));
  }

  #type(logicalId: string): string {
    const resource = this.#template.Resources[logicalId];
    if (!resource) throw new Error(`the template has no resource ${logicalId}`);
    return resource.Type;
  }

  #localName(logicalId: string): string {
    return this.#names[withoutHash(logicalId)] ?? logicalId;
  }

  /** The policies attached to a role or user: inline, as AWS::IAM::Policy, and managed (the template's own). */
  #attachedPolicies(principalId: string): NamedPolicy[] {
    const properties = this.#template.Resources[principalId]?.Properties ?? {};
    const inline = ((properties.Policies as Array<{ PolicyName: string; PolicyDocument: unknown }>) ?? []).map((p) => ({
      name: p.PolicyName,
      document: this.#document(p.PolicyDocument),
    }));
    const attachesHere = (r: Resource) =>
      [...((r.Properties?.Roles as unknown[]) ?? []), ...((r.Properties?.Users as unknown[]) ?? [])].some(
        (ref) => refId(ref) === principalId,
      );
    const standalone = this.#find(
      (_, r) => (r.Type === "AWS::IAM::Policy" || r.Type === "AWS::IAM::ManagedPolicy") && attachesHere(r),
    ).map(([id, r]) => ({ name: id, document: this.#document(r.Properties?.PolicyDocument) }));
    const managed = ((properties.ManagedPolicyArns as unknown[]) ?? []).map((arn) => {
      const id = refId(arn);
      if (this.#type(id) !== "AWS::IAM::ManagedPolicy") {
        throw new Error(`${principalId} has a managed policy the template does not define: ${JSON.stringify(arn)}`);
      }
      return { name: id, document: this.#document(this.#template.Resources[id]!.Properties?.PolicyDocument) };
    });
    return [...inline, ...standalone, ...managed];
  }

  #document(raw: unknown): PolicyDocument {
    return this.#resolve(raw) as PolicyDocument;
  }

  #resolve(value: unknown): unknown {
    if (value === null || typeof value !== "object") return value;
    if (Array.isArray(value)) return value.map((v) => this.#resolve(v));
    const v = value as Record<string, unknown>;
    if (typeof v.Ref === "string") return this.#ref(v.Ref);
    const getAtt = v["Fn::GetAtt"] as [string, string] | undefined;
    if (getAtt) {
      // A state machine's name is the last part of its ARN (an execution ARN is built from it).
      if (getAtt[1] === "Name" && this.#type(getAtt[0]) === "AWS::StepFunctions::StateMachine") {
        return this.#arnOf(getAtt[0]).split(":").pop();
      }
      if (getAtt[1] !== "Arn") throw new Error(`unsupported Fn::GetAtt ${getAtt.join(".")}`);
      return this.#arnOf(getAtt[0]);
    }
    const join = v["Fn::Join"] as [string, unknown[]] | undefined;
    if (join) return join[1].map((part) => this.#resolve(part)).join(join[0]);
    if (Object.keys(v).some((k) => k.startsWith("Fn::"))) throw new Error(`unsupported ${JSON.stringify(v)}`);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.#resolve(x)]));
  }

  #ref(logicalId: string): string {
    const pseudo: Record<string, string> = {
      "AWS::Partition": "aws",
      "AWS::Region": this.#scope.region,
      "AWS::AccountId": this.#scope.account,
      "AWS::URLSuffix": "amazonaws.com",
    };
    if (pseudo[logicalId]) return pseudo[logicalId];
    const type = this.#type(logicalId);
    if (type === "AWS::IAM::ManagedPolicy") return `arn:aws:iam::${this.#scope.account}:policy/${logicalId}`;
    if (type === "AWS::SQS::Queue") throw new Error(`a policy refers to queue ${logicalId} by its URL`);
    return this.#localName(logicalId);
  }

  #arnOf(logicalId: string): string {
    const { region, account } = this.#scope;
    const name = this.#localName(logicalId);
    switch (this.#type(logicalId)) {
      case "AWS::S3::Bucket":
        return `arn:aws:s3:::${name}`;
      case "AWS::DynamoDB::Table":
        return `arn:aws:dynamodb:${region}:${account}:table/${name}`;
      case "AWS::SQS::Queue":
        return `arn:aws:sqs:${region}:${account}:${name}`;
      case "AWS::Lambda::Function":
        return `arn:aws:lambda:${region}:${account}:function:${name}`;
      case "AWS::Logs::LogGroup":
        return `arn:aws:logs:${region}:${account}:log-group:${name}:*`;
      case "AWS::IAM::Role":
        return `arn:aws:iam::${account}:role/${name}`;
      case "AWS::IAM::User":
        return `arn:aws:iam::${account}:user/${name}`;
      // The local stack's names for these are ARNs already.
      case "AWS::StepFunctions::StateMachine":
      case "AWS::CloudFront::KeyValueStore":
        return name;
    }
    throw new Error(`no local ARN for ${logicalId} (${this.#type(logicalId)})`);
  }
}

function refId(value: unknown): string {
  const ref = (value as { Ref?: unknown } | null)?.Ref;
  if (typeof ref !== "string") throw new Error(`expected a Ref, got ${JSON.stringify(value)}`);
  return ref;
}

/** One action on one resource pattern that an Allow statement grants. */
export interface Grant {
  policy: string;
  sid: string;
  action: string;
  resource: string;
}

const asList = (value: string | string[]) => (Array.isArray(value) ? value : [value]);

/** Every (action, resource) pair the identity's Allow statements grant. */
export function grantsOf(identity: ComponentIdentity): Grant[] {
  return identity.policies.flatMap((policy) =>
    policy.document.Statement.filter((s) => s.Effect === "Allow").flatMap((s) => {
      if (!s.Action || !s.Resource) throw new Error(`${policy.name}: a statement without Action or Resource`);
      return asList(s.Action).flatMap((action) =>
        asList(s.Resource).map((resource) => ({ policy: policy.name, sid: s.Sid ?? "", action, resource })),
      );
    }),
  );
}

/** IAM's wildcard match (`*` any run of characters, `?` one), case-insensitive for actions. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${source}$`, ignoreCase ? "i" : "").test(value);
}

/** Whether an allowed request used a grant: same action, a resource its pattern matches. */
export function uses(grant: Grant, request: IamRequest): boolean {
  return wildcardMatch(grant.action, request.action, true) && wildcardMatch(grant.resource, request.resource);
}
