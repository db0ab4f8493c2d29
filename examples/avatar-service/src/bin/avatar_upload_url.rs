//! `avatar-upload-url`: the upload-URL function for AWS Lambda (see
//! `thumbing_avatar_service::upload_url`). `main` only reads the settings and runs the
//! handler under the Lambda runtime.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use thumbing_avatar_service::upload_url::{UploadUrlConfig, credentials_from_lookup, handle};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let env = |name: &str| std::env::var(name).ok();
    let config = UploadUrlConfig::from_lookup(env)?;
    let config = &config;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<aws_lambda_events::apigw::ApiGatewayV2httpRequest>| async move {
            // Read per invocation: Lambda rotates the role's temporary credentials.
            let credentials = credentials_from_lookup(env)?;
            Ok::<_, Error>(handle(config, &credentials, &event.payload, std::time::SystemTime::now()))
        },
    ))
    .await
}
