/**
 * The settings: defaults, context over environment, and the errors for bad values.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, test } from "node:test";

import { ConfigError, contextThenEnv, defaultZipPaths, envName, readConfig } from "../lib/config";
import { configOf, fixtureZips, writeBootstrapZip } from "./fixtures";

/** The problems reported for these settings; fails when they are accepted. */
function problemsOf(values: Record<string, string>): string[] {
  try {
    configOf(values);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${e}`);
    return e.problems;
  }
  assert.fail(`settings ${JSON.stringify(values)} were accepted`);
}

/** Asserts one problem, mentioning the setting and `text`. */
function rejects(values: Record<string, string>, setting: string, text: RegExp): void {
  const problems = problemsOf(values);
  assert.equal(problems.length, 1, problems.join("\n"));
  assert.ok(problems[0].includes(setting), `${setting} not named in: ${problems[0]}`);
  assert.match(problems[0], text);
}

/** Runs the compiled app as the CDK CLI would (output into CDK_OUTDIR), with only `env` set. */
function runApp(env: Record<string, string>): { status: number | null; stderr: string; files: Record<string, string> } {
  const app = path.join(__dirname, "..", "bin", "thumbing.js");
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "thumbing-cdk-out-"));
  try {
    const run = spawnSync(process.execPath, [app], {
      encoding: "utf8",
      env: { PATH: process.env.PATH, CDK_OUTDIR: outdir, ...env },
    });
    const files = Object.fromEntries(
      fs.readdirSync(outdir).filter((f) => f.endsWith(".json")).map((f) => [f, fs.readFileSync(path.join(outdir, f), "utf8")]),
    );
    return { status: run.status, stderr: run.stderr, files };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

const CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d";

describe("settings", () => {
  test("defaults", () => {
    const c = configOf();
    assert.equal(c.stackName, "Thumbing");
    assert.deepEqual(c.allowedOrigins, ["http://localhost:8080", "http://127.0.0.1:8080"]);
    assert.deepEqual([c.uploadPrefix, c.outputPrefix], ["", "avatars/"]);
    assert.deepEqual(c.allowedExtensions, ["jpg", "jpeg", "png", "webp", "gif"]);
    assert.deepEqual([c.maxUploadBytes, c.uploadUrlTtlSeconds, c.uploadRetentionDays], [10485760, 300, 7]);
    assert.deepEqual([c.processMemoryMb, c.processTimeoutSeconds], [512, 15]);
    assert.deepEqual(c.requiredScopes, ["aws.cognito.signin.user.admin"]);
    assert.equal(c.existingUserPool, undefined);
    assert.equal(c.customDomain, undefined);
    assert.equal(c.retainData, true);
    assert.equal(c.priceClass, "PriceClass_All");
  });

  test("folders and extensions are normalised", () => {
    const c = configOf({ uploadPrefix: "/raw/uploads/", outputPrefix: "avatars", allowedExtensions: " JPG, png " });
    assert.deepEqual([c.uploadPrefix, c.outputPrefix], ["raw/uploads/", "avatars/"]);
    assert.deepEqual(c.allowedExtensions, ["jpg", "png"]);
  });

  test("environment variable names follow the context keys", () => {
    assert.equal(envName("allowedOrigins"), "THUMBING_ALLOWED_ORIGINS");
    assert.equal(envName("processMemoryMb"), "THUMBING_PROCESS_MEMORY_MB");
    assert.equal(envName("uploadUrlZip"), "THUMBING_UPLOAD_URL_ZIP");
  });

  test("context wins over the environment, blank values are unset", () => {
    const context: Record<string, unknown> = { processMemoryMb: 1024, uploadPrefix: "  " };
    const env = {
      THUMBING_PROCESS_MEMORY_MB: "2048",
      THUMBING_UPLOAD_RETENTION_DAYS: "3",
      THUMBING_UPLOAD_PREFIX: "raw",
      THUMBING_PROCESS_ZIP: fixtureZips().processZip,
      THUMBING_UPLOAD_URL_ZIP: fixtureZips().uploadUrlZip,
    };
    const c = readConfig(
      contextThenEnv((key) => context[key], env),
      { repoRoot: "/nonexistent" },
    );
    assert.equal(c.processMemoryMb, 1024);
    assert.equal(c.uploadRetentionDays, 3);
    assert.equal(c.uploadPrefix, "", "a blank context value counts as unset, and does not fall back to the environment");
  });

  test("default zip paths are where the documented build commands put them", () => {
    assert.deepEqual(defaultZipPaths("/repo"), {
      processZip: "/repo/lambda/dist/arm64/thumbing-lambda/bootstrap.zip",
      uploadUrlZip: "/repo/target/lambda/avatar-upload-url/bootstrap.zip",
    });
    assert.equal(defaultZipPaths("/repo", "/var/tmp/t").uploadUrlZip, "/var/tmp/t/lambda/avatar-upload-url/bootstrap.zip");
  });
});

describe("invalid settings", () => {
  test("a missing zip names the command that builds it", () => {
    const problems = problemsOf({ processZip: "/nonexistent/process.zip", uploadUrlZip: "/nonexistent/upload.zip" });
    assert.equal(problems.length, 2, problems.join("\n"));
    assert.match(problems[0], /processZip \(THUMBING_PROCESS_ZIP\): \/nonexistent\/process\.zip does not exist/);
    assert.match(problems[0], /bash lambda\/build\.sh arm64/);
    assert.match(problems[1], /uploadUrlZip/);
    assert.match(problems[1], /cargo lambda build --release --arm64 --output-format zip -p thumbing-avatar-service --bin avatar-upload-url/);
  });

  test("a zip must be a Lambda package with a bootstrap", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "thumbing-zip-"));
    try {
      fs.writeFileSync(path.join(dir, "text.zip"), "not a zip");
      rejects({ processZip: path.join(dir, "text.zip") }, "processZip", /not a zip archive holding a `bootstrap`/);
      writeBootstrapZip(path.join(dir, "ok.bin"), "#!/bin/sh\n");
      rejects({ uploadUrlZip: path.join(dir, "ok.bin") }, "uploadUrlZip", /is not a \.zip file/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("origins must be https, except for localhost", () => {
    rejects({ allowedOrigins: "http://app.example.com" }, "allowedOrigins", /must use https:\/\//);
    rejects({ allowedOrigins: "https://app.example.com/page" }, "allowedOrigins", /no path/);
    rejects({ allowedOrigins: "*" }, "allowedOrigins", /not an origin/);
    rejects({ allowedOrigins: "https://*.example.com" }, "allowedOrigins", /not an origin/);
    rejects({ allowedOrigins: "," }, "allowedOrigins", /lists no origin/);
    const c = configOf({ allowedOrigins: "http://localhost:5173,http://127.0.0.1,https://app.example.com:8443" });
    assert.deepEqual(c.allowedOrigins, ["http://localhost:5173", "http://127.0.0.1", "https://app.example.com:8443"]);
  });

  test("numbers must be whole and within their limits", () => {
    rejects({ uploadRetentionDays: "0" }, "uploadRetentionDays", /from 1 to 3650/);
    rejects({ uploadRetentionDays: "-3" }, "uploadRetentionDays", /whole number/);
    rejects({ uploadRetentionDays: "2.5" }, "uploadRetentionDays", /whole number/);
    rejects({ processMemoryMb: "64" }, "processMemoryMb", /from 128 to 10240/);
    rejects({ processMemoryMb: "10241" }, "processMemoryMb", /from 128 to 10240/);
    rejects({ processTimeoutSeconds: "901" }, "processTimeoutSeconds", /from 1 to 900/);
    rejects({ maxUploadBytes: "0" }, "maxUploadBytes", /bytes/);
    rejects({ uploadUrlTtlSeconds: "ten" }, "uploadUrlTtlSeconds", /seconds/);
  });

  test("folders, extensions, sizes and scopes", () => {
    rejects({ uploadPrefix: "a b" }, "uploadPrefix", /not a valid folder/);
    rejects({ uploadPrefix: "failed/x" }, "uploadPrefix", /inside failed\//);
    rejects({ outputPrefix: "/" }, "outputPrefix", /must not be empty/);
    rejects({ allowedExtensions: "jpg,.png" }, "allowedExtensions", /"\.png" is not a file extension/);
    rejects({ allowedExtensions: "jpg,JPG" }, "allowedExtensions", /twice/);
    rejects({ sizes: "512,0" }, "sizes", /not a list of sizes/);
    rejects({ sizes: "512,512" }, "sizes", /twice/);
    rejects({ outputFormats: "jpeg,gif" }, "outputFormats", /"gif" is not one of jpeg, png, webp, webp-lossless, avif/);
    rejects({ outputFormats: "jpg,jpeg" }, "outputFormats", /twice/);
    rejects({ outputFormats: "webp,webp-lossless" }, "outputFormats", /same file type/);
    rejects({ outputFormats: " , " }, "outputFormats", /empty/);
    rejects({ requiredScopes: 'a"b' }, "requiredScopes", /not an OAuth scope/);
  });

  test("an existing user pool needs its id and its app client id", () => {
    rejects({ userPoolId: "eu-west-1_AbC" }, "userPoolId", /without userPoolClientId/);
    rejects({ userPoolClientId: "abc123" }, "userPoolClientId", /without userPoolId/);
    rejects({ userPoolId: "pool", userPoolClientId: "abc123" }, "userPoolId", /not a Cognito user pool id/);
    rejects({ userPoolId: "eu-west-1_AbC", userPoolClientId: "ABC!" }, "userPoolClientId", /not a Cognito app client id/);
  });

  test("the webhook must be https", () => {
    rejects({ webhookUrl: "http://hooks.example.com/x" }, "webhookUrl", /not an https:\/\/ URL/);
    rejects({ webhookUrl: "hooks" }, "webhookUrl", /not an https:\/\/ URL/);
  });

  test("a custom domain needs a us-east-1 certificate and a matching hosted zone", () => {
    rejects({ domainName: "assets.example.com" }, "certificateArn", /needs certificateArn/);
    rejects(
      { domainName: "assets.example.com", certificateArn: CERT.replace("us-east-1", "eu-west-1") },
      "certificateArn",
      /CloudFront only uses certificates from us-east-1/,
    );
    rejects({ domainName: "assets.example.com", certificateArn: "cert" }, "certificateArn", /not an ACM certificate ARN/);
    rejects({ domainName: "assets_example", certificateArn: CERT }, "domainName", /not a domain name/);
    rejects(
      { domainName: "assets.example.com", certificateArn: CERT, hostedZoneId: "Z0123456789ABCDEFGHIJ" },
      "hostedZoneName",
      /go together/,
    );
    rejects(
      { domainName: "assets.example.com", certificateArn: CERT, hostedZoneId: "Z0123456789ABCDEFGHIJ", hostedZoneName: "example.org" },
      "domainName",
      /not inside the hosted zone example\.org/,
    );
    rejects(
      { domainName: "assets.example.com", certificateArn: CERT, hostedZoneId: "zone", hostedZoneName: "example.com" },
      "hostedZoneId",
      /not a Route 53 hosted zone id/,
    );
    rejects({ certificateArn: CERT }, "certificateArn", /domainName .* is not/);
    const c = configOf({ domainName: "Assets.Example.com.", certificateArn: CERT, hostedZoneId: "Z0123456789ABCDEFGHIJ", hostedZoneName: "example.com" });
    assert.deepEqual(c.customDomain, {
      domainName: "assets.example.com",
      certificateArn: CERT,
      hostedZone: { id: "Z0123456789ABCDEFGHIJ", name: "example.com" },
    });
  });

  test("stack name, account, region, price class and retainData", () => {
    rejects({ stackName: "1stack" }, "stackName", /not a valid stack name/);
    rejects({ account: "12345" }, "account", /12 digits/);
    rejects({ region: "Europe" }, "region", /not an AWS region/);
    rejects({ priceClass: "cheap" }, "priceClass", /100, 200 or All/);
    rejects({ retainData: "yes" }, "retainData", /true or false/);
  });

  test("every problem is reported at once", () => {
    const problems = problemsOf({
      allowedOrigins: "http://example.com",
      uploadRetentionDays: "0",
      processMemoryMb: "1",
      webhookUrl: "ftp://x",
      domainName: "assets.example.com",
    });
    assert.equal(problems.length, 5, problems.join("\n"));
  });

  test("the app prints every problem and exits with status 1", () => {
    const run = runApp({
      THUMBING_ALLOWED_ORIGINS: "http://example.com",
      THUMBING_PROCESS_ZIP: "/nonexistent/process.zip",
      THUMBING_UPLOAD_URL_ZIP: fixtureZips().uploadUrlZip,
    });
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /^invalid thumbing deployment settings:/);
    assert.match(run.stderr, /allowedOrigins \(THUMBING_ALLOWED_ORIGINS\)/);
    assert.match(run.stderr, /bash lambda\/build\.sh arm64/);
    assert.deepEqual(Object.keys(run.files), [], "nothing is synthesized");
  });

  test("the app synthesizes the stack with valid settings", () => {
    const run = runApp({
      THUMBING_STACK_NAME: "AvatarsTest",
      THUMBING_PROCESS_ZIP: fixtureZips().processZip,
      THUMBING_UPLOAD_URL_ZIP: fixtureZips().uploadUrlZip,
    });
    assert.equal(run.status, 0, run.stderr);
    const template = JSON.parse(run.files["AvatarsTest.template.json"]);
    const functions = Object.values(template.Resources).filter((r: any) => r.Properties?.Runtime === "provided.al2023");
    assert.equal(functions.length, 2);
  });
});
