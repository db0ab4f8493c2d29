// A minimal Lambda runtime interface client: the loop that AWS's managed Node.js runtime
// runs around a handler. It lets the peer run against any Lambda Runtime API
// (AWS_LAMBDA_RUNTIME_API), here the local emulator of the benchmark.
//
//   AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001 node bootstrap.js
'use strict';

const http = require('http');

const api = process.env.AWS_LAMBDA_RUNTIME_API;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const base = '/2018-06-01/runtime';

function request(method, path, body) {
  return new Promise((resolve, reject) => {
    const [host, port] = api.split(':');
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(
      {
        host,
        port,
        path,
        method,
        agent,
        headers: payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {},
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

function errorBody(err) {
  return { errorType: (err && err.name) || 'Error', errorMessage: String((err && err.message) || err) };
}

async function main() {
  let handler;
  try {
    handler = require('./index.js').handler;
  } catch (err) {
    await request('POST', `${base}/init/error`, errorBody(err));
    process.exit(1);
  }
  for (;;) {
    const next = await request('GET', `${base}/invocation/next`);
    const id = next.headers['lambda-runtime-aws-request-id'];
    const deadline = Number(next.headers['lambda-runtime-deadline-ms']);
    const context = {
      awsRequestId: id,
      invokedFunctionArn: next.headers['lambda-runtime-invoked-function-arn'],
      getRemainingTimeInMillis: () => deadline - Date.now(),
    };
    try {
      const result = await handler(JSON.parse(next.body), context);
      await request('POST', `${base}/invocation/${id}/response`, result === undefined ? null : result);
    } catch (err) {
      console.error(err);
      await request('POST', `${base}/invocation/${id}/error`, errorBody(err));
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
