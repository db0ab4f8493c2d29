#!/usr/bin/env node
// Peer-harness worker for sharp (protocol: benches/peers/README.md).
//
// sharp is loaded from $PEERS_DIR/node (installed by scripts/bench-peers.sh), restricted to
// one thread (sharp.concurrency(1)) with its operation cache off, and used as its docs
// recommend for thumbnails: rotate() (EXIF auto-orientation), resize with fit 'cover', encode.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');
const { createRequire } = require('node:module');

const peersDir = path.resolve(process.env.PEERS_DIR || path.join(__dirname, '..', '..', '.peers'));
let sharp;
try {
  sharp = createRequire(path.join(peersDir, 'node', 'package.json'))('sharp');
} catch (err) {
  process.stderr.write(`cannot load sharp from ${path.join(peersDir, 'node')}: ${err.message}\n` +
    'run scripts/bench-peers.sh to install it\n');
  process.exit(2);
}
sharp.concurrency(1);
sharp.cache(false);

function procKb(field) {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const m = status.match(new RegExp(`^${field}:\\s*(\\d+)\\s*kB`, 'm'));
  return m ? Number(m[1]) : null;
}

function info() {
  return { lib: 'sharp', version: sharp.versions.sharp, detail: `libvips ${sharp.versions.vips}${sharp.versions.mozjpeg ? ' (mozjpeg build)' : ''}` };
}

/** The task, the way sharp's documentation writes a thumbnail. */
function pipeline(data, job) {
  const p = sharp(data).rotate().resize(job.width, job.height, { fit: 'cover' });
  return (job.format === 'jpeg' ? p.jpeg({ quality: job.quality }) : p.png()).toBuffer();
}

const cache = new Map();

async function run(job) {
  let data = cache.get(job.input);
  if (data === undefined) {
    data = fs.readFileSync(job.input);
    cache.set(job.input, data);
  }
  const start = process.hrtime.bigint();
  const out = await pipeline(data, job);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (job.output) fs.writeFileSync(job.output, out);
  return { ms, bytes: out.length };
}

async function handle(request) {
  try {
    if (request.op === 'info') return info();
    if (request.op === 'run') return await run(request);
    return { error: `unknown op ${JSON.stringify(request.op)}` };
  } catch (err) {
    return { error: String(err && err.message ? err.message : err) };
  }
}

async function main() {
  const once = process.argv.indexOf('--once');
  if (once !== -1) {
    const request = JSON.parse(process.argv[once + 1]);
    const idle = procKb('VmRSS');
    const response = await handle(request);
    cache.clear();
    response.idle_kb = idle;
    response.peak_kb = procKb('VmHWM');
    process.stdout.write(JSON.stringify(response) + '\n');
    return;
  }
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line.trim()) continue;
    let response;
    try {
      response = await handle(JSON.parse(line));
    } catch (err) {
      response = { error: `bad request: ${err.message}` };
    }
    process.stdout.write(JSON.stringify(response) + '\n');
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
