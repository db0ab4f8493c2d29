/**
 * thumbing's avatar pipeline as one CloudFormation stack:
 *
 *   web page ──POST /avatars/key_upload (Cognito access token)──▶ HTTP API ─JWT authorizer─▶ upload-URL function
 *      │                                                                                        │ presigned POST
 *      └──────────────── upload ───────────────────────────────────────────────▶ uploads bucket ◀┘
 *                                                                                   │ ObjectCreated (prefix, suffix)
 *                                                                                   ▼
 *   CloudFront (OAC) ◀── assets bucket ◀── avatars/<sub>.jpg ── process function (thumbing-lambda)
 *                             │ ObjectCreated under avatars/
 *                             ▼
 *                         SNS topic ──▶ optional HTTPS webhook
 *
 *   regenerate.sh ── manifest (CSV) ──▶ regeneration bucket ◀── completion reports
 *        │ s3control create-job                 ▲
 *        ▼                                      │
 *   S3 Batch Operations (RegenerateJobRole) ── LambdaInvoke, one task per upload ──▶ process function
 */
import * as cdk from "aws-cdk-lib";
import * as apigw from "aws-cdk-lib/aws-apigatewayv2";
import { HttpJwtAuthorizer } from "aws-cdk-lib/aws-apigatewayv2-authorizers";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import * as acm from "aws-cdk-lib/aws-certificatemanager";
import * as cloudfront from "aws-cdk-lib/aws-cloudfront";
import * as origins from "aws-cdk-lib/aws-cloudfront-origins";
import * as cognito from "aws-cdk-lib/aws-cognito";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import * as route53 from "aws-cdk-lib/aws-route53";
import * as route53Targets from "aws-cdk-lib/aws-route53-targets";
import * as s3 from "aws-cdk-lib/aws-s3";
import * as s3n from "aws-cdk-lib/aws-s3-notifications";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import { Construct } from "constructs";

import type { ThumbingConfig } from "./config";

/** Where regenerate.sh puts the manifests of regeneration jobs, in the regeneration bucket. */
export const REGENERATION_MANIFESTS = "manifests/";
/** Where S3 Batch Operations writes the completion reports of regeneration jobs. */
export const REGENERATION_REPORTS = "reports/";

/** The route the web page asks for an upload URL on. */
export const UPLOAD_ROUTE = "/avatars/key_upload";

/** The formats the CDN may answer the main avatar URL with, best first, when they are written. */
const NEGOTIATED_FORMATS = ["avif", "webp"];

/** The file extension of one of thumbing's output format words. */
function extensionOf(format: string): string {
  return format === "jpeg" ? "jpg" : format.startsWith("webp") ? "webp" : format;
}

/**
 * The source of the CloudFront Function (viewer request, `cloudfront-js-2.0`) that picks the
 * best format the browser's `Accept` header names: a request for the main avatar
 * (`/<outputPrefix><sub>.jpg`) becomes one for `<sub>.avif` or `<sub>.webp`, and `Accept` is
 * reduced to the one type chosen, so the cache policy's key on `Accept` holds a few values
 * rather than every browser's header. Wildcards (`*\/*`) do not count: browsers name the
 * image formats they decode. `null` when the formats leave nothing to choose.
 */
export function formatNegotiationCode(outputPrefix: string, outputFormats: readonly string[]): string | null {
  const [main, ...extra] = outputFormats;
  const mainExtension = extensionOf(main);
  const choices = NEGOTIATED_FORMATS.filter((f) => extra.includes(f) && extensionOf(f) !== mainExtension);
  if (choices.length === 0) return null;
  return `// thumbing: serve the best avatar format the browser accepts (Vary: Accept).
var PREFIX = ${JSON.stringify(`/${outputPrefix}`)};
var MAIN = ${JSON.stringify(`.${mainExtension}`)};
var CHOICES = ${JSON.stringify(choices.map((f) => ({ mime: `image/${f}`, extension: `.${extensionOf(f)}` })))};

function accepts(accept, mime) {
  return accept.split(",").some(function (range) {
    var parts = range.split(";");
    if (parts[0].trim().toLowerCase() !== mime) return false;
    for (var i = 1; i < parts.length; i++) {
      var param = parts[i].trim().toLowerCase();
      if (param.indexOf("q=") === 0) return parseFloat(param.slice(2)) > 0;
    }
    return true;
  });
}

function handler(event) {
  var request = event.request;
  var accept = request.headers.accept ? request.headers.accept.value : "";
  var chosen = null;
  if (request.uri.indexOf(PREFIX) === 0 && request.uri.slice(-MAIN.length) === MAIN) {
    for (var i = 0; i < CHOICES.length && chosen === null; i++) {
      if (accepts(accept, CHOICES[i].mime)) chosen = CHOICES[i];
    }
  }
  if (chosen === null) {
    delete request.headers.accept;
  } else {
    request.headers.accept = { value: chosen.mime };
    request.uri = request.uri.slice(0, -MAIN.length) + chosen.extension;
  }
  return request;
}
`;
}

export interface ThumbingStackProps extends cdk.StackProps {
  readonly config: ThumbingConfig;
}

export class ThumbingStack extends cdk.Stack {
  readonly uploadsBucket: s3.Bucket;
  readonly assetsBucket: s3.Bucket;
  readonly processFunction: lambda.Function;
  readonly uploadUrlFunction: lambda.Function;
  readonly topic: sns.Topic;
  readonly api: apigw.HttpApi;
  readonly distribution: cloudfront.Distribution;
  readonly serviceAccessPolicy: iam.ManagedPolicy;
  readonly regenerationBucket: s3.Bucket;
  readonly regenerateJobRole: iam.Role;

  constructor(scope: Construct, id: string, props: ThumbingStackProps) {
    super(scope, id, props);
    const config = props.config;
    const dataPolicy = config.retainData ? cdk.RemovalPolicy.RETAIN : cdk.RemovalPolicy.DESTROY;

    // Raw uploads: private, short-lived, written by browsers through presigned POSTs.
    this.uploadsBucket = new s3.Bucket(this, "UploadsBucket", {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      cors: [
        {
          allowedMethods: [s3.HttpMethods.POST, s3.HttpMethods.PUT],
          allowedOrigins: config.allowedOrigins,
          allowedHeaders: ["*"],
          exposedHeaders: ["ETag"],
          maxAge: 3000,
        },
      ],
      lifecycleRules: [
        {
          id: "delete-raw-uploads",
          prefix: config.uploadPrefix === "" ? undefined : config.uploadPrefix,
          expiration: cdk.Duration.days(config.uploadRetentionDays),
          abortIncompleteMultipartUploadAfter: cdk.Duration.days(1),
        },
      ],
      // Raw uploads are disposable: the avatars made from them live in the assets bucket.
      removalPolicy: cdk.RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });

    // Avatars: private, read only by CloudFront through origin access control.
    this.assetsBucket = new s3.Bucket(this, "AssetsBucket", {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: dataPolicy,
      autoDeleteObjects: !config.retainData,
    });

    this.processFunction = this.createProcessFunction(config);
    this.topic = this.createTopic(config);
    const userPool = this.userPool(config);
    this.uploadUrlFunction = this.createUploadUrlFunction(config);
    this.api = this.createApi(config, userPool);
    this.distribution = this.createDistribution(config);
    this.serviceAccessPolicy = this.createServiceAccessPolicy(config);
    [this.regenerationBucket, this.regenerateJobRole] = this.createRegeneration();

    const cdnDomain = config.customDomain?.domainName ?? this.distribution.distributionDomainName;
    const outputs: Record<string, [string, string]> = {
      ApiUrl: [this.api.apiEndpoint, "base URL of the HTTP API"],
      UploadUrlEndpoint: [`${this.api.apiEndpoint}${UPLOAD_ROUTE}`, "POST here with a Cognito access token for a presigned upload"],
      CdnDomain: [cdnDomain, "domain the avatars are served from"],
      CloudFrontDomain: [this.distribution.distributionDomainName, "the distribution's own domain"],
      AvatarBaseUrl: [`https://${cdnDomain}/${config.outputPrefix}`, "avatars are at <AvatarBaseUrl><sub>.jpg"],
      UploadsBucketName: [this.uploadsBucket.bucketName, "bucket of the raw uploads"],
      UploadPrefix: [config.uploadPrefix === "" ? "(bucket root)" : config.uploadPrefix, "folder of the raw uploads"],
      AssetsBucketName: [this.assetsBucket.bucketName, "bucket of the avatars"],
      UserPoolId: [userPool.userPoolId, "Cognito user pool"],
      UserPoolClientId: [userPool.clientId, "Cognito app client (the token audience)"],
      OidcIssuer: [userPool.issuer, "issuer of the tokens the API accepts"],
      AvatarTopicArn: [this.topic.topicArn, "SNS topic told about every new avatar"],
      AvatarServicePolicyArn: [this.serviceAccessPolicy.managedPolicyArn, "attach to the identity the avatar service runs as"],
      ProcessFunctionArn: [this.processFunction.functionArn, "the process function, which S3 Batch Operations jobs invoke"],
      UploadExtensions: [config.allowedExtensions.join(","), "extensions of the uploads the process function is notified of"],
      RegenerationBucketName: [this.regenerationBucket.bucketName, "manifests and completion reports of regeneration jobs"],
      RegenerateJobRoleArn: [this.regenerateJobRole.roleArn, "role of the S3 Batch Operations jobs that make every avatar again (regenerate.sh)"],
    };
    for (const [id, [value, description]] of Object.entries(outputs)) {
      new cdk.CfnOutput(this, id, { value, description });
    }
  }

  private createProcessFunction(config: ThumbingConfig): lambda.Function {
    const environment: Record<string, string> = {
      DEST_BUCKET_NAME: this.assetsBucket.bucketName,
      FOLDER_INPUT: config.uploadPrefix,
      FOLDER_OUTPUT: config.outputPrefix,
      OUTPUT_FORMAT: config.outputFormats.join(","),
      QUALITY: "80",
      ON_FAILURE: "tag",
      // Nothing larger can be uploaded through the presigned POST; refuse it here too.
      MAX_INPUT_BYTES: String(config.maxUploadBytes),
    };
    if (config.sizes === "") {
      environment.PROCESS_WIDTH = "512";
      environment.PROCESS_HEIGHT = "512";
    } else {
      environment.SIZES = config.sizes;
    }

    const fn = new lambda.Function(this, "ProcessFunction", {
      description: "thumbing: turns each upload into an avatar in the assets bucket",
      runtime: lambda.Runtime.PROVIDED_AL2023,
      architecture: lambda.Architecture.ARM_64,
      handler: "bootstrap",
      code: lambda.Code.fromAsset(config.processZip),
      memorySize: config.processMemoryMb,
      timeout: cdk.Duration.seconds(config.processTimeoutSeconds),
      environment,
      logGroup: new logs.LogGroup(this, "ProcessFunctionLogs", {
        retention: logs.RetentionDays.ONE_MONTH,
        removalPolicy: cdk.RemovalPolicy.DESTROY,
      }),
    });

    for (const statement of this.processStatements(config)) fn.addToRolePolicy(statement);

    // One notification per extension: S3 filters take one prefix and one suffix each.
    for (const ext of config.allowedExtensions) {
      this.uploadsBucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.LambdaDestination(fn), {
        prefix: config.uploadPrefix === "" ? undefined : config.uploadPrefix,
        suffix: `.${ext}`,
      });
    }
    return fn;
  }

  private createTopic(config: ThumbingConfig): sns.Topic {
    const topic = new sns.Topic(this, "AvatarTopic", {
      displayName: "thumbing: new avatars",
      enforceSSL: true,
    });
    this.assetsBucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.SnsDestination(topic), {
      prefix: config.outputPrefix,
    });
    if (config.webhookUrl !== undefined) {
      topic.addSubscription(new subscriptions.UrlSubscription(config.webhookUrl, { protocol: sns.SubscriptionProtocol.HTTPS }));
    }
    return topic;
  }

  private userPool(config: ThumbingConfig): { userPoolId: string; clientId: string; issuer: string } {
    if (config.existingUserPool !== undefined) {
      const { userPoolId, clientId, region } = config.existingUserPool;
      return { userPoolId, clientId, issuer: `https://cognito-idp.${region}.amazonaws.com/${userPoolId}` };
    }
    const pool = new cognito.UserPool(this, "UserPool", {
      selfSignUpEnabled: true,
      signInAliases: { email: true },
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      passwordPolicy: { minLength: 12, requireLowercase: true, requireUppercase: true, requireDigits: true, requireSymbols: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      removalPolicy: config.retainData ? cdk.RemovalPolicy.RETAIN : cdk.RemovalPolicy.DESTROY,
    });
    // A public client (no secret) for the web page: SRP or password sign-in, refresh tokens.
    const client = pool.addClient("WebClient", {
      generateSecret: false,
      authFlows: { userSrp: true, userPassword: true },
      preventUserExistenceErrors: true,
      accessTokenValidity: cdk.Duration.hours(1),
      idTokenValidity: cdk.Duration.hours(1),
      refreshTokenValidity: cdk.Duration.days(30),
    });
    return {
      userPoolId: pool.userPoolId,
      clientId: client.userPoolClientId,
      issuer: `https://cognito-idp.${this.region}.amazonaws.com/${pool.userPoolId}`,
    };
  }

  private createUploadUrlFunction(config: ThumbingConfig): lambda.Function {
    const fn = new lambda.Function(this, "UploadUrlFunction", {
      description: "thumbing: presigned S3 POST for a user's avatar upload",
      runtime: lambda.Runtime.PROVIDED_AL2023,
      architecture: lambda.Architecture.ARM_64,
      handler: "bootstrap",
      code: lambda.Code.fromAsset(config.uploadUrlZip),
      // It only signs a policy: no image work, the smallest size is plenty.
      memorySize: 128,
      timeout: cdk.Duration.seconds(5),
      environment: {
        UPLOADS_BUCKET: this.uploadsBucket.bucketName,
        UPLOAD_PREFIX: config.uploadPrefix,
        MAX_UPLOAD_BYTES: String(config.maxUploadBytes),
        UPLOAD_URL_TTL_SECONDS: String(config.uploadUrlTtlSeconds),
        ALLOWED_EXTENSIONS: config.allowedExtensions.join(","),
        ALLOWED_ORIGINS: config.allowedOrigins.join(","),
      },
      logGroup: new logs.LogGroup(this, "UploadUrlFunctionLogs", {
        retention: logs.RetentionDays.ONE_MONTH,
        removalPolicy: cdk.RemovalPolicy.DESTROY,
      }),
    });
    fn.addToRolePolicy(this.presignStatement(config));
    return fn;
  }

  private createApi(config: ThumbingConfig, userPool: { clientId: string; issuer: string }): apigw.HttpApi {
    const api = new apigw.HttpApi(this, "Api", {
      description: "thumbing: avatar upload URLs",
      // API Gateway answers the preflight itself, without the authorizer.
      corsPreflight: {
        allowOrigins: config.allowedOrigins,
        allowMethods: [apigw.CorsHttpMethod.POST, apigw.CorsHttpMethod.OPTIONS],
        allowHeaders: ["authorization", "content-type"],
        maxAge: cdk.Duration.hours(1),
      },
    });
    // Cognito access tokens carry the app client id in `client_id`, not `aud`; API Gateway
    // compares `client_id` with the audience when a token has no `aud`. ID tokens have
    // `aud` = client id too, so the route also requires a scope only access tokens carry.
    const authorizer = new HttpJwtAuthorizer("CognitoAuthorizer", userPool.issuer, {
      jwtAudience: [userPool.clientId],
      identitySource: ["$request.header.Authorization"],
    });
    api.addRoutes({
      path: UPLOAD_ROUTE,
      methods: [apigw.HttpMethod.POST],
      integration: new HttpLambdaIntegration("UploadUrlIntegration", this.uploadUrlFunction),
      authorizer,
      authorizationScopes: config.requiredScopes.length > 0 ? config.requiredScopes : undefined,
    });
    const stage = api.defaultStage?.node.defaultChild as apigw.CfnStage | undefined;
    stage?.addPropertyOverride("DefaultRouteSettings", { ThrottlingBurstLimit: 50, ThrottlingRateLimit: 20 });
    return api;
  }

  /**
   * What the avatar service (examples/avatar-service) needs when it runs against this stack:
   * it signs upload forms, and in S3 mode also runs the processing handler after an upload and
   * serves avatars from the assets bucket. Not attached to anything: the user attaches it to
   * the role or user the service runs as.
   */
  private createServiceAccessPolicy(config: ThumbingConfig): iam.ManagedPolicy {
    return new iam.ManagedPolicy(this, "AvatarServicePolicy", {
      description: "thumbing avatar service: upload forms, processing and serving for this stack's buckets",
      statements: [this.presignStatement(config), ...this.processStatements(config)],
    });
  }

  /**
   * Least privilege for processing: read (and tag rejected) uploads under the upload folder;
   * read and write avatars under the output folder. ListBucket on the assets bucket makes a
   * HEAD of an avatar that does not exist yet answer 404 rather than 403, which the handler's
   * check for retried events needs; on the uploads bucket it does the same for an upload
   * that is gone, and lets a regeneration list the uploads.
   */
  private processStatements(config: ThumbingConfig): iam.PolicyStatement[] {
    return [
      new iam.PolicyStatement({
        sid: "ReadAndTagUploads",
        actions: ["s3:GetObject", "s3:GetObjectTagging", "s3:PutObjectTagging"],
        resources: [this.uploadsBucket.arnForObjects(`${config.uploadPrefix}*`)],
      }),
      new iam.PolicyStatement({
        sid: "WriteAvatars",
        actions: ["s3:GetObject", "s3:PutObject"],
        resources: [this.assetsBucket.arnForObjects(`${config.outputPrefix}*`)],
      }),
      new iam.PolicyStatement({
        sid: "TellMissingAvatarsFromForbidden",
        actions: ["s3:ListBucket"],
        resources: [this.assetsBucket.bucketArn],
      }),
      // A regeneration lists the uploads (the avatar service's `regenerate` command), and a
      // job's manifest may name an upload deleted since: a 404 is a permanent failure of
      // its task, where a 403 would be retried.
      new iam.PolicyStatement({
        sid: "ListUploads",
        actions: ["s3:ListBucket"],
        resources: [this.uploadsBucket.bucketArn],
      }),
    ];
  }

  /**
   * Regeneration (examples/aws-cdk/regenerate.sh): a private bucket for the jobs' manifests
   * (`manifests/`) and completion reports (`reports/`), kept 30 days, and the role S3 Batch
   * Operations assumes to run a job: read the manifest, invoke the process function once per
   * listed upload, write the report. The function reads the uploads and writes the avatars
   * with its own role, as for an upload.
   */
  private createRegeneration(): [s3.Bucket, iam.Role] {
    const bucket = new s3.Bucket(this, "RegenerationBucket", {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: "delete-old-manifests-and-reports", expiration: cdk.Duration.days(30) }],
      removalPolicy: cdk.RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });
    const role = new iam.Role(this, "RegenerateJobRole", {
      description: "thumbing: S3 Batch Operations jobs that run every upload through the process function again",
      assumedBy: new iam.ServicePrincipal("batchoperations.s3.amazonaws.com"),
    });
    const statements = [
      new iam.PolicyStatement({
        sid: "InvokeProcessFunction",
        actions: ["lambda:InvokeFunction"],
        resources: [this.processFunction.functionArn, `${this.processFunction.functionArn}:*`],
      }),
      new iam.PolicyStatement({
        sid: "ReadManifests",
        actions: ["s3:GetObject", "s3:GetObjectVersion"],
        resources: [bucket.arnForObjects(`${REGENERATION_MANIFESTS}*`)],
      }),
      new iam.PolicyStatement({
        sid: "WriteReports",
        actions: ["s3:PutObject"],
        resources: [bucket.arnForObjects(`${REGENERATION_REPORTS}*`)],
      }),
      new iam.PolicyStatement({
        sid: "LocateRegenerationBucket",
        actions: ["s3:GetBucketLocation"],
        resources: [bucket.bucketArn],
      }),
    ];
    for (const statement of statements) role.addToPolicy(statement);
    return [bucket, role];
  }

  /**
   * A presigned POST is signed with the signer's credentials: it may only ever create objects
   * under the upload folder.
   */
  private presignStatement(config: ThumbingConfig): iam.PolicyStatement {
    return new iam.PolicyStatement({
      sid: "PresignUploads",
      actions: ["s3:PutObject"],
      resources: [this.uploadsBucket.arnForObjects(`${config.uploadPrefix}*`)],
    });
  }

  private createDistribution(config: ThumbingConfig): cloudfront.Distribution {
    const domain = config.customDomain;
    // Several formats per avatar: the main URL is answered with the best one the browser
    // accepts, cached apart by `Accept` (as reduced by the function) and sent with
    // `Vary: Accept` so that no cache on the way hands an AVIF to a browser without AVIF.
    const negotiation = formatNegotiationCode(config.outputPrefix, config.outputFormats);
    const negotiated =
      negotiation === null
        ? {}
        : {
            cachePolicy: new cloudfront.CachePolicy(this, "AvatarCachePolicy", {
              comment: "thumbing avatars: CachingOptimized plus the Accept header (one image type, set by the format function)",
              defaultTtl: cdk.Duration.days(1),
              minTtl: cdk.Duration.seconds(1),
              maxTtl: cdk.Duration.days(365),
              headerBehavior: cloudfront.CacheHeaderBehavior.allowList("Accept"),
              queryStringBehavior: cloudfront.CacheQueryStringBehavior.none(),
              cookieBehavior: cloudfront.CacheCookieBehavior.none(),
              enableAcceptEncodingGzip: true,
              enableAcceptEncodingBrotli: true,
            }),
            responseHeadersPolicy: new cloudfront.ResponseHeadersPolicy(this, "AvatarVaryAccept", {
              comment: "thumbing avatars: the format depends on the Accept header",
              customHeadersBehavior: { customHeaders: [{ header: "Vary", value: "Accept", override: true }] },
            }),
            functionAssociations: [
              {
                eventType: cloudfront.FunctionEventType.VIEWER_REQUEST,
                function: new cloudfront.Function(this, "AvatarFormatFunction", {
                  comment: "thumbing: the best avatar format the browser accepts",
                  runtime: cloudfront.FunctionRuntime.JS_2_0,
                  code: cloudfront.FunctionCode.fromInline(negotiation),
                }),
              },
            ],
          };
    const distribution = new cloudfront.Distribution(this, "Cdn", {
      comment: "thumbing avatars",
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.assetsBucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        compress: true,
        ...negotiated,
      },
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: config.priceClass as cloudfront.PriceClass,
      minimumProtocolVersion: domain ? cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 : undefined,
      domainNames: domain ? [domain.domainName] : undefined,
      certificate: domain ? acm.Certificate.fromCertificateArn(this, "CdnCertificate", domain.certificateArn) : undefined,
    });
    if (domain?.hostedZone !== undefined) {
      const zone = route53.HostedZone.fromHostedZoneAttributes(this, "HostedZone", {
        hostedZoneId: domain.hostedZone.id,
        zoneName: domain.hostedZone.name,
      });
      const target = route53.RecordTarget.fromAlias(new route53Targets.CloudFrontTarget(distribution));
      new route53.ARecord(this, "CdnAliasA", { zone, recordName: domain.domainName, target });
      new route53.AaaaRecord(this, "CdnAliasAAAA", { zone, recordName: domain.domainName, target });
    }
    return distribution;
  }
}
