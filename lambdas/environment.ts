// Reading a Lambda's configuration from its environment: a missing variable is a deployment error.
import { PermanentError } from "../core/errors.ts";

export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new PermanentError(`environment variable ${name} is not set; the deployment must define it`);
  return value;
}
