/**
 * The synthesized CloudFormation template: each resource and the properties that matter.
 */
import * as assert from "node:assert/strict";
import { describe, test } from "node:test";

import { Match, type Template } from "aws-cdk-lib/assertions";

import { formatNegotiationCode } from "../lib/stack";
import { templateOf } from "./fixtures";

type Resource = { Type: string; Properties: Record<string, any>; DeletionPolicy?: string };

/** The only resource of a type, failing when there is not exactly one. */
function only(template: Template, type: string, props: Record<string, unknown> = {}): [string, Resource] {
  const found = Object.entries(template.findResources(type, props ? { Properties: Match.objectLike(props) } : undefined));
  assert.equal(found.length, 1, `expected one ${type}, found ${found.length}`);
  return found[0] as [string, Resource];
}

/** The logical id of the bucket whose id starts with `prefix` (UploadsBucket, AssetsBucket). */
function bucketId(template: Template, prefix: string): string {
  const ids = Object.keys(template.findResources("AWS::S3::Bucket")).filter((id) => id.startsWith(prefix));
  assert.equal(ids.length, 1, `expected one bucket named ${prefix}*`);
  return ids[0];
}

/** The logical id of the function whose id starts with `prefix`. */
function functionId(template: Template, prefix: string): string {
  const ids = Object.keys(template.findResources("AWS::Lambda::Function")).filter((id) => id.startsWith(prefix));
  assert.equal(ids.length, 1, `expected one function named ${prefix}*`);
  return ids[0];
}

/** `{"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, suffix]]}`: objects of a bucket. */
function objectsOf(bucket: string, suffix: string) {
  return { "Fn::Join": ["", [{ "Fn::GetAtt": [bucket, "Arn"] }, suffix]] };
}

/** The statements of the policy attached to the role of function `fnId`. */
function statementsOf(template: Template, fnId: string): any[] {
  const fn = template.toJSON().Resources[fnId];
  const role = fn.Properties.Role["Fn::GetAtt"][0];
  const policies = Object.values(template.findResources("AWS::IAM::Policy")).filter((p: any) =>
    p.Properties.Roles.some((r: any) => r.Ref === role),
  );
  assert.equal(policies.length, 1, `expected one policy on ${role}`);
  return (policies[0] as any).Properties.PolicyDocument.Statement;
}

describe("default settings", () => {
  const template = templateOf();
  const uploads = bucketId(template, "UploadsBucket");
  const assets = bucketId(template, "AssetsBucket");
  const processFn = functionId(template, "ProcessFunction");
  const uploadFn = functionId(template, "UploadUrlFunction");
  const resources = template.toJSON().Resources;
  const presignStatement = { Sid: "PresignUploads", Effect: "Allow", Action: "s3:PutObject", Resource: objectsOf(uploads, "/*") };
  const processStatements = [
    {
      Sid: "ReadAndTagUploads",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:GetObjectTagging", "s3:PutObjectTagging"],
      Resource: objectsOf(uploads, "/*"),
    },
    { Sid: "WriteAvatars", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: objectsOf(assets, "/avatars/*") },
    { Sid: "TellMissingAvatarsFromForbidden", Effect: "Allow", Action: "s3:ListBucket", Resource: { "Fn::GetAtt": [assets, "Arn"] } },
    { Sid: "ListUploads", Effect: "Allow", Action: "s3:ListBucket", Resource: { "Fn::GetAtt": [uploads, "Arn"] } },
  ];

  test("every bucket blocks public access, is encrypted and refuses plain HTTP", () => {
    for (const id of [uploads, assets, bucketId(template, "RegenerationBucket")]) {
      const props = resources[id].Properties;
      assert.deepEqual(props.PublicAccessBlockConfiguration, {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      assert.deepEqual(props.BucketEncryption.ServerSideEncryptionConfiguration, [
        { ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } },
      ]);
      template.hasResourceProperties("AWS::S3::BucketPolicy", {
        Bucket: { Ref: id },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: "Deny", Action: "s3:*", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
          ]),
        },
      });
    }
  });

  test("the uploads bucket allows POST and PUT from the configured origins only", () => {
    assert.deepEqual(resources[uploads].Properties.CorsConfiguration.CorsRules, [
      {
        AllowedHeaders: ["*"],
        AllowedMethods: ["POST", "PUT"],
        AllowedOrigins: ["http://localhost:8080", "http://127.0.0.1:8080"],
        ExposedHeaders: ["ETag"],
        MaxAge: 3000,
      },
    ]);
    assert.equal(resources[assets].Properties.CorsConfiguration, undefined);
  });

  test("raw uploads are deleted after the retention period", () => {
    const rules = resources[uploads].Properties.LifecycleConfiguration.Rules;
    assert.equal(rules.length, 1);
    assert.equal(rules[0].ExpirationInDays, 7);
    assert.equal(rules[0].Status, "Enabled");
    assert.equal(rules[0].Prefix, undefined, "the default upload folder is the bucket root");
    assert.equal(rules[0].AbortIncompleteMultipartUpload.DaysAfterInitiation, 1);
    assert.equal(resources[assets].Properties.LifecycleConfiguration, undefined, "avatars are kept");
  });

  test("only CloudFront, through origin access control, may read the assets bucket", () => {
    const [distId, dist] = only(template, "AWS::CloudFront::Distribution");
    const [oacId, oac] = only(template, "AWS::CloudFront::OriginAccessControl");
    assert.deepEqual(
      { ...oac.Properties.OriginAccessControlConfig, Name: undefined },
      { Name: undefined, OriginAccessControlOriginType: "s3", SigningBehavior: "always", SigningProtocol: "sigv4" },
    );
    const origins = dist.Properties.DistributionConfig.Origins;
    assert.equal(origins.length, 1);
    assert.deepEqual(origins[0].DomainName, { "Fn::GetAtt": [assets, "RegionalDomainName"] });
    assert.deepEqual(origins[0].OriginAccessControlId, { "Fn::GetAtt": [oacId, "Id"] });
    assert.deepEqual(origins[0].S3OriginConfig, { OriginAccessIdentity: "" }, "no legacy origin access identity");

    const policy = Object.values(template.findResources("AWS::S3::BucketPolicy")).find(
      (p: any) => p.Properties.Bucket.Ref === assets,
    ) as any;
    const allows = policy.Properties.PolicyDocument.Statement.filter((s: any) => s.Effect === "Allow");
    assert.deepEqual(allows, [
      {
        Action: "s3:GetObject",
        Effect: "Allow",
        Principal: { Service: "cloudfront.amazonaws.com" },
        Resource: objectsOf(assets, "/*"),
        Condition: {
          StringEquals: {
            "AWS:SourceArn": {
              "Fn::Join": [
                "",
                ["arn:", { Ref: "AWS::Partition" }, ":cloudfront::", { Ref: "AWS::AccountId" }, ":distribution/", { Ref: distId }],
              ],
            },
          },
        },
      },
    ]);
  });

  test("the distribution redirects to HTTPS, caches by the Accept type with Vary: Accept, and uses HTTP/2 and HTTP/3", () => {
    const [, dist] = only(template, "AWS::CloudFront::Distribution");
    const config = dist.Properties.DistributionConfig;
    assert.equal(config.DefaultCacheBehavior.ViewerProtocolPolicy, "redirect-to-https");
    // CachingOptimized's settings, plus the Accept header (reduced to one type by the function).
    const [policyId, policy] = only(template, "AWS::CloudFront::CachePolicy");
    assert.deepEqual(config.DefaultCacheBehavior.CachePolicyId, { Ref: policyId });
    const cache = policy.Properties.CachePolicyConfig;
    assert.deepEqual([cache.DefaultTTL, cache.MinTTL, cache.MaxTTL], [86400, 1, 31536000]);
    const key = cache.ParametersInCacheKeyAndForwardedToOrigin;
    assert.deepEqual(key.HeadersConfig, { HeaderBehavior: "whitelist", Headers: ["Accept"] });
    assert.equal(key.QueryStringsConfig.QueryStringBehavior, "none");
    assert.equal(key.CookiesConfig.CookieBehavior, "none");
    assert.deepEqual([key.EnableAcceptEncodingGzip, key.EnableAcceptEncodingBrotli], [true, true]);
    const [headersId, headers] = only(template, "AWS::CloudFront::ResponseHeadersPolicy");
    assert.deepEqual(config.DefaultCacheBehavior.ResponseHeadersPolicyId, { Ref: headersId });
    assert.deepEqual(headers.Properties.ResponseHeadersPolicyConfig.CustomHeadersConfig.Items, [
      { Header: "Vary", Value: "Accept", Override: true },
    ]);
    const [fnId, fn] = only(template, "AWS::CloudFront::Function");
    assert.equal(fn.Properties.FunctionConfig.Runtime, "cloudfront-js-2.0");
    assert.deepEqual(config.DefaultCacheBehavior.FunctionAssociations, [
      { EventType: "viewer-request", FunctionARN: { "Fn::GetAtt": [fnId, "FunctionARN"] } },
    ]);
    assert.equal(fn.Properties.FunctionCode, formatNegotiationCode("avatars/", ["jpeg", "webp", "avif"]));
    assert.deepEqual(config.DefaultCacheBehavior.AllowedMethods, ["GET", "HEAD"]);
    assert.equal(config.HttpVersion, "http2and3");
    assert.equal(config.PriceClass, "PriceClass_All");
    assert.equal(config.Aliases, undefined);
    assert.equal(config.ViewerCertificate, undefined);
  });

  test("the process function is the arm64 provided.al2023 zip, sized from the measurements", () => {
    const props = resources[processFn].Properties;
    assert.equal(props.Runtime, "provided.al2023");
    assert.deepEqual(props.Architectures, ["arm64"]);
    assert.equal(props.Handler, "bootstrap");
    assert.equal(props.MemorySize, 512);
    assert.equal(props.Timeout, 15);
    assert.match(props.Code.S3Key, /\.zip$/);
    assert.deepEqual(props.Environment.Variables, {
      DEST_BUCKET_NAME: { Ref: assets },
      FOLDER_INPUT: "",
      FOLDER_OUTPUT: "avatars/",
      OUTPUT_FORMAT: "jpeg,webp,avif",
      QUALITY: "80",
      ON_FAILURE: "tag",
      MAX_INPUT_BYTES: "10485760",
      PROCESS_WIDTH: "512",
      PROCESS_HEIGHT: "512",
    });
  });

  test("every accepted extension of a new upload invokes the process function", () => {
    const [, notifications] = only(template, "Custom::S3BucketNotifications", { BucketName: { Ref: uploads } });
    const configs = notifications.Properties.NotificationConfiguration.LambdaFunctionConfigurations;
    assert.deepEqual(
      configs.map((c: any) => c.Filter.Key.FilterRules),
      ["jpg", "jpeg", "png", "webp", "gif"].map((ext) => [{ Name: "suffix", Value: `.${ext}` }]),
    );
    for (const c of configs) {
      assert.deepEqual(c.Events, ["s3:ObjectCreated:*"]);
      assert.deepEqual(c.LambdaFunctionArn, { "Fn::GetAtt": [processFn, "Arn"] });
    }
    assert.equal(notifications.Properties.NotificationConfiguration.TopicConfigurations, undefined);
    template.hasResourceProperties("AWS::Lambda::Permission", {
      Action: "lambda:InvokeFunction",
      FunctionName: { "Fn::GetAtt": [processFn, "Arn"] },
      Principal: "s3.amazonaws.com",
      SourceArn: { "Fn::GetAtt": [uploads, "Arn"] },
    });
  });

  test("the process function reads uploads and writes avatars under the output folder only", () => {
    assert.deepEqual(statementsOf(template, processFn), processStatements);
  });

  test("the upload-URL function may only create objects in the uploads bucket", () => {
    assert.deepEqual(statementsOf(template, uploadFn), [presignStatement]);
    const props = resources[uploadFn].Properties;
    assert.equal(props.Runtime, "provided.al2023");
    assert.deepEqual(props.Architectures, ["arm64"]);
    assert.deepEqual(props.Environment.Variables, {
      UPLOADS_BUCKET: { Ref: uploads },
      UPLOAD_PREFIX: "",
      MAX_UPLOAD_BYTES: "10485760",
      UPLOAD_URL_TTL_SECONDS: "300",
      ALLOWED_EXTENSIONS: "jpg,jpeg,png,webp,gif",
      ALLOWED_ORIGINS: "http://localhost:8080,http://127.0.0.1:8080",
    });
  });

  test("the avatar service's policy covers the two folders and is attached to nothing", () => {
    const [policyId, policy] = only(template, "AWS::IAM::ManagedPolicy");
    assert.deepEqual(policy.Properties.PolicyDocument.Statement, [presignStatement, ...processStatements]);
    for (const key of ["Roles", "Users", "Groups"]) assert.equal(policy.Properties[key], undefined);
    assert.deepEqual(template.toJSON().Outputs.AvatarServicePolicyArn.Value, { Ref: policyId });
  });

  test("new avatars are published to the SNS topic, without a subscription by default", () => {
    const [topicId] = only(template, "AWS::SNS::Topic");
    const [, notifications] = only(template, "Custom::S3BucketNotifications", { BucketName: { Ref: assets } });
    assert.deepEqual(notifications.Properties.NotificationConfiguration, {
      TopicConfigurations: [
        {
          Events: ["s3:ObjectCreated:*"],
          Filter: { Key: { FilterRules: [{ Name: "prefix", Value: "avatars/" }] } },
          TopicArn: { Ref: topicId },
        },
      ],
    });
    template.hasResourceProperties("AWS::SNS::TopicPolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: "sns:Publish",
            Effect: "Allow",
            Principal: { Service: "s3.amazonaws.com" },
            Condition: { ArnLike: { "aws:SourceArn": { "Fn::GetAtt": [assets, "Arn"] } } },
          }),
        ]),
      },
    });
    template.resourceCountIs("AWS::SNS::Subscription", 0);
  });

  test("POST /avatars/key_upload needs a Cognito access token, checked by the JWT authorizer", () => {
    const [poolId] = only(template, "AWS::Cognito::UserPool");
    const [clientId, client] = only(template, "AWS::Cognito::UserPoolClient");
    assert.equal(client.Properties.GenerateSecret, false);
    const [authorizerId, authorizer] = only(template, "AWS::ApiGatewayV2::Authorizer");
    assert.equal(authorizer.Properties.AuthorizerType, "JWT");
    assert.deepEqual(authorizer.Properties.IdentitySource, ["$request.header.Authorization"]);
    assert.deepEqual(authorizer.Properties.JwtConfiguration, {
      Audience: [{ Ref: clientId }],
      Issuer: { "Fn::Join": ["", ["https://cognito-idp.", { Ref: "AWS::Region" }, ".amazonaws.com/", { Ref: poolId }]] },
    });
    const [, route] = only(template, "AWS::ApiGatewayV2::Route");
    assert.equal(route.Properties.RouteKey, "POST /avatars/key_upload");
    assert.equal(route.Properties.AuthorizationType, "JWT");
    assert.deepEqual(route.Properties.AuthorizerId, { Ref: authorizerId });
    assert.deepEqual(route.Properties.AuthorizationScopes, ["aws.cognito.signin.user.admin"]);
    const [integrationId, integration] = only(template, "AWS::ApiGatewayV2::Integration");
    assert.deepEqual(route.Properties.Target, { "Fn::Join": ["", ["integrations/", { Ref: integrationId }]] });
    assert.equal(integration.Properties.IntegrationType, "AWS_PROXY");
    assert.equal(integration.Properties.PayloadFormatVersion, "2.0");
    assert.deepEqual(integration.Properties.IntegrationUri, { "Fn::GetAtt": [uploadFn, "Arn"] });
  });

  test("the API answers CORS preflights for the configured origins and is throttled", () => {
    const [, api] = only(template, "AWS::ApiGatewayV2::Api");
    assert.equal(api.Properties.ProtocolType, "HTTP");
    assert.deepEqual(api.Properties.CorsConfiguration, {
      AllowHeaders: ["authorization", "content-type"],
      AllowMethods: ["POST", "OPTIONS"],
      AllowOrigins: ["http://localhost:8080", "http://127.0.0.1:8080"],
      MaxAge: 3600,
    });
    const [, stage] = only(template, "AWS::ApiGatewayV2::Stage");
    assert.equal(stage.Properties.StageName, "$default");
    assert.deepEqual(stage.Properties.DefaultRouteSettings, { ThrottlingBurstLimit: 50, ThrottlingRateLimit: 20 });
  });

  test("avatars and the user pool outlive the stack; raw uploads and logs do not", () => {
    assert.equal(resources[assets].DeletionPolicy, "Retain");
    assert.equal(resources[uploads].DeletionPolicy, "Delete");
    assert.equal(only(template, "AWS::Cognito::UserPool")[1].DeletionPolicy, "Retain");
    for (const group of Object.values(template.findResources("AWS::Logs::LogGroup")) as any[]) {
      assert.equal(group.DeletionPolicy, "Delete");
      assert.equal(group.Properties.RetentionInDays, 30);
    }
  });

  test("the outputs name the API, the CDN and the buckets", () => {
    const outputs = template.toJSON().Outputs;
    for (const name of [
      "ApiUrl",
      "UploadUrlEndpoint",
      "CdnDomain",
      "AvatarBaseUrl",
      "UploadsBucketName",
      "AssetsBucketName",
      "UserPoolId",
      "UserPoolClientId",
      "OidcIssuer",
      "AvatarTopicArn",
      "AvatarServicePolicyArn",
      "ProcessFunctionArn",
      "UploadExtensions",
      "RegenerationBucketName",
      "RegenerateJobRoleArn",
    ]) {
      assert.ok(outputs[name], `output ${name} is missing`);
    }
    assert.deepEqual(outputs.UploadsBucketName.Value, { Ref: uploads });
    assert.deepEqual(outputs.AssetsBucketName.Value, { Ref: assets });
    const [distId] = only(template, "AWS::CloudFront::Distribution");
    assert.deepEqual(outputs.CdnDomain.Value, { "Fn::GetAtt": [distId, "DomainName"] });
    assert.deepEqual(outputs.UploadUrlEndpoint.Value["Fn::Join"][1].at(-1), "/avatars/key_upload");
  });

  test("S3 Batch Operations may assume the regeneration role, which invokes the process function, reads manifests and writes reports", () => {
    const regeneration = bucketId(template, "RegenerationBucket");
    const roles = Object.entries(template.findResources("AWS::IAM::Role")).filter(([id]) => id.startsWith("RegenerateJobRole"));
    assert.equal(roles.length, 1);
    const [roleId, role] = roles[0] as [string, Resource];
    assert.deepEqual(role.Properties.AssumeRolePolicyDocument.Statement, [
      { Action: "sts:AssumeRole", Effect: "Allow", Principal: { Service: "batchoperations.s3.amazonaws.com" } },
    ]);
    assert.equal(role.Properties.ManagedPolicyArns, undefined, "no managed policy: only the statements below");
    const policies = Object.values(template.findResources("AWS::IAM::Policy")).filter((p: any) =>
      p.Properties.Roles.some((r: any) => r.Ref === roleId),
    ) as any[];
    assert.equal(policies.length, 1);
    const fnArn = { "Fn::GetAtt": [processFn, "Arn"] };
    assert.deepEqual(policies[0].Properties.PolicyDocument.Statement, [
      {
        Sid: "InvokeProcessFunction",
        Effect: "Allow",
        Action: "lambda:InvokeFunction",
        Resource: [fnArn, { "Fn::Join": ["", [fnArn, ":*"]] }],
      },
      {
        Sid: "ReadManifests",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:GetObjectVersion"],
        Resource: objectsOf(regeneration, "/manifests/*"),
      },
      { Sid: "WriteReports", Effect: "Allow", Action: "s3:PutObject", Resource: objectsOf(regeneration, "/reports/*") },
      {
        Sid: "LocateRegenerationBucket",
        Effect: "Allow",
        Action: "s3:GetBucketLocation",
        Resource: { "Fn::GetAtt": [regeneration, "Arn"] },
      },
    ]);
    // The role itself cannot read the uploads or touch the avatars: the function does that.
    const text = JSON.stringify(policies[0]);
    assert.ok(!text.includes(uploads) && !text.includes(assets), text);

    // Private, encrypted and HTTPS-only like the other buckets (tested above); temporary.
    assert.deepEqual(resources[regeneration].Properties.LifecycleConfiguration.Rules, [
      { Id: "delete-old-manifests-and-reports", ExpirationInDays: 30, Status: "Enabled" },
    ]);
    assert.equal(resources[regeneration].DeletionPolicy, "Delete");

    const outputs = template.toJSON().Outputs;
    assert.deepEqual(outputs.RegenerateJobRoleArn.Value, { "Fn::GetAtt": [roleId, "Arn"] });
    assert.deepEqual(outputs.RegenerationBucketName.Value, { Ref: regeneration });
    assert.deepEqual(outputs.ProcessFunctionArn.Value, fnArn);
    assert.equal(outputs.UploadExtensions.Value, "jpg,jpeg,png,webp,gif");
  });
});

describe("custom settings", () => {
  test("an upload folder narrows the notifications, the lifecycle rule and both IAM policies", () => {
    const template = templateOf({
      uploadPrefix: "incoming",
      outputPrefix: "img/avatars",
      allowedExtensions: "jpg,png",
      uploadRetentionDays: "2",
      sizes: "512,128",
    });
    const uploads = bucketId(template, "UploadsBucket");
    const assets = bucketId(template, "AssetsBucket");
    const resources = template.toJSON().Resources;
    const [, notifications] = only(template, "Custom::S3BucketNotifications", { BucketName: { Ref: uploads } });
    assert.deepEqual(
      notifications.Properties.NotificationConfiguration.LambdaFunctionConfigurations.map((c: any) => c.Filter.Key.FilterRules),
      [
        [
          { Name: "suffix", Value: ".jpg" },
          { Name: "prefix", Value: "incoming/" },
        ],
        [
          { Name: "suffix", Value: ".png" },
          { Name: "prefix", Value: "incoming/" },
        ],
      ],
    );
    const rule = resources[uploads].Properties.LifecycleConfiguration.Rules[0];
    assert.equal(rule.Prefix, "incoming/");
    assert.equal(rule.ExpirationInDays, 2);

    const processFn = functionId(template, "ProcessFunction");
    const env = resources[processFn].Properties.Environment.Variables;
    assert.equal(env.FOLDER_INPUT, "incoming/");
    assert.equal(env.FOLDER_OUTPUT, "img/avatars/");
    assert.equal(env.SIZES, "512,128");
    assert.equal(env.PROCESS_WIDTH, undefined);
    const statements = statementsOf(template, processFn);
    assert.deepEqual(statements[0].Resource, objectsOf(uploads, "/incoming/*"));
    assert.deepEqual(statements[1].Resource, objectsOf(assets, "/img/avatars/*"));

    const uploadFn = functionId(template, "UploadUrlFunction");
    assert.deepEqual(statementsOf(template, uploadFn)[0].Resource, objectsOf(uploads, "/incoming/*"));
    assert.equal(resources[uploadFn].Properties.Environment.Variables.UPLOAD_PREFIX, "incoming/");
    assert.equal(resources[uploadFn].Properties.Environment.Variables.ALLOWED_EXTENSIONS, "jpg,png");

    const [, topicNotifications] = only(template, "Custom::S3BucketNotifications", { BucketName: { Ref: assets } });
    assert.deepEqual(topicNotifications.Properties.NotificationConfiguration.TopicConfigurations[0].Filter.Key.FilterRules, [
      { Name: "prefix", Value: "img/avatars/" },
    ]);
  });

  test("memory, timeout and origins come from the settings", () => {
    const template = templateOf({
      processMemoryMb: "1024",
      processTimeoutSeconds: "30",
      allowedOrigins: "https://app.example.com, https://www.example.com/",
    });
    const resources = template.toJSON().Resources;
    const props = resources[functionId(template, "ProcessFunction")].Properties;
    assert.equal(props.MemorySize, 1024);
    assert.equal(props.Timeout, 30);
    const origins = ["https://app.example.com", "https://www.example.com"];
    assert.deepEqual(only(template, "AWS::ApiGatewayV2::Api")[1].Properties.CorsConfiguration.AllowOrigins, origins);
    assert.deepEqual(resources[bucketId(template, "UploadsBucket")].Properties.CorsConfiguration.CorsRules[0].AllowedOrigins, origins);
  });

  test("an existing user pool is used instead of creating one", () => {
    const template = templateOf({ userPoolId: "eu-west-1_AbCdEf123", userPoolClientId: "1example23456789abcdefghij" });
    template.resourceCountIs("AWS::Cognito::UserPool", 0);
    template.resourceCountIs("AWS::Cognito::UserPoolClient", 0);
    const [, authorizer] = only(template, "AWS::ApiGatewayV2::Authorizer");
    assert.deepEqual(authorizer.Properties.JwtConfiguration, {
      Audience: ["1example23456789abcdefghij"],
      Issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123",
    });
  });

  test("scopes can be required or dropped", () => {
    const none = only(templateOf({ requiredScopes: "none" }), "AWS::ApiGatewayV2::Route")[1];
    assert.equal(none.Properties.AuthorizationScopes, undefined);
    assert.equal(none.Properties.AuthorizationType, "JWT");
    const custom = only(templateOf({ requiredScopes: "avatars/upload,openid" }), "AWS::ApiGatewayV2::Route")[1];
    assert.deepEqual(custom.Properties.AuthorizationScopes, ["avatars/upload", "openid"]);
  });

  test("a webhook URL subscribes to the topic over HTTPS", () => {
    const template = templateOf({ webhookUrl: "https://hooks.example.com/webhooks/avatars" });
    const [topicId] = only(template, "AWS::SNS::Topic");
    const [, sub] = only(template, "AWS::SNS::Subscription");
    assert.equal(sub.Properties.Protocol, "https");
    assert.equal(sub.Properties.Endpoint, "https://hooks.example.com/webhooks/avatars");
    assert.deepEqual(sub.Properties.TopicArn, { Ref: topicId });
  });

  test("a custom domain gets the certificate, TLS 1.2 and Route 53 alias records", () => {
    const certificateArn = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d";
    const template = templateOf({
      domainName: "assets.example.com",
      certificateArn,
      hostedZoneId: "Z0123456789ABCDEFGHIJ",
      hostedZoneName: "example.com",
      priceClass: "100",
    });
    const [distId, dist] = only(template, "AWS::CloudFront::Distribution");
    const config = dist.Properties.DistributionConfig;
    assert.deepEqual(config.Aliases, ["assets.example.com"]);
    assert.deepEqual(config.ViewerCertificate, {
      AcmCertificateArn: certificateArn,
      MinimumProtocolVersion: "TLSv1.2_2021",
      SslSupportMethod: "sni-only",
    });
    assert.equal(config.PriceClass, "PriceClass_100");
    const records = Object.values(template.findResources("AWS::Route53::RecordSet")) as any[];
    assert.deepEqual(records.map((r) => r.Properties.Type).sort(), ["A", "AAAA"]);
    for (const r of records) {
      assert.equal(r.Properties.Name, "assets.example.com.");
      assert.equal(r.Properties.HostedZoneId, "Z0123456789ABCDEFGHIJ");
      assert.deepEqual(r.Properties.AliasTarget.DNSName, { "Fn::GetAtt": [distId, "DomainName"] });
    }
    const outputs = template.toJSON().Outputs;
    assert.equal(outputs.CdnDomain.Value, "assets.example.com");
    assert.equal(outputs.AvatarBaseUrl.Value, "https://assets.example.com/avatars/");
  });

  test("a custom domain without a hosted zone makes no DNS records", () => {
    const template = templateOf({
      domainName: "assets.example.com",
      certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d",
    });
    template.resourceCountIs("AWS::Route53::RecordSet", 0);
    assert.deepEqual(only(template, "AWS::CloudFront::Distribution")[1].Properties.DistributionConfig.Aliases, [
      "assets.example.com",
    ]);
  });

  test("retainData=false lets cdk destroy remove the avatars and the user pool", () => {
    const template = templateOf({ retainData: "false" });
    const resources = template.toJSON().Resources;
    assert.equal(resources[bucketId(template, "AssetsBucket")].DeletionPolicy, "Delete");
    assert.equal(only(template, "AWS::Cognito::UserPool")[1].DeletionPolicy, "Delete");
    // Uploads, assets, and the regeneration jobs' manifests and reports.
    template.resourceCountIs("Custom::S3AutoDeleteObjects", 3);
  });
});

describe("format negotiation", () => {
  /** Runs the CloudFront Function's handler on a request for `uri` with `accept`. */
  function negotiate(code: string, uri: string, accept?: string): { uri: string; accept?: string } {
    const handler = new Function(`${code}\nreturn handler;`)();
    const headers: Record<string, { value: string }> = accept === undefined ? {} : { accept: { value: accept } };
    const request = handler({ request: { uri, headers, method: "GET", querystring: {}, cookies: {} } });
    return { uri: request.uri, accept: request.headers.accept?.value };
  }
  const chrome = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";

  test("the main avatar URL becomes the best format the browser names; Accept is reduced to it", () => {
    const code = formatNegotiationCode("avatars/", ["jpeg", "webp", "avif"]);
    assert.ok(code !== null);
    assert.deepEqual(negotiate(code, "/avatars/abc.jpg", chrome), { uri: "/avatars/abc.avif", accept: "image/avif" });
    assert.deepEqual(negotiate(code, "/avatars/abc-128.jpg", "image/webp,*/*"), { uri: "/avatars/abc-128.webp", accept: "image/webp" });
    assert.deepEqual(negotiate(code, "/avatars/abc.jpg", "image/avif;q=0,image/webp"), { uri: "/avatars/abc.webp", accept: "image/webp" });
    // Wildcards say nothing about AVIF; no header at all is the same.
    assert.deepEqual(negotiate(code, "/avatars/abc.jpg", "*/*"), { uri: "/avatars/abc.jpg", accept: undefined });
    assert.deepEqual(negotiate(code, "/avatars/abc.jpg"), { uri: "/avatars/abc.jpg", accept: undefined });
    // Other files and folders are left alone.
    assert.deepEqual(negotiate(code, "/avatars/abc.webp", chrome), { uri: "/avatars/abc.webp", accept: undefined });
    assert.deepEqual(negotiate(code, "/other/abc.jpg", chrome), { uri: "/other/abc.jpg", accept: undefined });
  });

  test("only the formats written are offered", () => {
    const webpOnly = formatNegotiationCode("img/", ["png", "webp"]);
    assert.ok(webpOnly !== null);
    assert.deepEqual(negotiate(webpOnly, "/img/a.png", chrome), { uri: "/img/a.webp", accept: "image/webp" });
    assert.equal(formatNegotiationCode("avatars/", ["jpeg"]), null);
    assert.equal(formatNegotiationCode("avatars/", ["jpeg", "png", "webp-lossless"]), null);
  });

  test("with one format the distribution keeps CachingOptimized and no function", () => {
    const template = templateOf({ outputFormats: "jpeg" });
    const [, dist] = only(template, "AWS::CloudFront::Distribution");
    const behavior = dist.Properties.DistributionConfig.DefaultCacheBehavior;
    assert.equal(behavior.CachePolicyId, "658327ea-f89d-4fab-a63d-7e88639e58f6");
    assert.equal(behavior.FunctionAssociations, undefined);
    assert.equal(behavior.ResponseHeadersPolicyId, undefined);
    assert.deepEqual(Object.keys(template.findResources("AWS::CloudFront::Function")), []);
    const processFn = functionId(template, "ProcessFunction");
    assert.equal(template.toJSON().Resources[processFn].Properties.Environment.Variables.OUTPUT_FORMAT, "jpeg");
  });
});
