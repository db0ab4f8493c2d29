// thumbing-wasm for Node: the module is instantiated synchronously on import, so the
// functions work at once. `init()` is still exported (it resolves immediately) for code
// shared with browsers.

import { readFileSync } from "node:fs";
import { initSync } from "./index.js";

initSync(readFileSync(new URL("./thumbing_wasm_bg.wasm", import.meta.url)));

export * from "./index.js";
export { default } from "./index.js";
