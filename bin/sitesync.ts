#!/usr/bin/env node
// The sitesync command. Everything lives in agent/cli.ts; this file only runs it and sets the exit code.
import { main } from "../agent/cli.ts";

process.exitCode = await main(process.argv.slice(2));
