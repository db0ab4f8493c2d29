// thumbing-wasm: the thumbing avatar pipeline in WebAssembly.
//
// This is the entry point for browsers, Web Workers and bundlers. Call `await init()` once
// before the other functions; in Node the package's `node` entry (node.js) has done it already.

import initModule, {
  initSync as initModuleSync,
  avatar as wasmAvatar,
  process as wasmProcess,
  pixels as wasmPixels,
  render as wasmRender,
  probe as wasmProbe,
  version as wasmVersion,
  __takePanicMessage,
  __wbg_reset_state,
} from "./thumbing_wasm.js";

let ready = null;
let initialised = false;

/**
 * Loads and instantiates the WebAssembly module. Safe to call more than once: later calls
 * return the first call's promise.
 *
 * @param {RequestInfo | URL | Response | BufferSource | WebAssembly.Module} [module]
 *   Where the `.wasm` comes from; by default `thumbing_wasm_bg.wasm` next to this file.
 * @returns {Promise<void>}
 */
export default function init(module) {
  if (!ready) {
    const input = module === undefined ? undefined : { module_or_path: module };
    ready = initModule(input).then(
      () => {
        initialised = true;
      },
      (error) => {
        ready = null;
        throw error;
      },
    );
  }
  return ready;
}

/**
 * Instantiates the module synchronously from its bytes or a compiled `WebAssembly.Module`
 * (browsers allow synchronous compilation of small modules only in workers; prefer `init`).
 *
 * @param {BufferSource | WebAssembly.Module} module
 */
export function initSync(module) {
  if (!initialised) {
    initModuleSync({ module });
    initialised = true;
    ready = Promise.resolve();
  }
}

/** Whether the module is ready to use. */
export function isInitialised() {
  return initialised;
}

function thumbingError(code, message) {
  const error = new Error(message);
  error.name = "ThumbingError";
  error.code = code;
  return error;
}

// A Rust panic message that means memory ran out rather than bad data.
const OUT_OF_MEMORY = /capacity overflow|memory allocation|out of memory/i;

// Wraps an export: a clear error before `init()`, and recovery from a WebAssembly trap.
//
// A Rust panic cannot unwind on wasm32-unknown-unknown; it traps, and the instance's state
// (allocator, stack pointer) can no longer be trusted. The wrapper then re-instantiates the
// module, so one hostile file cannot break later calls, and reports the failure in the error
// categories of the native library: running out of the 4 GiB WebAssembly memory (an
// allocation failure, which traps without a panic, or a buffer larger than 32-bit WebAssembly
// can address) is `too_large`; any other panic is `corrupt`, as the native library reports a
// decoder that panics on malformed data.
function guard(name, fn) {
  return function (...args) {
    if (!initialised) {
      throw new Error(`thumbing-wasm: call \`await init()\` before ${name}()`);
    }
    try {
      return fn(...args);
    } catch (error) {
      if (!(error instanceof WebAssembly.RuntimeError)) throw error;
      let panic = null;
      try {
        panic = __takePanicMessage() ?? null;
      } catch {
        // The trapped instance may not answer; it is replaced below either way.
      }
      __wbg_reset_state();
      if (panic === null || OUT_OF_MEMORY.test(panic)) {
        throw thumbingError(
          "too_large",
          `image too large: it needs more memory than WebAssembly can address (${panic ?? error.message}); ` +
            "lower maxPixels or the output sizes",
        );
      }
      throw thumbingError("corrupt", `corrupt image: the decoder failed on malformed data (${panic})`);
    }
  };
}

/**
 * One square avatar, encoded (JPEG quality 80 at 512×512 unless the options say otherwise).
 * @type {typeof import("./thumbing_wasm.js").avatar}
 */
export const avatar = guard("avatar", wasmAvatar);

/**
 * One encoded image per requested size, from a single decode.
 * @type {typeof import("./thumbing_wasm.js").process}
 */
export const process = guard("process", wasmProcess);

/**
 * The final RGBA pixels of one square image, shaped like `ImageData`.
 * @type {typeof import("./thumbing_wasm.js").pixels}
 */
export const pixels = guard("pixels", wasmPixels);

/**
 * The final RGBA pixels of every requested size, from a single decode.
 * @type {typeof import("./thumbing_wasm.js").render}
 */
export const render = guard("render", wasmRender);

/**
 * What an image's headers say, without decoding pixels.
 * @type {typeof import("./thumbing_wasm.js").probe}
 */
export const probe = guard("probe", wasmProbe);

/**
 * The version of thumbing compiled into the module.
 * @type {typeof import("./thumbing_wasm.js").version}
 */
export const version = guard("version", wasmVersion);

/**
 * `pixels()` as a DOM `ImageData`, for `CanvasRenderingContext2D.putImageData` (browsers and
 * workers only).
 *
 * @param {import("./thumbing_wasm.js").Input} input
 * @param {import("./thumbing_wasm.js").AvatarOptions} [options]
 * @returns {ImageData}
 */
export function imageData(input, options) {
  if (typeof ImageData === "undefined") {
    throw new Error("thumbing-wasm: ImageData is not available here; use pixels() instead");
  }
  const p = pixels(input, options);
  return new ImageData(p.data, p.width, p.height);
}
