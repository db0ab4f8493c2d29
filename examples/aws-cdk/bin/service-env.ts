#!/usr/bin/env node
/**
 * `node dist/bin/service-env.js cdk-outputs.json avatar-service.env`: writes the avatar
 * service's environment from the stack outputs (deploy.sh runs it after `cdk deploy`).
 */
import * as fs from "node:fs";

import { serviceEnv } from "../lib/service-env";

const [input, output] = process.argv.slice(2);
if (input === undefined || output === undefined) {
  process.stderr.write("usage: service-env.js <cdk-outputs.json> <avatar-service.env>\n");
  process.exit(2);
}
try {
  const text = serviceEnv(JSON.parse(fs.readFileSync(input, "utf8")));
  fs.writeFileSync(output, text);
  process.stdout.write(`Wrote ${output}:\n\n${text}`);
} catch (e) {
  process.stderr.write(`cannot write ${output} from ${input}: ${(e as Error).message}\n`);
  process.exit(1);
}
