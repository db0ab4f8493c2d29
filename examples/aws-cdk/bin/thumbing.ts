#!/usr/bin/env node
/**
 * The CDK app: reads the settings (context or THUMBING_* environment variables), and on a
 * bad setting prints every problem and exits with status 1 before CloudFormation is involved.
 */
import * as path from "node:path";

import * as cdk from "aws-cdk-lib";

import { ConfigError, contextThenEnv, readConfig } from "../lib/config";
import { ThumbingStack } from "../lib/stack";

const app = new cdk.App();
const repoRoot = path.resolve(__dirname, "..", "..", "..", "..");
let config;
try {
  config = readConfig(contextThenEnv((key) => app.node.tryGetContext(key), process.env), {
    repoRoot,
    cargoTargetDir: process.env.CARGO_TARGET_DIR,
  });
} catch (e) {
  if (e instanceof ConfigError) {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
  throw e;
}

new ThumbingStack(app, config.stackName, {
  config,
  description: "thumbing: avatars from user uploads (S3, Lambda, HTTP API, Cognito, SNS, CloudFront)",
  env: config.account !== undefined || config.region !== undefined ? { account: config.account, region: config.region } : undefined,
});
app.synth();
