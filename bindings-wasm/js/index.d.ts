// Types of the thumbing-wasm entry points (index.js for browsers and workers, node.js for Node).

import type { AvatarOptions, Bytes, EncodedImage, ImageInfo, Input, Pixels, ProcessOptions } from "./thumbing_wasm.js";

export type {
  AvatarOptions,
  Bytes,
  CommonOptions,
  Crop,
  EncodedImage,
  ErrorCode,
  ImageInfo,
  Input,
  Pixels,
  ProcessOptions,
  RgbaData,
  ThumbingError,
} from "./thumbing_wasm.js";

/**
 * Makes one square avatar and returns the encoded file: centre-cropped, upright, sRGB, JPEG
 * quality 80 at 512×512 unless the options say otherwise.
 *
 * @throws {ThumbingError} with a `code` when the image or the options are unusable.
 */
export function avatar(input: Input, options?: AvatarOptions): Bytes;

/**
 * Makes one encoded image per requested size from a single decode, in the order asked for.
 *
 * @throws {ThumbingError} with a `code` when the image or the options are unusable.
 */
export function process(input: Input, options?: ProcessOptions): EncodedImage[];

/**
 * The final sRGB pixels of one square image as RGBA, shaped like `ImageData`. With the default
 * JPEG format, alpha is flattened onto the background: these are exactly the pixels the JPEG
 * encoder receives.
 *
 * @throws {ThumbingError} with a `code` when the image or the options are unusable.
 */
export function pixels(input: Input, options?: AvatarOptions): Pixels;

/**
 * Like `pixels`, for every requested size from a single decode.
 *
 * @throws {ThumbingError} with a `code` when the image or the options are unusable.
 */
export function render(input: Input, options?: ProcessOptions): Pixels[];

/**
 * Reads an image's headers without decoding pixels. No limits apply, so a decompression bomb
 * reports its declared size here; the other functions reject it.
 *
 * @throws {ThumbingError} (`unsupported_format` or `corrupt`) when the headers are unusable.
 */
export function probe(input: Input): ImageInfo;

/** The version of thumbing compiled into the module, e.g. `"0.1.0"`. */
export function version(): string;

/**
 * Loads and instantiates the WebAssembly module; call (and await) it once before the other
 * functions. Later calls return the first call's promise. In Node it has already happened on
 * import, and resolves at once.
 *
 * @param module Where the `.wasm` comes from; by default `thumbing_wasm_bg.wasm` next to the
 *   package's JavaScript.
 */
export default function init(
  module?: RequestInfo | URL | Response | BufferSource | WebAssembly.Module,
): Promise<void>;

/** Instantiates the module synchronously from its bytes or a compiled module. */
export function initSync(module: BufferSource | WebAssembly.Module): void;

/** Whether the module is ready to use. */
export function isInitialised(): boolean;

/**
 * `pixels()` as a DOM `ImageData`, ready for `putImageData` (browsers and workers only).
 */
export function imageData(input: Input, options?: AvatarOptions): ImageData;
