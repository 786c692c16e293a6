// The CDK app (cdk.json points here): `npx cdk synth -c env=prod`.
import { App } from "aws-cdk-lib";
import { buildApp, environmentFromContext } from "../lib/app.ts";

const app = new App();
buildApp(environmentFromContext(app), app);
app.synth();
