/**
 * The avatar service's environment, made from the stack outputs after a deploy.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";

import { serviceEnv } from "../lib/service-env";

const outputs = {
  Thumbing: {
    ApiUrl: "https://abc123.execute-api.eu-west-1.amazonaws.com",
    UploadUrlEndpoint: "https://abc123.execute-api.eu-west-1.amazonaws.com/avatars/key_upload",
    AvatarBaseUrl: "https://d111111abcdef8.cloudfront.net/avatars/",
    UploadsBucketName: "thumbing-uploadsbucket5e5e9b64-1a2b3c",
    AssetsBucketName: "thumbing-assetsbucket5cb76180-4d5e6f",
    UserPoolId: "eu-west-1_AbCdEf123",
    UserPoolClientId: "1example23456789abcdefghij",
    OidcIssuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123",
    AvatarServicePolicyArn: "arn:aws:iam::123456789012:policy/Thumbing-AvatarServicePolicy-XYZ",
  },
};

test("the outputs become the avatar service's variables", () => {
  const text = serviceEnv(outputs);
  const vars = Object.fromEntries([...text.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
  assert.deepEqual(vars, {
    AWS_REGION: "eu-west-1",
    USER_POOL_ID: "eu-west-1_AbCdEf123",
    CLIENT_ID: "1example23456789abcdefghij",
    STORAGE: "s3",
    UPLOADS_BUCKET: "thumbing-uploadsbucket5e5e9b64-1a2b3c",
    ASSETS_BUCKET: "thumbing-assetsbucket5cb76180-4d5e6f",
  });
  assert.match(text, /Thumbing-AvatarServicePolicy-XYZ/);
  assert.match(text, /avatars\/key_upload/);
});

test("missing outputs are named", () => {
  const { UserPoolId: _, AssetsBucketName: __, ...rest } = outputs.Thumbing;
  assert.throws(() => serviceEnv({ Thumbing: rest }), /stack Thumbing has no output UserPoolId, AssetsBucketName/);
  assert.throws(() => serviceEnv({}), /names no stack/);
  assert.throws(() => serviceEnv({ T: { ...outputs.Thumbing, OidcIssuer: "https://example.com/x" } }), /not a Cognito issuer/);
});

test("the command writes a file that a shell can source", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "thumbing-env-"));
  try {
    fs.writeFileSync(path.join(dir, "out.json"), JSON.stringify(outputs));
    const script = path.join(__dirname, "..", "bin", "service-env.js");
    const run = spawnSync(process.execPath, [script, path.join(dir, "out.json"), path.join(dir, "service.env")], { encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    const shell = spawnSync("sh", ["-c", `. "${path.join(dir, "service.env")}" && echo "$USER_POOL_ID $CLIENT_ID $AWS_REGION"`], {
      encoding: "utf8",
    });
    assert.equal(shell.stdout.trim(), "eu-west-1_AbCdEf123 1example23456789abcdefghij eu-west-1");
    const bad = spawnSync(process.execPath, [script, path.join(dir, "missing.json"), path.join(dir, "x.env")], { encoding: "utf8" });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /cannot write/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
