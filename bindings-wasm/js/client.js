// ThumbingWorker: a promise-based handle on the thumbing-wasm Web Worker.
//
//   import { ThumbingWorker } from "thumbing-wasm/client";
//   const thumbing = new ThumbingWorker();
//   const jpeg = await thumbing.avatar(bytes, { size: 512 });

let nextId = 1;

/** Runs thumbing-wasm in a dedicated module worker; every method returns a promise. */
export class ThumbingWorker {
  /**
   * @param {string | URL} [workerUrl] The worker script; by default `worker.js` next to this file.
   */
  constructor(workerUrl) {
    this.pending = new Map();
    // Written out in full, so bundlers (Vite, webpack 5) see the worker and bundle it.
    this.worker =
      workerUrl === undefined
        ? new Worker(new URL("./worker.js", import.meta.url), { type: "module" })
        : new Worker(workerUrl, { type: "module" });
    this.worker.addEventListener("message", (event) => this.#settle(event.data));
    this.worker.addEventListener("error", (event) => this.#failAll(new Error(`thumbing-wasm worker failed: ${event.message ?? "could not start"}`)));
    this.worker.addEventListener("messageerror", () => this.#failAll(new Error("thumbing-wasm worker: a message could not be read")));
  }

  #call(method, args) {
    return new Promise((resolve, reject) => {
      if (!this.worker) {
        reject(new Error("thumbing-wasm worker was terminated"));
        return;
      }
      const id = nextId++;
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, method, args });
    });
  }

  #settle({ id, result, error }) {
    const call = this.pending.get(id);
    if (!call) return;
    this.pending.delete(id);
    if (error) call.reject(Object.assign(new Error(error.message), { name: error.name, code: error.code }));
    else call.resolve(result);
  }

  #failAll(error) {
    for (const { reject } of this.pending.values()) reject(error);
    this.pending.clear();
  }

  /** One encoded square avatar. The input is copied to the worker; the result is transferred. */
  avatar(input, options) {
    return this.#call("avatar", [input, options]);
  }

  /** One encoded image per requested size. */
  process(input, options) {
    return this.#call("process", [input, options]);
  }

  /** RGBA pixels of one square image (`{ data, width, height }`, ready for `new ImageData`). */
  pixels(input, options) {
    return this.#call("pixels", [input, options]);
  }

  /** RGBA pixels of every requested size. */
  render(input, options) {
    return this.#call("render", [input, options]);
  }

  /** What the headers say. */
  probe(input) {
    return this.#call("probe", [input]);
  }

  /** The version of thumbing in the worker. */
  version() {
    return this.#call("version", []);
  }

  /** Stops the worker; pending calls are rejected. */
  terminate() {
    this.worker?.terminate();
    this.worker = null;
    this.#failAll(new Error("thumbing-wasm worker was terminated"));
  }
}
