// A stand-in for CloudFormation's DescribeStacks, for the test of `sitesync config --from-stack`.
//
// Why it exists: CloudFormation, like CloudFront, has no local server, and the command's one call is the
// only thing a test cannot reach otherwise. It answers that one operation — the query protocol's form body
// in, the XML the SDK's deserializer reads out, a stack of that name or CloudFormation's ValidationError
// for a missing one — and refuses anything else, or an unsigned request, as the service would. Nothing of
// the agent's own runs against it: the configuration it fills then drives a real sync on the local stack.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { LocalStack } from "../../local/stack.ts";

export interface StubStack {
  name: string;
  status?: string;
  outputs: Record<string, string>;
}

export interface DescribeStacksStub {
  endpoint: string;
  /** The StackName of every DescribeStacks received, in order. */
  requests: string[];
  close(): Promise<void>;
}

/** The outputs lib/sitesync-stack.ts gives a deployment, with the local stack's resources as their values. */
export function localStackOutputs(stack: LocalStack): Record<string, string> {
  const s = stack.agentSettings() as Record<string, string>;
  return {
    Region: s.region!,
    SiteBucket: s.siteBucket!,
    VersionBucket: s.versionBucket!,
    IndexTable: s.table!,
    ManifestQueueUrl: s.queueUrl!,
    DeadLetterQueueUrl: s.deadLetterQueueUrl!,
    PostSyncStateMachineArn: s.postSyncStateMachineArn!,
    RestoreStateMachineArn: s.restoreStateMachineArn!,
    RestoreQueueUrl: s.restoreQueueUrl!,
    AgentUser: "sitesync-local-agent",
  };
}

/** What an operator's environment gives `config --from-stack`: the stub's address, fake credentials, a region. */
export function operatorEnvironment(stub: DescribeStacksStub, region: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_CLOUDFORMATION: stub.endpoint,
    AWS_ACCESS_KEY_ID: "operator",
    AWS_SECRET_ACCESS_KEY: "operator-secret",
    AWS_REGION: region,
  };
}

const NS = "http://cloudformation.amazonaws.com/doc/2010-05-15/";

const xml = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function stackXml(stack: StubStack): string {
  const outputs = Object.entries(stack.outputs)
    .map(([k, v]) => `<member><OutputKey>${xml(k)}</OutputKey><OutputValue>${xml(v)}</OutputValue></member>`)
    .join("");
  return (
    `<member><StackName>${xml(stack.name)}</StackName>` +
    `<StackId>arn:aws:cloudformation:us-east-1:000000000000:stack/${xml(stack.name)}/0</StackId>` +
    `<CreationTime>2026-11-01T00:00:00.000Z</CreationTime>` +
    `<StackStatus>${stack.status ?? "CREATE_COMPLETE"}</StackStatus><Outputs>${outputs}</Outputs></member>`
  );
}

function errorXml(code: string, message: string): string {
  return (
    `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code>` +
    `<Message>${xml(message)}</Message></Error><RequestId>stub</RequestId></ErrorResponse>`
  );
}

export async function startDescribeStacksStub(stacks: StubStack[]): Promise<DescribeStacksStub> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      const form = new URLSearchParams(body);
      const reply = (status: number, text: string) => {
        res.writeHead(status, { "content-type": "text/xml" });
        res.end(text);
      };
      if (!String(req.headers.authorization ?? "").startsWith("AWS4-HMAC-SHA256 ")) {
        return reply(403, errorXml("MissingAuthenticationToken", "Request is missing Authentication Token"));
      }
      if (req.method !== "POST" || form.get("Action") !== "DescribeStacks" || form.get("Version") !== "2010-05-15")
        return reply(
          400,
          errorXml("InvalidAction", `this stub answers DescribeStacks only, not ${form.get("Action")}`),
        );
      const name = form.get("StackName") ?? "";
      requests.push(name);
      const stack = stacks.find((s) => s.name === name);
      if (!stack) return reply(400, errorXml("ValidationError", `Stack with id ${name} does not exist`));
      reply(
        200,
        `<DescribeStacksResponse xmlns="${NS}"><DescribeStacksResult><Stacks>${stackXml(stack)}</Stacks>` +
          `</DescribeStacksResult><ResponseMetadata><RequestId>stub</RequestId></ResponseMetadata>` +
          `</DescribeStacksResponse>`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
