/**
 * The deployment's settings, read from CDK context (`-c name=value`) or from the environment
 * (`THUMBING_NAME`), checked all at once: a bad value stops `cdk synth` with one message that
 * lists every problem, each naming its setting.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** Where a value comes from: a context key and the environment variable standing for it. */
export interface Setting {
  /** Context key, e.g. `allowedOrigins`. */
  readonly key: string;
  /** Environment variable, e.g. `THUMBING_ALLOWED_ORIGINS`. */
  readonly env: string;
  /** One line for the README and for error messages. */
  readonly help: string;
}

/** An existing Cognito user pool and app client to authorize the API with. */
export interface ExistingUserPool {
  readonly userPoolId: string;
  readonly clientId: string;
  /** The pool's region, the part of the id before `_`. */
  readonly region: string;
}

/** A custom domain for the CDN, e.g. `assets.example.com`. */
export interface CustomDomain {
  readonly domainName: string;
  /** An ACM certificate in us-east-1 covering `domainName`. */
  readonly certificateArn: string;
  /** A Route 53 hosted zone to create the alias records in; without it, no records are made. */
  readonly hostedZone?: { readonly id: string; readonly name: string };
}

/** Everything the stack needs. */
export interface ThumbingConfig {
  readonly stackName: string;
  readonly account?: string;
  readonly region?: string;
  /** The process function's `bootstrap.zip` (thumbing-lambda, arm64). */
  readonly processZip: string;
  /** The upload-URL function's `bootstrap.zip` (avatar-upload-url, arm64). */
  readonly uploadUrlZip: string;
  /** Origins of the web page: CORS of the API and of the uploads bucket. */
  readonly allowedOrigins: string[];
  /** Folder of the uploads bucket the raw uploads go to: empty (bucket root) or ending in `/`. */
  readonly uploadPrefix: string;
  /** Folder of the assets bucket the avatars go to, ending in `/`. */
  readonly outputPrefix: string;
  /** Upload extensions accepted by the upload function and processed by the process function. */
  readonly allowedExtensions: string[];
  readonly maxUploadBytes: number;
  readonly uploadUrlTtlSeconds: number;
  /** Raw uploads are deleted this many days after they were written. */
  readonly uploadRetentionDays: number;
  readonly processMemoryMb: number;
  readonly processTimeoutSeconds: number;
  /** `SIZES` of the process function, e.g. `512,128`; empty for one 512×512 avatar. */
  readonly sizes: string;
  /**
   * `OUTPUT_FORMAT` of the process function, the main format first: each avatar is written in
   * every one (`<sub>.jpg`, `<sub>.webp`, `<sub>.avif`), and the CDN answers the main URL with
   * the best that the browser's `Accept` header names.
   */
  readonly outputFormats: string[];
  /** Scopes the access token must carry on the upload route; empty: none required. */
  readonly requiredScopes: string[];
  readonly existingUserPool?: ExistingUserPool;
  readonly webhookUrl?: string;
  readonly customDomain?: CustomDomain;
  /** `PriceClass_100`, `PriceClass_200` or `PriceClass_All`. */
  readonly priceClass: "PriceClass_100" | "PriceClass_200" | "PriceClass_All";
  /** Keep the assets bucket and the user pool on `cdk destroy` (the default). */
  readonly retainData: boolean;
}

/** Invalid settings: every problem found, each naming its setting. */
export class ConfigError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`invalid thumbing deployment settings:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/** Where the build commands documented in the README put the two zips. */
export function defaultZipPaths(repoRoot: string, cargoTargetDir?: string): { processZip: string; uploadUrlZip: string } {
  const target = cargoTargetDir && cargoTargetDir.trim() !== "" ? cargoTargetDir : path.join(repoRoot, "target");
  return {
    processZip: path.join(repoRoot, "lambda", "dist", "arm64", "thumbing-lambda", "bootstrap.zip"),
    uploadUrlZip: path.join(target, "lambda", "avatar-upload-url", "bootstrap.zip"),
  };
}

export const PROCESS_BUILD_COMMAND = "bash lambda/build.sh arm64";
export const UPLOAD_URL_BUILD_COMMAND =
  "cargo lambda build --release --arm64 --output-format zip -p thumbing-avatar-service " +
  "--bin avatar-upload-url --no-default-features --features lambda";

/**
 * Whether `file` starts like a zip archive and names a `bootstrap` entry (what the
 * provided.al2023 runtime starts). Reads the file's last 64 KiB: the central directory of a
 * one-file Lambda package is at its end.
 */
function isZipWithBootstrap(file: string): boolean {
  const fd = fs.openSync(file, "r");
  try {
    const size = fs.fstatSync(fd).size;
    const head = Buffer.alloc(4);
    fs.readSync(fd, head, 0, 4, 0);
    if (head.readUInt32LE(0) !== 0x04034b50) return false;
    const length = Math.min(size, 64 * 1024);
    const tail = Buffer.alloc(length);
    fs.readSync(fd, tail, 0, length, size - length);
    return tail.includes("bootstrap");
  } finally {
    fs.closeSync(fd);
  }
}

/** Every setting, in the order the README lists them. */
export const SETTINGS: Record<string, Setting> = Object.fromEntries(
  (
    [
      ["stackName", "name of the CloudFormation stack (default Thumbing)"],
      ["account", "AWS account id; unset: the stack is environment-agnostic"],
      ["region", "AWS region; unset: the region of the credentials at deploy time"],
      ["processZip", `bootstrap.zip of the process function (default: where \`${PROCESS_BUILD_COMMAND}\` puts it)`],
      ["uploadUrlZip", "bootstrap.zip of the upload-URL function (default: where cargo-lambda puts it)"],
      ["allowedOrigins", "comma-separated origins of the web page, https:// (http://localhost and http://127.0.0.1 for development)"],
      ["uploadPrefix", "folder of the uploads bucket for raw uploads (default: the bucket root)"],
      ["outputPrefix", "folder of the assets bucket for avatars (default avatars)"],
      ["allowedExtensions", "upload extensions accepted and processed (default jpg,jpeg,png,webp,gif)"],
      ["maxUploadBytes", "largest accepted upload in bytes (default 10485760)"],
      ["uploadUrlTtlSeconds", "lifetime of a presigned upload in seconds (default 300)"],
      ["uploadRetentionDays", "raw uploads are deleted after this many days (default 7)"],
      ["processMemoryMb", "memory of the process function in MB (default 512)"],
      ["processTimeoutSeconds", "timeout of the process function in seconds (default 15)"],
      ["sizes", "SIZES of the process function, e.g. 512,128 (default: one 512x512 avatar)"],
      ["outputFormats", "OUTPUT_FORMAT of the process function, main format first: jpeg, png, webp, webp-lossless, avif (default jpeg,webp,avif)"],
      ["requiredScopes", "comma-separated scopes the access token must carry (default aws.cognito.signin.user.admin; `none` for none)"],
      ["userPoolId", "an existing Cognito user pool id; unset: the stack creates a pool"],
      ["userPoolClientId", "the app client id of the existing user pool (with userPoolId)"],
      ["webhookUrl", "https URL subscribed to the new-avatar SNS topic (optional)"],
      ["domainName", "custom domain of the CDN, e.g. assets.example.com (optional)"],
      ["certificateArn", "ACM certificate in us-east-1 for domainName"],
      ["hostedZoneId", "Route 53 hosted zone for the alias records of domainName (optional)"],
      ["hostedZoneName", "name of that hosted zone, e.g. example.com"],
      ["priceClass", "CloudFront price class: 100, 200 or All (default All)"],
      ["retainData", "keep the assets bucket and the user pool on cdk destroy (default true)"],
    ] as const
  ).map(([key, help]) => [key, { key, env: envName(key), help }]),
);

/** `allowedOrigins` → `THUMBING_ALLOWED_ORIGINS`. */
export function envName(key: string): string {
  return "THUMBING_" + key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
}

/** Reads one setting: context first, then the environment; blank counts as unset. */
export type Lookup = (setting: Setting) => string | undefined;

/** A lookup over CDK context (`tryGetContext`) and an environment. */
export function contextThenEnv(tryGetContext: (key: string) => unknown, env: NodeJS.ProcessEnv): Lookup {
  return (setting) => {
    const fromContext = tryGetContext(setting.key);
    const value = fromContext !== undefined && fromContext !== null ? String(fromContext) : env[setting.env];
    return value === undefined || value.trim() === "" ? undefined : value.trim();
  };
}

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);
const EXTENSION = /^[a-z0-9]{1,10}$/;
const FOLDER = /^[A-Za-z0-9!_.*'()\-]+(\/[A-Za-z0-9!_.*'()\-]+)*$/;
const USER_POOL_ID = /^([a-z]{2}(?:-[a-z]+)+-\d)_[0-9A-Za-z]+$/;
const CLIENT_ID = /^[0-9a-z]{1,128}$/;
const CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate\/[0-9a-f-]+$/;
const HOSTED_ZONE_ID = /^Z[0-9A-Z]{1,31}$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
/** The words of thumbing's output formats (`OutputFormat`); `jpg` is read as `jpeg`. */
export const OUTPUT_FORMATS = ["jpeg", "png", "webp", "webp-lossless", "avif"];
/** JPEG for every browser, and the smaller lossy WebP and AVIF for those that say they read them. */
export const DEFAULT_OUTPUT_FORMATS = "jpeg,webp,avif";

/**
 * Reads and checks every setting. `repoRoot` and `cargoTargetDir` give the default zip paths;
 * `checkFiles` (default true) requires the two zips to exist.
 */
export function readConfig(
  lookup: Lookup,
  options: { repoRoot: string; cargoTargetDir?: string; checkFiles?: boolean },
): ThumbingConfig {
  const problems: string[] = [];
  const get = (key: string) => lookup(SETTINGS[key]);
  const name = (key: string) => `${key} (${SETTINGS[key].env})`;

  const integer = (key: string, fallback: number, min: number, max: number, unit: string): number => {
    const raw = get(key);
    if (raw === undefined) return fallback;
    const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      problems.push(`${name(key)}=${JSON.stringify(raw)} is not valid: expected a whole number of ${unit} from ${min} to ${max}`);
      return fallback;
    }
    return value;
  };
  const list = (raw: string) =>
    raw
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
  const folder = (key: string, fallback: string): string => {
    const raw = get(key);
    if (raw === undefined) return fallback;
    const trimmed = raw.replace(/^\/+|\/+$/g, "");
    if (trimmed === "") return "";
    if (!FOLDER.test(trimmed)) {
      problems.push(
        `${name(key)}=${JSON.stringify(raw)} is not a valid folder: use letters, digits and !_.*'()- separated by /`,
      );
      return fallback;
    }
    return trimmed + "/";
  };

  const stackName = get("stackName") ?? "Thumbing";
  if (!/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(stackName)) {
    problems.push(`${name("stackName")}=${JSON.stringify(stackName)} is not a valid stack name: letters, digits and -, starting with a letter`);
  }
  const account = get("account");
  if (account !== undefined && !/^\d{12}$/.test(account)) {
    problems.push(`${name("account")}=${JSON.stringify(account)} is not an AWS account id (12 digits)`);
  }
  const region = get("region");
  if (region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) {
    problems.push(`${name("region")}=${JSON.stringify(region)} is not an AWS region such as eu-west-1`);
  }

  const defaults = defaultZipPaths(options.repoRoot, options.cargoTargetDir);
  const zip = (key: "processZip" | "uploadUrlZip", command: string): string => {
    const file = path.resolve(get(key) ?? defaults[key]);
    if (options.checkFiles !== false && !fs.existsSync(file)) {
      problems.push(
        `${name(key)}: ${file} does not exist. Build it with \`${command}\` (from the repository root), ` +
          `or run \`bash examples/aws-cdk/deploy.sh\`, which builds both zips`,
      );
    } else if (!file.endsWith(".zip")) {
      problems.push(`${name(key)}: ${file} is not a .zip file`);
    } else if (options.checkFiles !== false && !isZipWithBootstrap(file)) {
      problems.push(`${name(key)}: ${file} is not a zip archive holding a \`bootstrap\` executable; rebuild it with \`${command}\``);
    }
    return file;
  };
  const processZip = zip("processZip", PROCESS_BUILD_COMMAND);
  const uploadUrlZip = zip("uploadUrlZip", UPLOAD_URL_BUILD_COMMAND);

  const originsRaw = get("allowedOrigins") ?? "http://localhost:8080,http://127.0.0.1:8080";
  const allowedOrigins: string[] = [];
  for (const origin of list(originsRaw)) {
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {
      url = undefined;
    }
    const exact = url !== undefined && !origin.includes("*") && url.origin === origin.replace(/\/$/, "") && url.pathname === "/" && !url.search;
    if (!url || !exact) {
      problems.push(`${name("allowedOrigins")}: ${JSON.stringify(origin)} is not an origin such as https://app.example.com (no path, no wildcard)`);
    } else if (url.protocol !== "https:" && !(url.protocol === "http:" && LOCAL_HOSTS.has(url.hostname))) {
      problems.push(
        `${name("allowedOrigins")}: ${JSON.stringify(origin)} must use https:// (plain http:// is only allowed for localhost and 127.0.0.1)`,
      );
    } else {
      allowedOrigins.push(url.origin);
    }
  }
  if (list(originsRaw).length === 0) problems.push(`${name("allowedOrigins")} lists no origin`);

  const uploadPrefix = folder("uploadPrefix", "");
  const outputPrefix = folder("outputPrefix", "avatars/");
  if (outputPrefix === "") problems.push(`${name("outputPrefix")} must not be empty: the avatars need a folder of their own`);
  // The process function never reads keys under its FOLDER_FAILED (default failed/).
  if (uploadPrefix === "failed/" || uploadPrefix.startsWith("failed/")) {
    problems.push(`${name("uploadPrefix")}=${JSON.stringify(uploadPrefix)} lies inside failed/, which the process function never reads`);
  }

  const allowedExtensions = list((get("allowedExtensions") ?? "jpg,jpeg,png,webp,gif").toLowerCase());
  for (const ext of allowedExtensions) {
    if (!EXTENSION.test(ext)) {
      problems.push(`${name("allowedExtensions")}: ${JSON.stringify(ext)} is not a file extension (letters and digits, no dot)`);
    }
  }
  if (allowedExtensions.length === 0) problems.push(`${name("allowedExtensions")} lists no extension`);
  if (new Set(allowedExtensions).size !== allowedExtensions.length) {
    problems.push(`${name("allowedExtensions")} lists an extension twice`);
  }

  // S3 presigned POST allows up to 5 GiB in one request.
  const maxUploadBytes = integer("maxUploadBytes", 10 * 1024 * 1024, 1, 5 * 1024 ** 3, "bytes");
  const uploadUrlTtlSeconds = integer("uploadUrlTtlSeconds", 300, 1, 7 * 24 * 3600, "seconds");
  const uploadRetentionDays = integer("uploadRetentionDays", 7, 1, 3650, "days");
  // Lambda's limits: 128 MB to 10240 MB, 900 s.
  const processMemoryMb = integer("processMemoryMb", 512, 128, 10240, "MB");
  const processTimeoutSeconds = integer("processTimeoutSeconds", 15, 1, 900, "seconds");

  const sizes = get("sizes") ?? "";
  if (sizes !== "") {
    const parts = sizes.split(",").map((s) => s.trim());
    if (parts.some((s) => !/^\d+$/.test(s) || Number(s) < 1 || Number(s) > 4096)) {
      problems.push(`${name("sizes")}=${JSON.stringify(sizes)} is not a list of sizes such as 512,128 (each 1 to 4096)`);
    } else if (new Set(parts).size !== parts.length) {
      problems.push(`${name("sizes")}=${JSON.stringify(sizes)} lists a size twice`);
    }
  }

  const outputFormats = list((get("outputFormats") ?? DEFAULT_OUTPUT_FORMATS).toLowerCase()).map((f) => (f === "jpg" ? "jpeg" : f));
  for (const format of outputFormats) {
    if (!OUTPUT_FORMATS.includes(format)) {
      problems.push(`${name("outputFormats")}: ${JSON.stringify(format)} is not one of ${OUTPUT_FORMATS.join(", ")}`);
    }
  }
  const extensions = outputFormats.map((f) => (f.startsWith("webp") ? "webp" : f));
  if (outputFormats.length === 0) {
    problems.push(`${name("outputFormats")} is empty: at least one format is needed`);
  } else if (new Set(extensions).size !== extensions.length) {
    problems.push(`${name("outputFormats")}=${JSON.stringify(outputFormats.join(","))} lists a format twice or two formats written as the same file type`);
  }

  const scopesRaw = get("requiredScopes") ?? "aws.cognito.signin.user.admin";
  const requiredScopes = scopesRaw.toLowerCase() === "none" ? [] : list(scopesRaw);
  for (const scope of requiredScopes) {
    if (!SCOPE.test(scope)) problems.push(`${name("requiredScopes")}: ${JSON.stringify(scope)} is not an OAuth scope`);
  }

  const userPoolId = get("userPoolId");
  const clientId = get("userPoolClientId");
  let existingUserPool: ExistingUserPool | undefined;
  if (userPoolId !== undefined || clientId !== undefined) {
    const match = userPoolId === undefined ? null : USER_POOL_ID.exec(userPoolId);
    if (userPoolId === undefined) {
      problems.push(`${name("userPoolClientId")} is set without ${name("userPoolId")}: set both, or neither to let the stack create a user pool`);
    } else if (!match) {
      problems.push(`${name("userPoolId")}=${JSON.stringify(userPoolId)} is not a Cognito user pool id such as eu-west-1_AbCdEf123`);
    }
    if (clientId === undefined) {
      problems.push(`${name("userPoolId")} is set without ${name("userPoolClientId")}: the API needs the app client id as the token audience`);
    } else if (!CLIENT_ID.test(clientId)) {
      problems.push(`${name("userPoolClientId")}=${JSON.stringify(clientId)} is not a Cognito app client id`);
    }
    if (match && clientId !== undefined && CLIENT_ID.test(clientId)) {
      existingUserPool = { userPoolId: userPoolId!, clientId, region: match[1] };
    }
  }

  const webhookUrl = get("webhookUrl");
  if (webhookUrl !== undefined) {
    let ok = false;
    try {
      const u = new URL(webhookUrl);
      ok = u.protocol === "https:" && u.hostname !== "";
    } catch {
      ok = false;
    }
    if (!ok) problems.push(`${name("webhookUrl")}=${JSON.stringify(webhookUrl)} is not an https:// URL`);
  }

  const domainName = get("domainName")?.toLowerCase().replace(/\.$/, "");
  const certificateArn = get("certificateArn");
  const hostedZoneId = get("hostedZoneId");
  const hostedZoneName = get("hostedZoneName")?.toLowerCase().replace(/\.$/, "");
  let customDomain: CustomDomain | undefined;
  if (domainName === undefined) {
    for (const key of ["certificateArn", "hostedZoneId", "hostedZoneName"] as const) {
      if (get(key) !== undefined) problems.push(`${name(key)} is set but ${name("domainName")} is not: set the domain it belongs to`);
    }
  } else {
    let ok = true;
    if (!DOMAIN.test(domainName)) {
      problems.push(`${name("domainName")}=${JSON.stringify(domainName)} is not a domain name such as assets.example.com`);
      ok = false;
    }
    const arn = certificateArn === undefined ? null : CERTIFICATE_ARN.exec(certificateArn);
    if (certificateArn === undefined) {
      problems.push(`${name("domainName")} needs ${name("certificateArn")}: an ACM certificate in us-east-1 covering ${domainName}`);
      ok = false;
    } else if (!arn) {
      problems.push(`${name("certificateArn")}=${JSON.stringify(certificateArn)} is not an ACM certificate ARN`);
      ok = false;
    } else if (arn[1] !== "us-east-1") {
      problems.push(`${name("certificateArn")} is in ${arn[1]}: CloudFront only uses certificates from us-east-1`);
      ok = false;
    }
    let hostedZone: CustomDomain["hostedZone"];
    if (hostedZoneId !== undefined || hostedZoneName !== undefined) {
      if (hostedZoneId === undefined || hostedZoneName === undefined) {
        problems.push(`${name("hostedZoneId")} and ${name("hostedZoneName")} go together: set both or neither`);
        ok = false;
      } else if (!HOSTED_ZONE_ID.test(hostedZoneId)) {
        problems.push(`${name("hostedZoneId")}=${JSON.stringify(hostedZoneId)} is not a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ`);
        ok = false;
      } else if (!DOMAIN.test(hostedZoneName)) {
        problems.push(`${name("hostedZoneName")}=${JSON.stringify(hostedZoneName)} is not a domain name`);
        ok = false;
      } else if (domainName !== hostedZoneName && !domainName.endsWith("." + hostedZoneName)) {
        problems.push(`${name("domainName")} ${domainName} is not inside the hosted zone ${hostedZoneName}`);
        ok = false;
      } else {
        hostedZone = { id: hostedZoneId, name: hostedZoneName };
      }
    }
    if (ok) customDomain = { domainName, certificateArn: certificateArn!, hostedZone };
  }

  const priceClassRaw = (get("priceClass") ?? "All").replace(/^PriceClass_/i, "");
  const priceClass = ({ "100": "PriceClass_100", "200": "PriceClass_200", all: "PriceClass_All" } as const)[
    priceClassRaw.toLowerCase() as "100" | "200" | "all"
  ];
  if (priceClass === undefined) problems.push(`${name("priceClass")}=${JSON.stringify(priceClassRaw)} is not one of 100, 200 or All`);

  const retainRaw = (get("retainData") ?? "true").toLowerCase();
  if (!["true", "false"].includes(retainRaw)) problems.push(`${name("retainData")}=${JSON.stringify(retainRaw)} is not true or false`);

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    stackName,
    account,
    region,
    processZip,
    uploadUrlZip,
    allowedOrigins: [...new Set(allowedOrigins)],
    uploadPrefix,
    outputPrefix,
    allowedExtensions,
    maxUploadBytes,
    uploadUrlTtlSeconds,
    uploadRetentionDays,
    processMemoryMb,
    processTimeoutSeconds,
    sizes,
    outputFormats,
    requiredScopes,
    existingUserPool,
    webhookUrl,
    customDomain,
    priceClass: priceClass ?? "PriceClass_All",
    retainData: retainRaw !== "false",
  };
}
