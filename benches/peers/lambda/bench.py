#!/usr/bin/env python3
"""Cold start, invocation time and peak memory of the avatar Lambda: thumbing-lambda (Rust)
against the original design (Node.js + sharp), both doing the same job against the same
local S3 server (moto).

Each function runs as a real process talking to a Lambda Runtime API emulator (below), as
it would in AWS: the Rust binary through `lambda_runtime`, the Node handler through the
small runtime loop in `node/bootstrap.js`. For every photo, a fresh process is started
(cold start), invoked once, then invoked WARM more times, and stopped; its peak resident
memory comes from the kernel (`wait4`). Functions are pinned to one CPU, like a Lambda
function with less than 1769 MB of memory.

Run it through run.sh, which installs and builds everything first.
"""

from __future__ import annotations

import argparse
import csv
import http.server
import json
import os
import platform
import queue
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import boto3  # installed with moto[server]

PHOTOS = [
    "photos-exif-samples/HMD_Nokia_8.3_5G.jpg",
    "photos-exif-samples/iphone_hdr_NO.jpg",
    "sharp-fixtures/2569067123_aca715a2ee_o.jpg",
    "sharp-fixtures/flowers.jpeg",
]
FUNCTION_CPU = 0
HARNESS_CPU = 1
INVOKE_TIMEOUT_S = 60


# --- Lambda Runtime API emulator -------------------------------------------------------


@dataclass
class Invocation:
    request_id: str
    payload: bytes
    delivered: float | None = None
    finished: float | None = None
    status: str | None = None  # "response" or "error"
    body: bytes = b""
    done: threading.Event = field(default_factory=threading.Event)


class RuntimeApi:
    """The Lambda Runtime API (2018-06-01) for one function process: `next`, `response`,
    `error` and `init/error`. Records when the function first asks for work and when each
    invocation was handed out and answered."""

    def __init__(self) -> None:
        self.pending: queue.Queue[Invocation] = queue.Queue()
        self.by_id: dict[str, Invocation] = {}
        self.first_next: float | None = None
        self.init_error: bytes | None = None
        self.stopping = threading.Event()
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _body(self) -> bytes:
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if not self.path.endswith("/runtime/invocation/next"):
                    return self._reply(404, b'{"errorMessage":"not found"}')
                if api.first_next is None:
                    api.first_next = time.perf_counter()
                while not api.stopping.is_set():
                    try:
                        inv = api.pending.get(timeout=0.2)
                    except queue.Empty:
                        continue
                    headers = {
                        "Lambda-Runtime-Aws-Request-Id": inv.request_id,
                        "Lambda-Runtime-Deadline-Ms": str(int(time.time() * 1000) + INVOKE_TIMEOUT_S * 1000),
                        "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:123456789012:function:avatar",
                        "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000000;Sampled=0",
                    }
                    inv.delivered = time.perf_counter()
                    return self._reply(200, inv.payload, headers)
                self.close_connection = True

            def do_POST(self) -> None:
                body = self._body()
                parts = self.path.rstrip("/").split("/")
                if self.path.endswith("/runtime/init/error"):
                    api.init_error = body
                    return self._reply(202, b'{"status":"OK"}')
                if len(parts) >= 2 and parts[-1] in ("response", "error") and parts[-2] in api.by_id:
                    inv = api.by_id[parts[-2]]
                    inv.finished, inv.status, inv.body = time.perf_counter(), parts[-1], body
                    inv.done.set()
                    return self._reply(202, b'{"status":"OK"}')
                return self._reply(404, b'{"errorMessage":"unknown invocation"}')

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address) -> None:
                # A function process that is stopped drops its connection: not an error.
                if not isinstance(sys.exc_info()[1], (ConnectionError, BrokenPipeError)):
                    super().handle_error(request, client_address)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def invoke(self, event: dict) -> Invocation:
        inv = Invocation(str(uuid.uuid4()), json.dumps(event).encode())
        self.by_id[inv.request_id] = inv
        self.pending.put(inv)
        return inv

    def close(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()


# --- helpers ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pin(cpu: int):
    def apply() -> None:
        if hasattr(os, "sched_setaffinity") and cpu < os.cpu_count():
            os.sched_setaffinity(0, {cpu})

    return apply


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def zip_size(paths: list[Path], root: Path) -> int:
    """Size of a deflate zip of the given files and folders (as a deployment package)."""
    out = Path(os.environ.get("TMPDIR", "/tmp")) / f"peer-package-{os.getpid()}.zip"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for p in paths:
            files = [p] if p.is_file() else sorted(f for f in p.rglob("*") if f.is_file())
            for f in files:
                z.write(f, f.relative_to(root))
    size = out.stat().st_size
    out.unlink()
    return size


@dataclass
class Peer:
    name: str
    command: list[str]
    cwd: Path
    env: dict[str, str]
    package_bytes: int
    package_note: str


@dataclass
class Run:
    peer: str
    photo: str
    megapixels: float
    init_ms: float
    cold_ms: float
    warm_ms: list[float]
    peak_rss_mib: float
    output_bytes: int


def event_for(template: dict, bucket: str, key: str, size: int) -> dict:
    record = json.loads(json.dumps(template["Records"][0]))
    record["s3"]["bucket"]["name"] = bucket
    record["s3"]["bucket"]["arn"] = f"arn:aws:s3:::{bucket}"
    record["s3"]["object"]["key"] = urllib.parse.quote_plus(key, safe="/")
    record["s3"]["object"]["size"] = size
    # A fresh ETag per invocation: every invocation is a new upload, so the Rust handler's
    # retry shortcut never applies and both functions do the full work every time.
    record["s3"]["object"]["eTag"] = secrets.token_hex(16)
    return {"Records": [record]}


def measure(peer: Peer, photo: str, megapixels: float, event, warm: int, s3, assets: str, out_key: str) -> Run:
    api = RuntimeApi()
    env = dict(peer.env, AWS_LAMBDA_RUNTIME_API=api.address)
    s3.delete_object(Bucket=assets, Key=out_key)
    started = time.perf_counter()
    proc = subprocess.Popen(
        peer.command,
        cwd=peer.cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=pin(FUNCTION_CPU),
    )
    try:
        invocations = [api.invoke(event())]
        if not invocations[0].done.wait(INVOKE_TIMEOUT_S):
            raise RuntimeError(f"{peer.name}: no answer to the first invocation ({api.init_error!r})")
        for _ in range(warm):
            inv = api.invoke(event())
            if not inv.done.wait(INVOKE_TIMEOUT_S):
                raise RuntimeError(f"{peer.name}: invocation timed out")
            invocations.append(inv)
        for inv in invocations:
            if inv.status != "response":
                raise RuntimeError(f"{peer.name} failed on {photo}: {inv.body.decode(errors='replace')}")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            _, _, usage = os.wait4(proc.pid, 0)
        except ChildProcessError:
            usage = None
        proc.returncode = 0
        stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        api.close()
    if usage is None:
        raise RuntimeError(f"{peer.name}: could not read resource usage; stderr: {stderr[-2000:]}")
    head = s3.head_object(Bucket=assets, Key=out_key)
    if head.get("ContentType") != "image/jpeg":
        raise RuntimeError(f"{peer.name}: {out_key} has Content-Type {head.get('ContentType')}")
    first = invocations[0]
    return Run(
        peer=peer.name,
        photo=photo,
        megapixels=megapixels,
        init_ms=((api.first_next or first.delivered) - started) * 1000,
        cold_ms=(first.finished - started) * 1000,
        warm_ms=[(i.finished - i.delivered) * 1000 for i in invocations[1:]],
        peak_rss_mib=usage.ru_maxrss / 1024,
        output_bytes=int(head["ContentLength"]),
    )


# --- report ----------------------------------------------------------------------------


def write_reports(runs: list[Run], peers: list[Peer], args, versions: dict[str, str]) -> None:
    csv_path, md_path = Path(args.out_csv), Path(args.out_md)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    with csv_path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            ["peer", "photo", "megapixels", "init_ms", "cold_first_response_ms", "warm_median_ms", "warm_p90_ms",
             "warm_min_ms", "warm_runs", "peak_rss_mib", "output_bytes"]
        )
        for r in runs:
            w.writerow([
                r.peer, r.photo, f"{r.megapixels:.1f}", f"{r.init_ms:.1f}", f"{r.cold_ms:.1f}",
                f"{statistics.median(r.warm_ms):.1f}", f"{percentile(r.warm_ms, 0.9):.1f}", f"{min(r.warm_ms):.1f}",
                len(r.warm_ms), f"{r.peak_rss_mib:.1f}", r.output_bytes,
            ])

    lines = [
        "# Lambda handler: thumbing-lambda against the original Node.js + sharp function",
        "",
        "Generated by `benches/peers/lambda/run.sh` (do not edit by hand).",
        "",
        "Both functions do the original job — fetch an upload from S3, make a 512×512 cover-cropped",
        "JPEG (quality 80), write it to the assets bucket with `Content-Type: image/jpeg` — against",
        "the same local S3 server (moto), as real processes behind a Lambda Runtime API emulator.",
        "For each photo a fresh process is started (cold start: process start to the first",
        f"response), then invoked {args.warm} more times (warm), then stopped; its peak resident memory",
        "comes from the kernel. Every function is pinned to one CPU, as a Lambda function with",
        "less than 1769 MB gets. Each event carries a new ETag, so no invocation can be skipped.",
        "The sharp peer is faithful to the original and ignores EXIF orientation; *sharp + rotate*",
        "adds `.rotate()` so that both sides apply the orientation, as thumbing always does.",
        f"Rounds: {args.rounds} (each photo cold-started once per round).",
        "",
        "## Summary",
        "",
        "| function | package (zip) | cold start, median | init (start → ready), median | warm invocation, median | peak memory, max |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for p in peers:
        rs = [r for r in runs if r.peer == p.name]
        if not rs:
            continue
        warm = [w for r in rs for w in r.warm_ms]
        lines.append(
            f"| {p.name} | {p.package_bytes / 1e6:.1f} MB | {statistics.median(r.cold_ms for r in rs):.0f} ms | "
            f"{statistics.median(r.init_ms for r in rs):.0f} ms | {statistics.median(warm):.0f} ms | "
            f"{max(r.peak_rss_mib for r in rs):.0f} MiB |"
        )
    lines += ["", "Packages:", ""]
    for p in peers:
        lines.append(f"- **{p.name}**: {p.package_note}")
    lines += [
        "",
        "## Per photo",
        "",
        "Medians over the rounds; warm is the median of all warm invocations, p90 in brackets.",
        "",
        "| photo | Mpx | function | cold start | warm invocation | peak memory | avatar |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for photo in PHOTOS:
        for p in peers:
            rs = [r for r in runs if r.peer == p.name and r.photo == photo]
            if not rs:
                continue
            warm = [w for r in rs for w in r.warm_ms]
            lines.append(
                f"| `{Path(photo).name}` | {rs[0].megapixels:.1f} | {p.name} | "
                f"{statistics.median(r.cold_ms for r in rs):.0f} ms | {statistics.median(warm):.0f} ms "
                f"({percentile(warm, 0.9):.0f}) | {max(r.peak_rss_mib for r in rs):.0f} MiB | "
                f"{statistics.median(r.output_bytes for r in rs) / 1000:.0f} kB |"
            )
    lines += ["", "## Machine and versions", ""]
    lines += [f"- {k}: {v}" for k, v in versions.items()]
    lines += ["", "Raw numbers: [`lambda.csv`](lambda.csv).", ""]
    md_path.write_text("\n".join(lines))


# --- main ------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rust-bootstrap", required=True, type=Path, help="the thumbing-lambda binary (bootstrap)")
    ap.add_argument("--rust-zips", nargs="*", default=[], type=Path, help="deployment zips to report")
    ap.add_argument("--node-dir", required=True, type=Path)
    ap.add_argument("--corpus", required=True, type=Path)
    ap.add_argument("--moto-server", required=True, type=Path)
    ap.add_argument("--event-template", required=True, type=Path)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--warm", type=int, default=10)
    ap.add_argument("--out-md", required=True)
    ap.add_argument("--out-csv", required=True)
    ap.add_argument("--versions", default="{}", help="JSON object of extra version lines")
    args = ap.parse_args()
    pin(HARNESS_CPU)()

    port = free_port()
    moto = subprocess.Popen(
        [str(args.moto_server), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=pin(HARNESS_CPU),
    )
    try:
        endpoint = f"http://127.0.0.1:{port}"
        deadline = time.time() + 30
        while True:
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1)
                break
            except OSError:
                if time.time() > deadline or moto.poll() is not None:
                    raise RuntimeError("moto_server did not start")
                time.sleep(0.2)
        creds = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1"}
        s3 = boto3.client(
            "s3", endpoint_url=endpoint, region_name="us-east-1",
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )
        uploads, assets = "avatar-uploads", "avatar-assets"
        for b in (uploads, assets):
            s3.create_bucket(Bucket=b)

        template = json.loads(args.event_template.read_text())
        photos = []
        for i, rel in enumerate(PHOTOS):
            data = (args.corpus / rel).read_bytes()
            key = f"user-{i}-{Path(rel).stem}{Path(rel).suffix}"
            s3.put_object(Bucket=uploads, Key=key, Body=data)
            mpx = float("nan")
            probe = subprocess.run(["file", "-b", str(args.corpus / rel)], capture_output=True, text=True).stdout
            for token in probe.replace(",", " ").split():
                w, _, h = token.partition("x")
                if w.isdigit() and h.isdigit() and int(w) > 100 and int(h) > 100:
                    mpx = int(w) * int(h) / 1e6
            photos.append((rel, key, len(data), mpx))

        base_env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/tmp"),
            "AWS_LAMBDA_FUNCTION_NAME": "avatar",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/avatar",
            "AWS_LAMBDA_LOG_STREAM_NAME": "local",
            "AWS_ENDPOINT_URL_S3": endpoint,
            "DEST_BUCKET_NAME": assets,
            "FOLDER_INPUT": "",
            "FOLDER_OUTPUT": "avatars",
            "PROCESS_WIDTH": "512",
            "PROCESS_HEIGHT": "512",
            **creds,
        }
        node_dir = args.node_dir.resolve()
        node_pkg = zip_size(
            [node_dir / "index.js", node_dir / "s3-image-processing.js", node_dir / "package.json", node_dir / "node_modules"],
            node_dir,
        )
        sharp_only = zip_size([node_dir / "node_modules" / "sharp", node_dir / "node_modules" / "@img"], node_dir)
        rust_zips = ", ".join(f"{z.parent.parent.name}: {z.stat().st_size / 1e6:.1f} MB" for z in args.rust_zips if z.exists())
        rust_pkg = next((z.stat().st_size for z in args.rust_zips if z.exists()), 0) or zip_size(
            [args.rust_bootstrap], args.rust_bootstrap.parent
        )
        peers = [
            Peer(
                "thumbing-lambda (Rust)", [str(args.rust_bootstrap.resolve())], args.rust_bootstrap.parent,
                base_env, rust_pkg,
                f"`bootstrap.zip` for provided.al2023 from `lambda/build.sh` ({rust_zips or 'zip of the binary'}).",
            ),
            Peer(
                "sharp (original)", ["node", "bootstrap.js"], node_dir, dict(base_env, SHARP_AUTO_ORIENT="0"),
                node_pkg,
                f"handler + `node_modules` (sharp with its linux-x64 libvips, AWS SDK v3), deflate zip; "
                f"sharp alone is {sharp_only / 1e6:.1f} MB (the SDK is also part of the managed Node.js runtime).",
            ),
            Peer(
                "sharp + rotate", ["node", "bootstrap.js"], node_dir, dict(base_env, SHARP_AUTO_ORIENT="1"),
                node_pkg, "same package as *sharp (original)*.",
            ),
        ]

        runs: list[Run] = []
        for round_no in range(args.rounds):
            for rel, key, size, mpx in photos:
                out_key = f"avatars/{Path(key).stem}.jpg"
                for peer in peers:
                    run = measure(
                        peer, rel, mpx, lambda: event_for(template, uploads, key, size), args.warm, s3, assets, out_key
                    )
                    runs.append(run)
                    print(
                        f"round {round_no + 1} {peer.name:24} {Path(rel).name:32} cold {run.cold_ms:7.1f} ms  "
                        f"warm {statistics.median(run.warm_ms):7.1f} ms  peak {run.peak_rss_mib:6.1f} MiB",
                        flush=True,
                    )

        cpu = "unknown"
        try:
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        except OSError:
            pass
        versions = {
            "CPU": f"{cpu}, {os.cpu_count()} cores (functions pinned to one)",
            "OS": f"{platform.system()} {platform.release()}",
            "load average at the end (other work on the machine)": " ".join(
                f"{x:.1f}" for x in os.getloadavg()
            ),
            "Node.js": subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip(),
            "sharp": json.loads((node_dir / "node_modules/sharp/package.json").read_text())["version"],
            "@aws-sdk/client-s3": json.loads((node_dir / "node_modules/@aws-sdk/client-s3/package.json").read_text())[
                "version"
            ],
            "moto": __import__("importlib.metadata").metadata.version("moto"),
            **json.loads(args.versions),
        }
        write_reports(runs, peers, args, versions)
        print(f"wrote {args.out_md} and {args.out_csv}")
    finally:
        moto.terminate()
        moto.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
