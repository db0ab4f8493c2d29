//! The real `thumbing-lambda` binary, as Lambda runs it: a process that reads its
//! configuration, then polls the Lambda Runtime API for events. A small Runtime API
//! server on 127.0.0.1 stands in for Lambda.
//!
//! The cold-start test needs nothing else. The invocation test also needs the S3 server
//! that `scripts/test-lambda.sh` starts (`THUMBING_TEST_S3_ENDPOINT`); without it the test
//! says it skipped, and fails instead when `CI=true`.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_thumbing-lambda");
/// A generous guard against hangs; never reached when things work.
const HANG_GUARD: Duration = Duration::from_secs(120);

/// What the function posted back for one invocation.
#[derive(Debug)]
struct Answer {
    request_id: String,
    kind: String,
    body: Value,
}

/// A minimal Lambda Runtime API (2018-06-01): `invocation/next`, `invocation/{id}/response`,
/// `invocation/{id}/error` and `init/error`, over HTTP/1.1 with keep-alive.
struct RuntimeApi {
    address: String,
    events: Sender<(String, Value)>,
    answers: Mutex<Receiver<Answer>>,
}

impl RuntimeApi {
    fn start() -> RuntimeApi {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let (events, pending) = mpsc::channel::<(String, Value)>();
        let (answer_tx, answers) = mpsc::channel::<Answer>();
        let pending = Arc::new(Mutex::new(pending));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (pending, answer_tx) = (pending.clone(), answer_tx.clone());
                std::thread::spawn(move || serve(stream, &pending, &answer_tx));
            }
        });
        RuntimeApi { address, events, answers: Mutex::new(answers) }
    }

    fn invoke(&self, request_id: &str, event: Value) -> Answer {
        self.events.send((request_id.to_owned(), event)).unwrap();
        let answer = self.answers.lock().unwrap().recv_timeout(HANG_GUARD).expect("the function answered");
        assert_eq!(answer.request_id, request_id);
        answer
    }
}

fn serve(stream: TcpStream, pending: &Mutex<Receiver<(String, Value)>>, answers: &Sender<Answer>) {
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut headers = HashMap::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
            }
        }
        let length: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let mut parts = request_line.split_whitespace();
        let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();

        let (status, extra, reply) = match (method, segments.as_slice()) {
            ("GET", [.., "invocation", "next"]) => {
                let Ok((id, event)) = pending.lock().unwrap().recv() else { return };
                let deadline =
                    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() + 60_000;
                let extra = format!(
                    "Lambda-Runtime-Aws-Request-Id: {id}\r\nLambda-Runtime-Deadline-Ms: {deadline}\r\n\
                     Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:avatar\r\n\
                     Lambda-Runtime-Trace-Id: Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=0\r\n"
                );
                ("200 OK", extra, event.to_string())
            }
            ("POST", [.., "invocation", id, kind @ ("response" | "error")]) => {
                let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
                answers.send(Answer { request_id: (*id).to_owned(), kind: (*kind).to_owned(), body }).unwrap();
                ("202 Accepted", String::new(), r#"{"status":"OK"}"#.to_owned())
            }
            ("POST", [.., "init", "error"]) => {
                let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
                answers.send(Answer { request_id: "init".into(), kind: "init_error".into(), body }).unwrap();
                ("202 Accepted", String::new(), r#"{"status":"OK"}"#.to_owned())
            }
            _ => ("404 Not Found", String::new(), "{}".to_owned()),
        };
        let response = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}\r\n{reply}",
            reply.len()
        );
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

/// The environment Lambda gives a function, plus `vars`. Nothing is inherited.
fn lambda_command(runtime_api: &str, vars: &[(&str, &str)]) -> Command {
    let mut command = Command::new(BINARY);
    command.env_clear().envs([
        ("AWS_LAMBDA_RUNTIME_API", runtime_api),
        ("AWS_LAMBDA_FUNCTION_NAME", "avatar"),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512"),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/avatar"),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "2024/05/01/[$LATEST]0123456789abcdef"),
    ]);
    command.envs(vars.iter().copied()).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    command
}

/// Kills the child when dropped, so a failing test leaves no process behind.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_with_guard(child: &mut Child) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(started.elapsed() < HANG_GUARD, "the process did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn invalid_configuration_stops_the_cold_start_with_a_clear_message() {
    let mut child = lambda_command("127.0.0.1:9", &[("QUALITY", "0"), ("SIZES", "512,huge")]).spawn().unwrap();
    let status = wait_with_guard(&mut child);
    let mut stdout = String::new();
    child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();

    assert_eq!(status.code(), Some(2), "{stdout}");
    let line: Value = serde_json::from_str(stdout.lines().last().expect("a log line")).expect("a JSON log line");
    assert_eq!(line["level"], "ERROR");
    let error = line["error"].as_str().unwrap();
    for expected in ["invalid configuration", "DEST_BUCKET_NAME is required", "QUALITY=\"0\"", "SIZES=\"512,huge\""] {
        assert!(error.contains(expected), "{expected:?} missing from {error}");
    }
}

#[test]
fn missing_aws_credentials_stop_the_cold_start() {
    let mut child =
        lambda_command("127.0.0.1:9", &[("DEST_BUCKET_NAME", "assets"), ("AWS_REGION", "us-east-1")]).spawn().unwrap();
    let status = wait_with_guard(&mut child);
    let mut stdout = String::new();
    child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
    assert_eq!(status.code(), Some(2), "{stdout}");
    assert!(stdout.contains("AWS_ACCESS_KEY_ID"), "{stdout}");
}

#[tokio::test]
async fn the_binary_handles_invocations_through_the_runtime_api() {
    let endpoint = match std::env::var("THUMBING_TEST_S3_ENDPOINT") {
        Ok(endpoint) if !endpoint.is_empty() => endpoint,
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("THUMBING_TEST_S3_ENDPOINT is not set (CI=true: this test must run)")
        }
        _ => {
            // Past the harness's output capture, so that the skip shows in `cargo test`.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: THUMBING_TEST_S3_ENDPOINT is not set; run scripts/test-lambda.sh"
            );
            return;
        }
    };
    let store = thumbing_storage::S3Store::builder()
        .region("us-east-1")
        .credentials("testing", "testing", None)
        .endpoint_url(&endpoint)
        .build()
        .unwrap();
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let suffix = format!("{}-{nanos}", std::process::id());
    let (uploads, assets) = (format!("rt-uploads-{suffix}"), format!("rt-assets-{suffix}"));
    for (bucket, key, data) in [
        (&uploads, "", None),
        (&assets, "", None),
        (&uploads, "me.jpg", Some(include_bytes!("../../fixtures/landscape_3.jpg").to_vec())),
        (&uploads, "bad.jpg", Some(include_bytes!("../../fixtures/landscape_3.jpg")[..5000].to_vec())),
    ] {
        let client = store.client();
        match data {
            None => drop(client.create_bucket().bucket(bucket.as_str()).send().await.unwrap()),
            Some(data) => drop(
                client.put_object().bucket(bucket.as_str()).key(key).body(ByteStream::from(data)).send().await.unwrap(),
            ),
        }
    }

    let api = RuntimeApi::start();
    let child = lambda_command(
        &api.address,
        &[
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_SESSION_TOKEN", "token"),
            ("AWS_ENDPOINT_URL_S3", &endpoint),
            ("DEST_BUCKET_NAME", &assets),
            ("FOLDER_INPUT", ""),
            ("FOLDER_OUTPUT", "avatars"),
            ("PROCESS_WIDTH", "512"),
            ("PROCESS_HEIGHT", "512"),
        ],
    )
    .spawn()
    .unwrap();
    let mut running = Running(child);

    let record = |key: &str| {
        let mut event: Value = serde_json::from_str(include_str!("events/s3-put.json")).unwrap();
        event["Records"][0]["s3"]["bucket"]["name"] = json!(uploads);
        event["Records"][0]["s3"]["object"]["key"] = json!(key);
        event["Records"][0].clone()
    };
    // The api answers blocking calls: run them off the async runtime.
    let api = Arc::new(api);
    let invoke = |id: &'static str, event: Value| {
        let api = api.clone();
        tokio::task::spawn_blocking(move || api.invoke(id, event))
    };

    let answer = invoke("req-1", json!({"Records": [record("me.jpg"), record("bad.jpg")]})).await.unwrap();
    assert_eq!(answer.kind, "response", "{answer:?}");
    assert_eq!(answer.body["records"][0]["status"], "processed", "{answer:?}");
    assert_eq!(answer.body["records"][0]["outputs"][0]["key"], "avatars/me.jpg");
    assert_eq!(answer.body["records"][1]["status"], "rejected", "{answer:?}");
    assert_eq!(answer.body["records"][1]["error_kind"], "corrupt");

    let avatar = store.client().get_object().bucket(&assets).key("avatars/me.jpg").send().await.unwrap();
    assert_eq!(avatar.content_type(), Some("image/jpeg"));
    let bytes = avatar.body.collect().await.unwrap().into_bytes();
    let info = thumbing::probe(&bytes).unwrap();
    assert_eq!((info.width, info.height), (512, 512));

    // The same binary answers S3 Batch Operations: the job's sizes, then up to date.
    let mut job: Value = serde_json::from_str(include_str!("events/batch-invocation-2.0.json")).unwrap();
    job["tasks"][0]["s3Bucket"] = json!(uploads);
    job["tasks"][0]["s3Key"] = json!("me.jpg");
    for (id, expected) in
        [("req-3", "processed: avatars/me.jpg, avatars/me-64.jpg"), ("req-4", "up_to_date: avatars/me.jpg")]
    {
        let answer = invoke(id, job.clone()).await.unwrap();
        assert_eq!(answer.kind, "response", "{answer:?}");
        assert_eq!(answer.body["invocationId"], job["invocationId"]);
        assert_eq!(answer.body["results"][0]["taskId"], job["tasks"][0]["taskId"]);
        assert_eq!(answer.body["results"][0]["resultCode"], "Succeeded", "{answer:?}");
        assert_eq!(answer.body["results"][0]["resultString"], expected, "{answer:?}");
    }
    let small = store.client().get_object().bucket(&assets).key("avatars/me-64.jpg").send().await.unwrap();
    assert_eq!(thumbing::probe(&small.body.collect().await.unwrap().into_bytes()).unwrap().width, 64);

    let answer = invoke("req-2", json!({"not": "an S3 event"})).await.unwrap();
    assert_eq!(answer.kind, "error", "{answer:?}");
    assert_eq!(answer.body["errorType"], "InvalidEvent", "{answer:?}");

    // Stop the function and read its log: JSON lines, the rejection with key and category.
    let _ = running.0.kill();
    let _ = running.0.wait();
    let mut stdout = String::new();
    running.0.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
    let lines: Vec<Value> =
        stdout.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))).collect();
    let rejected = lines.iter().find(|l| l["status"] == "rejected").unwrap_or_else(|| panic!("{stdout}"));
    assert_eq!(rejected["key"], "bad.jpg");
    assert_eq!(rejected["error_kind"], "corrupt");
    assert_eq!(rejected["level"], "WARN");
    // A task's log lines carry its job and task.
    let task = lines.iter().find(|l| l["status"] == "up_to_date").unwrap_or_else(|| panic!("{stdout}"));
    assert_eq!(task["span"]["job_id"], job["job"]["id"], "{task}");
    assert_eq!(task["span"]["task_id"], job["tasks"][0]["taskId"], "{task}");
}
