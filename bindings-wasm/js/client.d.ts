// Types of ThumbingWorker (client.js).

import type { AvatarOptions, Bytes, EncodedImage, ImageInfo, Input, Pixels, ProcessOptions } from "./thumbing_wasm.js";

/**
 * Runs thumbing-wasm in a dedicated module Web Worker (worker.js). Every method returns a
 * promise; failures reject with an `Error` carrying the same `name` and `code` as on the main
 * thread. Inputs are copied to the worker; results are transferred back.
 */
export class ThumbingWorker {
  /** @param workerUrl The worker script; by default `worker.js` next to client.js. */
  constructor(workerUrl?: string | URL);
  avatar(input: Input, options?: AvatarOptions): Promise<Bytes>;
  process(input: Input, options?: ProcessOptions): Promise<EncodedImage[]>;
  pixels(input: Input, options?: AvatarOptions): Promise<Pixels>;
  render(input: Input, options?: ProcessOptions): Promise<Pixels[]>;
  probe(input: Input): Promise<ImageInfo>;
  version(): Promise<string>;
  /** Stops the worker; pending calls are rejected. */
  terminate(): void;
}
