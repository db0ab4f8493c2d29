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
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
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
 * The service with the development issuer, SQLite in a temporary folder, and either local
 * folders (`storage: "local"`) or S3 at `s3Endpoint`: `{ url, dataDir, stop }`.
 */
export async function startService({ storage, s3Endpoint }) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(join(tmpdir(), `avatar-service-e2e-${storage}-`));
  const env = {
    RUST_LOG: process.env.RUST_LOG ?? "info",
    BIND_ADDR: `127.0.0.1:${port}`,
    PUBLIC_URL: url,
    ALLOWED_ORIGINS: url,
    DATA_DIR: dataDir,
    DATABASE_URL: `sqlite://${join(dataDir, "service.db")}?mode=rwc`,
    WEB_DIR: join(repoRoot, "examples/avatar-service/web"),
    PKG_DIR: join(repoRoot, "bindings-wasm/pkg"),
    DEV_ISSUER: "1",
  };
  if (storage === "s3") {
    Object.assign(env, {
      STORAGE: "s3",
      S3_ENDPOINT: s3Endpoint,
      AWS_ACCESS_KEY_ID: "testing",
      AWS_SECRET_ACCESS_KEY: "testing",
      AWS_REGION: "us-east-1",
    });
  } else {
    env.STORAGE = "local";
  }
  const proc = await startProcess("avatar-service", serviceBin, [], {
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
