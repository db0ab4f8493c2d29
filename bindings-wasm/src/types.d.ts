/** Image bytes: a `Uint8Array` (including Node's `Buffer`), another typed-array view, or an `ArrayBuffer`. */
export type Input = Uint8Array | ArrayBuffer | ArrayBufferView;

/**
 * Bytes over an `ArrayBuffer` of their own: `Uint8Array<ArrayBuffer>` with TypeScript 5.7 and
 * later (a `BlobPart`, e.g. `new Blob([jpeg])`), plain `Uint8Array` before.
 */
export type Bytes = ReturnType<typeof Uint8Array.from>;

/** RGBA pixels over an `ArrayBuffer` of their own, as `new ImageData(data, width, height)` takes them. */
export type RgbaData = ReturnType<typeof Uint8ClampedArray.from>;

/** The stable error categories, also used by the Rust crate and the CLI. */
export type ErrorCode = "unsupported_format" | "corrupt" | "too_large" | "invalid_options" | "encode";

/** What every function throws: an `Error` named `ThumbingError` with a `code`. */
export interface ThumbingError extends Error {
  name: "ThumbingError";
  code: ErrorCode;
}

/** Where a cover crop is placed: centred, content-aware, or on a focal point (fractions 0..1 of the upright image).
 * Word options are matched ignoring case; the words are thumbing's, the same for every interface. */
export type Crop = "centre" | "center" | "smart" | "attention" | "entropy" | `${number},${number}` | { x: number; y: number };

/** Options shared by every function that makes an image. All are optional; the defaults are thumbing's. */
export interface CommonOptions {
  /** How the image fits the box: `cover` (crop to fill, default), `contain` (letterbox), `inside` (no crop, no padding). */
  fit?: "cover" | "contain" | "inside";
  /** Where a cover crop is placed (default `"centre"`). */
  crop?: Crop;
  /** Resampling filter (default `"lanczos3"`). */
  filter?: "lanczos3" | "lanczos" | "mitchell" | "catmull-rom" | "catmullrom" | "cubic" | "bilinear" | "triangle" | "box" | "nearest";
  /**
   * Output format (default `"jpeg"`). For `pixels`/`render` it decides whether alpha is flattened (JPEG) or kept.
   * `"webp"` (lossy WebP) and `"avif"` are thumbing's words too, but their encoders are not in the WebAssembly
   * build (libwebp is C; rav1e would not fit the module's size budget): asking for them throws an `Error` with
   * code `"invalid_options"`. Lossless WebP is `"webp-lossless"`.
   */
  format?: "jpeg" | "jpg" | "png" | "webp" | "webp-lossless" | "avif";
  /** JPEG quality 1..100 (default 80; below 90 chroma is subsampled 4:2:0). */
  quality?: number;
  /** Progressive JPEG (default false). */
  progressive?: boolean;
  /** PNG compression effort (default `"balanced"`). */
  pngCompression?: "fast" | "balanced" | "smallest";
  /** Colour that transparency is flattened onto for JPEG and that `contain` pads with: `"#rrggbb"`, `"#rgb"` or `[r, g, b]` (default white). */
  background?: string | [number, number, number];
  /** Reject images with more pixels than this, from the header (default 100 000 000). */
  maxPixels?: number;
  /** Reject inputs larger than this many bytes (default 50 MiB). */
  maxInputBytes?: number;
  /** `"truncated"` (default): recoverable damage gives the image and a warning, truncated files are errors; `"warning"`: any damage is an error; `"never"`: decode what can be decoded. */
  failOn?: "warning" | "truncated" | "never";
}

/** Options for one square image (`avatar`, `pixels`). */
export interface AvatarOptions extends CommonOptions {
  /** Side of the square output in pixels, 1..16384 (default 512). */
  size?: number;
}

/** Options for several images from one decode (`process`, `render`). Give at most one of `size`, `sizes`, `boxes`. */
export interface ProcessOptions extends CommonOptions {
  /** One square output. */
  size?: number;
  /** Several square outputs, in this order (at most 32). */
  sizes?: number[];
  /** Outputs of arbitrary `[width, height]` boxes. */
  boxes?: [number, number][];
}

/** One encoded image. */
export interface EncodedImage {
  /** The encoded file. */
  data: Bytes;
  width: number;
  height: number;
  format: "jpeg" | "png" | "webp-lossless";
  /** For a `Blob` or a `Content-Type` header, e.g. `"image/jpeg"`. */
  mimeType: string;
  /** Damage in the input that the image was made despite (`[]` for an intact file). */
  warnings: ImageWarning[];
}

/** Damage that thumbing recovered from (`failOn: "warning"` refuses such files instead). */
export interface ImageWarning {
  code: "corrupt_data" | "extraneous_bytes" | "checksum" | "metadata" | "trailing_data" | "truncated";
  message: string;
  /** The byte of the input where the damage was found, or `null`. */
  offset: number | null;
}

/** Final sRGB pixels, 8-bit RGBA, shaped like `ImageData` (`new ImageData(p.data, p.width, p.height)`). */
export interface Pixels {
  data: RgbaData;
  width: number;
  height: number;
  colorSpace: "srgb";
  /** Damage in the input that the pixels were made despite (`[]` for an intact file). */
  warnings: ImageWarning[];
}

/** What the headers say, without decoding pixels. `width`/`height` are as stored. */
export interface ImageInfo {
  format: "jpeg" | "png" | "webp" | "gif";
  width: number;
  height: number;
  /** EXIF orientation 1..8 (1 when absent). */
  orientation: number;
  /** Size after the orientation is applied. */
  uprightWidth: number;
  uprightHeight: number;
  hasAlpha: boolean;
  colorModel: "gray" | "rgb" | "palette" | "cmyk";
  hasIcc: boolean;
  bitDepth: number;
  animated: boolean;
  progressive: boolean;
}
