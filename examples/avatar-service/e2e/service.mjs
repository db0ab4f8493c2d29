// Starts the real avatar service (and, for the S3 run, moto's S3 server) on free loopback
// ports for the end-to-end test, and stops them again.

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { repoRoot } from "./images.mjs";

/** The service binary: $AVATAR_SERVICE_BIN, or the debug build in $CARGO_TARGET_DIR. */
export const serviceBin =
  process.env.AVATAR_SERVICE_BIN ?? join(process.env.CARGO_TARGET_DIR ?? join(repoRoot, "target"), "debug/avatar-service");

/** moto's server: $MOTO_SERVER (the test script installs it into a git-ignored venv). */
export const motoServer = process.env.MOTO_SERVER ?? null;

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts `command`, keeping its output for error messages; resolves once `ready()` is true. */
async function startProcess(name, command, args, { env, ready, timeoutMs = 60_000 }) {
  const merged = { ...process.env, ...env };
  for (const [name, value] of Object.entries(merged)) if (value === undefined) delete merged[name];
  const child = spawn(command, args, { env: merged, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let exited = null;
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  child.on("exit", (code, signal) => (exited = signal ?? code));
  child.on("error", (error) => (exited = error.message));
  const started = Date.now();
  for (;;) {
    if (exited !== null) throw new Error(`${name} exited (${exited}) before it answered:\n${output}`);
    if (await ready().catch(() => false)) break;
    if (Date.now() - started > timeoutMs) {
      child.kill();
      throw new Error(`${name} did not answer within ${timeoutMs / 1000} s:\n${output}`);
    }
    await sleep(100);
  }
  return {
    child,
    output: () => output,
    stop: () =>
      new Promise((resolve) => {
        if (exited !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 5_000).unref();
      }),
  };
}

/** moto in server mode on a free port: `{ endpoint, stop }`. */
export async function startMoto() {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const proc = await startProcess("moto_server", motoServer, ["-H", "127.0.0.1", "-p", String(port)], {
    ready: async () => (await fetch(`${endpoint}/moto-api/`)).ok,
  });
  return { endpoint, stop: proc.stop, output: proc.output };
}

/**
 * Creates the service's buckets in moto and gives the uploads bucket the CORS rule a browser
 * needs to POST the upload form from the service's origin (as on AWS). moto checks no
 * signatures, so plain requests do.
 */
export async function prepareBuckets(endpoint, origin) {
  for (const bucket of ["uploads", "assets"]) {
    const created = await fetch(`${endpoint}/${bucket}`, { method: "PUT" });
    if (!created.ok && created.status !== 409) throw new Error(`moto: create bucket ${bucket}: ${created.status} ${await created.text()}`);
  }
  const cors =
    "<CORSConfiguration><CORSRule>" +
    `<AllowedOrigin>${origin}</AllowedOrigin><AllowedMethod>POST</AllowedMethod><AllowedHeader>*</AllowedHeader>` +
    "<MaxAgeSeconds>600</MaxAgeSeconds></CORSRule></CORSConfiguration>";
  const put = await fetch(`${endpoint}/uploads?cors`, { method: "PUT", headers: { "Content-Type": "application/xml" }, body: cors });
  if (!put.ok) throw new Error(`moto: put bucket CORS: ${put.status} ${await put.text()}`);
}

/**
 * The service with the development issuer, SQLite in a temporary data folder, and either local
 * folders (`storage: "local"`) or S3 at `s3Endpoint`, serving the WebAssembly package from
 * `wasmPkgDir`: `{ url, dataDir, stop }`.
 */
export async function startService({ storage, s3Endpoint, wasmPkgDir = join(repoRoot, "bindings-wasm/pkg") }) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(join(tmpdir(), `avatar-service-e2e-${storage}-`));
  const env = {
    RUST_LOG: process.env.RUST_LOG ?? "info",
    PUBLIC_URL: url,
    ALLOWED_ORIGINS: url,
    STORAGE: storage,
  };
  // The caller's AWS settings and database must not leak in.
  for (const name of ["AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "DATABASE_URL", "USER_POOL_ID", "OIDC_ISSUER", "CLIENT_ID", "S3_ENDPOINT"]) {
    env[name] = undefined;
  }
  if (storage === "s3") {
    await prepareBuckets(s3Endpoint, url);
    Object.assign(env, {
      S3_ENDPOINT: s3Endpoint,
      AWS_ACCESS_KEY_ID: "testing",
      AWS_SECRET_ACCESS_KEY: "testing",
      AWS_REGION: "us-east-1",
    });
  }
  const args = [
    "serve",
    "--bind",
    `127.0.0.1:${port}`,
    "--data-dir",
    dataDir,
    "--web-dir",
    join(repoRoot, "examples/avatar-service/web"),
    "--wasm-pkg-dir",
    wasmPkgDir,
  ];
  const proc = await startProcess("avatar-service", serviceBin, args, {
    env,
    ready: async () => (await fetch(`${url}/api/config`)).ok,
  });
  return {
    url,
    dataDir,
    output: proc.output,
    stop: async () => {
      await proc.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
