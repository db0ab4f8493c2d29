#!/usr/bin/env node
/**
 * The offline steps of regenerate.sh:
 *
 *   node dist/bin/regenerate-job.js target <outputs.json> [stack]
 *       prints the job's target as shell assignments (one `name=value` a line, values quoted)
 *   node dist/bin/regenerate-job.js manifest <outputs.json> <listing.json> <manifest.csv> [stack]
 *       writes the manifest of every upload in a `list-objects-v2` listing; prints the count
 *   node dist/bin/regenerate-job.js job <outputs.json> <manifest key> <etag> <token> [NAME=VALUE...]
 *       prints the `s3control create-job --cli-input-json` document
 *
 * The stack may also be named with THUMBING_STACK_NAME.
 */
import * as fs from "node:fs";

import { createJobRequest, regenerationTarget, userArguments, writeManifest } from "../lib/regenerate";

const USAGE = `usage: regenerate-job.js target <outputs.json>
       regenerate-job.js manifest <outputs.json> <listing.json> <manifest.csv>
       regenerate-job.js job <outputs.json> <manifest key> <etag> <token> [NAME=VALUE...]`;

function readJson(file: string): unknown {
  const text = fs.readFileSync(file, "utf8");
  return text.trim() === "" ? null : JSON.parse(text);
}

/** A single-quoted shell word. */
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function main(args: string[]): void {
  const [command, outputsFile, ...rest] = args;
  if (outputsFile === undefined) throw new Usage();
  const target = regenerationTarget(readJson(outputsFile), process.env.THUMBING_STACK_NAME || undefined);
  switch (command) {
    case "target": {
      const values: Record<string, string> = {
        stack: target.stack,
        uploads_bucket: target.uploadsBucket,
        upload_prefix: target.uploadPrefix,
        regeneration_bucket: target.regenerationBucket,
        function_arn: target.functionArn,
        region: target.region,
        account: target.account,
      };
      for (const [name, value] of Object.entries(values)) process.stdout.write(`${name}=${shellQuote(value)}\n`);
      return;
    }
    case "manifest": {
      const [listingFile, csvFile] = rest;
      if (csvFile === undefined) throw new Usage();
      const manifest = writeManifest(target, readJson(listingFile));
      fs.writeFileSync(csvFile, manifest.csv);
      for (const key of manifest.leftOut.slice(0, 20)) process.stderr.write(`not an upload the function is notified of, left out: ${key}\n`);
      if (manifest.leftOut.length > 20) process.stderr.write(`… and ${manifest.leftOut.length - 20} more left out\n`);
      process.stdout.write(`${manifest.uploads}\n`);
      return;
    }
    case "job": {
      const [key, etag, token, ...settings] = rest;
      if (token === undefined) throw new Usage();
      process.stdout.write(JSON.stringify(createJobRequest(target, { key, etag }, userArguments(settings), token), null, 2) + "\n");
      return;
    }
    default:
      throw new Usage();
  }
}

class Usage extends Error {}

try {
  main(process.argv.slice(2));
} catch (e) {
  if (e instanceof Usage) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  }
  process.stderr.write(`regenerate: ${(e as Error).message}\n`);
  process.exit(1);
}
