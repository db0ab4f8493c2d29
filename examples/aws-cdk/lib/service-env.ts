/**
 * The stack's outputs (`cdk deploy --outputs-file`) as environment variables for the avatar
 * service (examples/avatar-service), in a file to `source` before starting it.
 */

/** The outputs of one stack, as `cdk deploy --outputs-file` writes them. */
export type StackOutputs = Record<string, string>;

const NEEDED = ["OidcIssuer", "UserPoolId", "UserPoolClientId", "UploadsBucketName", "AssetsBucketName"];

/** The text of `avatar-service.env` for the first stack in an outputs file. */
export function serviceEnv(outputsFile: Record<string, StackOutputs>): string {
  const stacks = Object.entries(outputsFile);
  if (stacks.length === 0) throw new Error("the outputs file names no stack");
  const [stack, o] = stacks[0];
  const missing = NEEDED.filter((key) => typeof o[key] !== "string" || o[key] === "");
  if (missing.length > 0) throw new Error(`stack ${stack} has no output ${missing.join(", ")}`);
  // https://cognito-idp.<region>.amazonaws.com/<pool id>
  const region = /^https:\/\/cognito-idp\.([a-z0-9-]+)\.amazonaws\.com\//.exec(o.OidcIssuer)?.[1];
  if (region === undefined) throw new Error(`OidcIssuer ${o.OidcIssuer} is not a Cognito issuer URL`);
  const lines = [
    `# The ${stack} stack, for the avatar service: source this file before starting it.`,
    `export AWS_REGION=${region}`,
    `export USER_POOL_ID=${o.UserPoolId}`,
    `export CLIENT_ID=${o.UserPoolClientId}`,
    "export STORAGE=s3",
    `export UPLOADS_BUCKET=${o.UploadsBucketName}`,
    `export ASSETS_BUCKET=${o.AssetsBucketName}`,
  ];
  if (o.AvatarServicePolicyArn) lines.push(`# Attach to the service's role or user: ${o.AvatarServicePolicyArn}`);
  if (o.UploadUrlEndpoint) lines.push(`# Upload forms from the API (POST with a Cognito access token): ${o.UploadUrlEndpoint}`);
  if (o.AvatarBaseUrl) lines.push(`# Avatars through the CDN: ${o.AvatarBaseUrl}<sub>.jpg`);
  return lines.join("\n") + "\n";
}
