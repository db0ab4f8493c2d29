/**
 * The pieces of a regeneration job that regenerate.sh puts together: the stack's outputs it
 * needs, the S3 Batch Operations manifest (CSV) of every upload, and the `CreateJob` request
 * that runs the process function over it. Pure functions, tested offline; the script does the
 * AWS calls.
 */
import { REGENERATION_MANIFESTS, REGENERATION_REPORTS } from "./stack";

/**
 * The settings a job may change for its own tasks (its `userArguments`): the names of
 * `JOB_SETTINGS` in lambda/src/config.rs, which the function checks again.
 */
export const JOB_SETTINGS = ["SIZES", "PROCESS_WIDTH", "PROCESS_HEIGHT", "OUTPUT_FORMAT", "QUALITY", "CROP", "CACHE_CONTROL"];

/** What a regeneration job needs from the stack's outputs. */
export interface RegenerationTarget {
  readonly stack: string;
  readonly uploadsBucket: string;
  /** The upload folder, `""` for the bucket root. */
  readonly uploadPrefix: string;
  /** Extensions of the uploads the function is notified of, without dots. */
  readonly extensions: string[];
  readonly functionArn: string;
  readonly roleArn: string;
  readonly regenerationBucket: string;
  readonly region: string;
  readonly account: string;
}

const NEEDED = ["UploadsBucketName", "UploadPrefix", "UploadExtensions", "ProcessFunctionArn", "RegenerateJobRoleArn", "RegenerationBucketName"];

/**
 * The target of a job from the stack outputs: either the file `cdk deploy --outputs-file`
 * writes (`{"<stack>": {"<OutputKey>": "<value>"}}`, the first stack or the one named) or
 * the `Stacks[0]` of `aws cloudformation describe-stacks`.
 */
export function regenerationTarget(outputs: unknown, stackName?: string): RegenerationTarget {
  const [stack, values] = outputsOf(outputs, stackName);
  const missing = NEEDED.filter((key) => typeof values[key] !== "string" || values[key] === "");
  if (missing.length > 0) {
    throw new Error(`stack ${stack} has no output ${missing.join(", ")}: deploy the current version of the stack first`);
  }
  // arn:aws:lambda:<region>:<account>:function:<name>
  const arn = /^arn:aws[a-z-]*:lambda:([a-z0-9-]+):(\d{12}):function:[A-Za-z0-9_-]+$/.exec(values.ProcessFunctionArn);
  if (arn === null) throw new Error(`ProcessFunctionArn ${values.ProcessFunctionArn} is not a Lambda function ARN`);
  const extensions = values.UploadExtensions.split(",").map((e) => e.trim()).filter((e) => e !== "");
  return {
    stack,
    uploadsBucket: values.UploadsBucketName,
    // The stack shows the bucket root as "(bucket root)".
    uploadPrefix: values.UploadPrefix.startsWith("(") ? "" : values.UploadPrefix,
    extensions,
    functionArn: values.ProcessFunctionArn,
    roleArn: values.RegenerateJobRoleArn,
    regenerationBucket: values.RegenerationBucketName,
    region: arn[1],
    account: arn[2],
  };
}

function outputsOf(outputs: unknown, stackName?: string): [string, Record<string, string>] {
  if (typeof outputs !== "object" || outputs === null) throw new Error("the stack outputs are not a JSON object");
  const o = outputs as Record<string, any>;
  if (Array.isArray(o.Outputs) && typeof o.StackName === "string") {
    const values: Record<string, string> = {};
    for (const { OutputKey, OutputValue } of o.Outputs) values[OutputKey] = OutputValue;
    return [o.StackName, values];
  }
  const stacks = Object.entries(o);
  if (stacks.length === 0) throw new Error("the outputs file names no stack");
  const found = stackName === undefined ? stacks[0] : stacks.find(([name]) => name === stackName);
  if (found === undefined) throw new Error(`the outputs file has no stack ${stackName} (it has ${stacks.map(([n]) => n).join(", ")})`);
  return found as [string, Record<string, string>];
}

/**
 * A key as Batch Operations manifests spell it: URL-encoded (UTF-8), `/` kept. The function
 * decodes it as it decodes the keys of S3 events.
 */
export function manifestKey(key: string): string {
  return encodeURIComponent(key).replace(/%2F/g, "/");
}

/** One object of an S3 listing (`list-objects-v2`). */
export interface ListedObject {
  readonly Key: string;
  readonly Size?: number;
}

/** What went into a manifest, and what was left out. */
export interface Manifest {
  /** The CSV: `bucket,key` lines. */
  readonly csv: string;
  readonly uploads: number;
  /** Keys under the upload folder that are not uploads the function is notified of. */
  readonly leftOut: string[];
}

/**
 * The manifest of every upload in `listing` (the JSON of `aws s3api list-objects-v2`, which
 * the CLI merges over all pages, or a plain array of its `Contents`): the keys under the
 * upload folder ending in one of the extensions the function is notified of (exactly as S3
 * matches a notification's suffix), in key order, one `bucket,key` CSV line each.
 */
export function writeManifest(target: RegenerationTarget, listing: unknown): Manifest {
  const contents = contentsOf(listing);
  const suffixes = target.extensions.map((e) => `.${e}`);
  const lines: string[] = [];
  const leftOut: string[] = [];
  const keys = contents.map((o) => o.Key).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  for (const key of keys) {
    if (!key.startsWith(target.uploadPrefix)) continue;
    if (!suffixes.some((s) => key.endsWith(s))) {
      leftOut.push(key);
      continue;
    }
    lines.push(`${target.uploadsBucket},${manifestKey(key)}\n`);
  }
  return { csv: lines.join(""), uploads: lines.length, leftOut };
}

function contentsOf(listing: unknown): ListedObject[] {
  // `list-objects-v2` prints nothing at all (or `null`) for an empty folder.
  if (listing === null || listing === undefined || listing === "") return [];
  const contents = Array.isArray(listing) ? listing : (listing as Record<string, unknown>).Contents ?? [];
  if (!Array.isArray(contents) || contents.some((o) => typeof o?.Key !== "string")) {
    throw new Error("the listing is not the output of `aws s3api list-objects-v2` (Contents[].Key)");
  }
  return contents as ListedObject[];
}

/**
 * The job's settings from `NAME=VALUE` arguments, checked against [`JOB_SETTINGS`] (the
 * function checks the values, and fails every task with the problems if one is wrong).
 */
export function userArguments(args: string[]): Record<string, string> {
  const settings: Record<string, string> = {};
  const problems: string[] = [];
  for (const arg of args) {
    const eq = arg.indexOf("=");
    const [name, value] = eq < 0 ? [arg, ""] : [arg.slice(0, eq), arg.slice(eq + 1)];
    if (eq < 0 || value.trim() === "") problems.push(`${JSON.stringify(arg)} is not NAME=VALUE`);
    else if (!JOB_SETTINGS.includes(name)) problems.push(`${name} cannot be set for one job: the settings a job may change are ${JOB_SETTINGS.join(", ")}`);
    else if (name in settings) problems.push(`${name} is given twice`);
    else settings[name] = value.trim();
  }
  if (problems.length > 0) throw new Error(problems.join("\n"));
  return settings;
}

/** Where the manifest was put, as S3 answered the upload. */
export interface ManifestObject {
  readonly key: string;
  readonly etag: string;
}

/**
 * The `aws s3control create-job --cli-input-json` document: invoke the process function
 * (invocation schema 2.0, the job's settings as `userArguments`) for every line of the
 * manifest, with the regeneration role, and a completion report of every task under
 * `reports/`.
 */
export function createJobRequest(
  target: RegenerationTarget,
  manifest: ManifestObject,
  settings: Record<string, string>,
  token: string,
): Record<string, unknown> {
  if (!manifest.key.startsWith(REGENERATION_MANIFESTS)) {
    throw new Error(`the manifest must be under ${REGENERATION_MANIFESTS}, where the job's role may read it`);
  }
  const described = Object.entries(settings).map(([k, v]) => `${k}=${v}`).join(" ");
  const lambdaInvoke: Record<string, unknown> = { FunctionArn: target.functionArn, InvocationSchemaVersion: "2.0" };
  if (Object.keys(settings).length > 0) lambdaInvoke.UserArguments = settings;
  return {
    AccountId: target.account,
    ConfirmationRequired: false,
    Operation: { LambdaInvoke: lambdaInvoke },
    Manifest: {
      Spec: { Format: "S3BatchOperations_CSV_20180820", Fields: ["Bucket", "Key"] },
      Location: {
        ObjectArn: `arn:aws:s3:::${target.regenerationBucket}/${manifest.key}`,
        ETag: manifest.etag.replace(/^"|"$/g, ""),
      },
    },
    Report: {
      Bucket: `arn:aws:s3:::${target.regenerationBucket}`,
      Prefix: REGENERATION_REPORTS.replace(/\/$/, ""),
      Format: "Report_CSV_20180820",
      Enabled: true,
      ReportScope: "AllTasks",
    },
    Priority: 10,
    RoleArn: target.roleArn,
    ClientRequestToken: token,
    Description: `thumbing: regenerate the avatars of ${target.stack}${described === "" ? "" : ` with ${described}`}`.slice(0, 256),
  };
}
