/**
 * regenerate.sh's offline steps: the stack outputs it reads, the S3 Batch Operations
 * manifest it writes from a listing, and the CreateJob request.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, test } from "node:test";

import { createJobRequest, JOB_SETTINGS, manifestKey, regenerationTarget, userArguments, writeManifest } from "../lib/regenerate";

/** Outputs as `cdk deploy --outputs-file` writes them (deploy.sh's cdk-outputs.json). */
const OUTPUTS_FILE = {
  Thumbing: {
    UploadsBucketName: "thumbing-uploadsbucket-1a2b3c",
    UploadPrefix: "(bucket root)",
    UploadExtensions: "jpg,jpeg,png,webp,gif",
    ProcessFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:Thumbing-ProcessFunction-AbC123",
    RegenerateJobRoleArn: "arn:aws:iam::123456789012:role/Thumbing-RegenerateJobRole-XyZ",
    RegenerationBucketName: "thumbing-regenerationbucket-4d5e6f",
    AssetsBucketName: "thumbing-assetsbucket-7a8b9c",
  },
};

const TARGET = regenerationTarget(OUTPUTS_FILE);

describe("the stack outputs", () => {
  test("come from deploy.sh's outputs file or from describe-stacks", () => {
    assert.deepEqual(TARGET, {
      stack: "Thumbing",
      uploadsBucket: "thumbing-uploadsbucket-1a2b3c",
      uploadPrefix: "",
      extensions: ["jpg", "jpeg", "png", "webp", "gif"],
      functionArn: "arn:aws:lambda:eu-west-1:123456789012:function:Thumbing-ProcessFunction-AbC123",
      roleArn: "arn:aws:iam::123456789012:role/Thumbing-RegenerateJobRole-XyZ",
      regenerationBucket: "thumbing-regenerationbucket-4d5e6f",
      region: "eu-west-1",
      account: "123456789012",
    });
    const described = {
      StackName: "Avatars",
      Outputs: Object.entries({ ...OUTPUTS_FILE.Thumbing, UploadPrefix: "uploads/" }).map(([OutputKey, OutputValue]) => ({
        OutputKey,
        OutputValue,
        Description: "…",
      })),
    };
    const fromAws = regenerationTarget(described);
    assert.equal(fromAws.stack, "Avatars");
    assert.equal(fromAws.uploadPrefix, "uploads/");
    assert.equal(fromAws.roleArn, TARGET.roleArn);
  });

  test("a stack deployed before regeneration existed is named, with what it lacks", () => {
    const { RegenerateJobRoleArn: _role, RegenerationBucketName: _bucket, ...old } = OUTPUTS_FILE.Thumbing;
    assert.throws(
      () => regenerationTarget({ Thumbing: old }),
      /stack Thumbing has no output RegenerateJobRoleArn, RegenerationBucketName: deploy the current version/,
    );
    assert.throws(() => regenerationTarget({ Thumbing: OUTPUTS_FILE.Thumbing }, "Other"), /no stack Other \(it has Thumbing\)/);
    assert.throws(() => regenerationTarget({}), /names no stack/);
    assert.throws(
      () => regenerationTarget({ T: { ...OUTPUTS_FILE.Thumbing, ProcessFunctionArn: "Thumbing-ProcessFunction" } }),
      /not a Lambda function ARN/,
    );
  });
});

describe("the manifest", () => {
  test("keys are URL-encoded as Batch Operations expects, and decoded back by the function's rules", () => {
    assert.equal(manifestKey("uploads/3f9c2a1e-ada.jpg"), "uploads/3f9c2a1e-ada.jpg");
    assert.equal(manifestKey("a b+c,d\"e.jpg"), "a%20b%2Bc%2Cd%22e.jpg");
    assert.equal(manifestKey("café ☕/x.png"), "caf%C3%A9%20%E2%98%95/x.png");
    // The function decodes like `decode_key` in lambda/src/handler.rs: `+` is a space, then %XX.
    for (const key of ["a b+c.jpg", "100%.png", "dir/ü.webp"]) {
      assert.equal(decodeURIComponent(manifestKey(key).replace(/\+/g, " ")), key);
    }
  });

  test("lists every upload the function is notified of, in key order, one CSV line each", () => {
    const listing = {
      Contents: [
        { Key: "z-last.png" },
        { Key: "3f9c2a1e-ada.jpg" },
        { Key: "grace hopper+1.jpeg" },
        { Key: "notes.txt" },
        { Key: "photo.JPG" },
        { Key: "folder/" },
        { Key: ".jpg" },
        { Key: "dir/b.webp" },
        { Key: "anim, \"quoted\".gif" },
      ],
    };
    const manifest = writeManifest(TARGET, listing);
    const bucket = "thumbing-uploadsbucket-1a2b3c";
    assert.equal(
      manifest.csv,
      [
        `${bucket},.jpg`,
        `${bucket},3f9c2a1e-ada.jpg`,
        `${bucket},anim%2C%20%22quoted%22.gif`,
        `${bucket},dir/b.webp`,
        `${bucket},grace%20hopper%2B1.jpeg`,
        `${bucket},z-last.png`,
        "",
      ].join("\n"),
    );
    assert.equal(manifest.uploads, 6);
    // Suffixes match as S3 notification filters do: exactly, case included.
    assert.deepEqual(manifest.leftOut, ["folder/", "notes.txt", "photo.JPG"]);
    // Every line is two CSV fields: nothing in a key can add one.
    for (const line of manifest.csv.trimEnd().split("\n")) assert.equal(line.split(",").length, 2, line);
  });

  test("only the upload folder, and an empty folder is an empty manifest", () => {
    const target = { ...TARGET, uploadPrefix: "uploads/" };
    const manifest = writeManifest(target, [{ Key: "uploads/a.jpg" }, { Key: "other/b.jpg" }, { Key: "uploads/c.png", Size: 10 }]);
    assert.equal(manifest.csv, "thumbing-uploadsbucket-1a2b3c,uploads/a.jpg\nthumbing-uploadsbucket-1a2b3c,uploads/c.png\n");
    // The CLI prints `null` (or nothing) for a folder without objects.
    for (const empty of [null, "", { Contents: null }, {}]) assert.equal(writeManifest(target, empty).uploads, 0);
    assert.throws(() => writeManifest(target, { Contents: [{ Name: "a.jpg" }] }), /list-objects-v2/);
  });
});

describe("the job", () => {
  test("settings for one job are the function's names, checked before anything is listed", () => {
    assert.deepEqual(userArguments(["SIZES=512,128", "OUTPUT_FORMAT= webp "]), { SIZES: "512,128", OUTPUT_FORMAT: "webp" });
    assert.deepEqual(userArguments([]), {});
    assert.throws(
      () => userArguments(["DEST_BUCKET_NAME=x", "QUALITY=", "SIZES=1", "SIZES=2", "CROP"]),
      (e: Error) =>
        e.message.includes("DEST_BUCKET_NAME cannot be set for one job") &&
        e.message.includes('"QUALITY=" is not NAME=VALUE') &&
        e.message.includes("SIZES is given twice") &&
        e.message.includes('"CROP" is not NAME=VALUE'),
    );
  });

  test("the settings a job may change are those the function accepts (lambda/src/config.rs)", () => {
    const source = fs.readFileSync(path.join(__dirname, "../../../../lambda/src/config.rs"), "utf8");
    const list = /pub const JOB_SETTINGS: &\[&str\] =\s*&\[([^\]]*)\]/.exec(source);
    assert.ok(list, "JOB_SETTINGS not found in lambda/src/config.rs");
    assert.deepEqual([...list[1].matchAll(/"([A-Z_]+)"/g)].map((m) => m[1]), JOB_SETTINGS);
  });

  test("the CreateJob request invokes the function with schema 2.0 over the manifest, with a report of every task", () => {
    const request = createJobRequest(TARGET, { key: "manifests/regenerate-1.csv", etag: '"0f343b0931126a20f133d67c2b018a3b"' }, { SIZES: "512,128" }, "regenerate-1");
    assert.deepEqual(request, {
      AccountId: "123456789012",
      ConfirmationRequired: false,
      Operation: {
        LambdaInvoke: {
          FunctionArn: TARGET.functionArn,
          InvocationSchemaVersion: "2.0",
          UserArguments: { SIZES: "512,128" },
        },
      },
      Manifest: {
        Spec: { Format: "S3BatchOperations_CSV_20180820", Fields: ["Bucket", "Key"] },
        Location: {
          ObjectArn: "arn:aws:s3:::thumbing-regenerationbucket-4d5e6f/manifests/regenerate-1.csv",
          ETag: "0f343b0931126a20f133d67c2b018a3b",
        },
      },
      Report: {
        Bucket: "arn:aws:s3:::thumbing-regenerationbucket-4d5e6f",
        Prefix: "reports",
        Format: "Report_CSV_20180820",
        Enabled: true,
        ReportScope: "AllTasks",
      },
      Priority: 10,
      RoleArn: TARGET.roleArn,
      ClientRequestToken: "regenerate-1",
      Description: "thumbing: regenerate the avatars of Thumbing with SIZES=512,128",
    });
    const plain = createJobRequest(TARGET, { key: "manifests/m.csv", etag: "e" }, {}, "t") as any;
    assert.equal(plain.Operation.LambdaInvoke.UserArguments, undefined, "no settings: the function's own");
    assert.throws(() => createJobRequest(TARGET, { key: "elsewhere/m.csv", etag: "e" }, {}, "t"), /under manifests\//);
  });

  test("the command writes what regenerate.sh reads", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "regenerate-job-"));
    try {
      const tool = path.join(__dirname, "../bin/regenerate-job.js");
      const outputs = path.join(dir, "outputs.json");
      fs.writeFileSync(outputs, JSON.stringify({ Thumbing: { ...OUTPUTS_FILE.Thumbing, UploadPrefix: "it's/" } }));
      const target = execFileSync("node", [tool, "target", outputs], { encoding: "utf8" });
      // Shell assignments that survive quotes in values.
      const shell = execFileSync("bash", ["-c", `${target}\nprintf '%s|%s|%s' "$upload_prefix" "$region" "$account"`], { encoding: "utf8" });
      assert.equal(shell, "it's/|eu-west-1|123456789012");

      const listing = path.join(dir, "listing.json");
      fs.writeFileSync(listing, JSON.stringify({ Contents: [{ Key: "it's/a b.png" }, { Key: "it's/readme.md" }] }));
      const csv = path.join(dir, "manifest.csv");
      const count = execFileSync("node", [tool, "manifest", outputs, listing, csv], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      assert.equal(count.trim(), "1");
      assert.equal(fs.readFileSync(csv, "utf8"), "thumbing-uploadsbucket-1a2b3c,it's/a%20b.png\n");

      const job = JSON.parse(execFileSync("node", [tool, "job", outputs, "manifests/m.csv", "etag", "token", "QUALITY=90"], { encoding: "utf8" }));
      assert.deepEqual(job.Operation.LambdaInvoke.UserArguments, { QUALITY: "90" });
      assert.throws(() => execFileSync("node", [tool, "job", outputs, "manifests/m.csv", "e", "t", "FOLDER_INPUT=x"], { stdio: "pipe" }), /FOLDER_INPUT cannot be set/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
