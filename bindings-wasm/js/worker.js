// thumbing-wasm Web Worker: runs the pipeline off the main thread.
//
// Start it as a module worker (or use ThumbingWorker from "thumbing-wasm/client"):
//   new Worker(new URL("thumbing-wasm/worker", import.meta.url), { type: "module" })
// Messages in:  { id, method, args }   with method one of avatar, process, pixels, render, probe, version
// Messages out: { id, result }  or  { id, error: { name, message, code } }
// Result buffers are transferred, not copied. No SharedArrayBuffer or cross-origin isolation
// is needed.

import init, * as thumbing from "./index.js";

const METHODS = new Set(["avatar", "process", "pixels", "render", "probe", "version"]);
const ready = init();

function transferables(result) {
  const buffers = new Set();
  const visit = (value) => {
    if (ArrayBuffer.isView(value)) buffers.add(value.buffer);
    else if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === "object") Object.values(value).forEach(visit);
  };
  visit(result);
  return [...buffers];
}

self.addEventListener("message", async (event) => {
  const { id, method, args = [] } = event.data ?? {};
  try {
    await ready;
    if (!METHODS.has(method)) throw new Error(`thumbing-wasm worker: unknown method ${JSON.stringify(method)}`);
    const result = thumbing[method](...args);
    self.postMessage({ id, result }, transferables(result));
  } catch (error) {
    const { name = "Error", message = String(error), code } = error ?? {};
    self.postMessage({ id, error: { name, message, code } });
  }
});
