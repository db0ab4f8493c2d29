// Type-checked by `tsc --noEmit`, not bundled: the package's types are precise enough to
// catch mistakes (each @ts-expect-error must be an error, or tsc fails).

import { avatar, pixels, process, probe, type Bytes, type EncodedImage, type ErrorCode, type ImageInfo, type Pixels } from "thumbing-wasm";
import { ThumbingWorker } from "thumbing-wasm/client";

export function checkTypes(bytes: Uint8Array, buffer: ArrayBuffer): void {
  const jpeg: Bytes = avatar(bytes, { size: 128, crop: { x: 0.3, y: 0.6 }, format: "webp-lossless", quality: 90 });
  const images: EncodedImage[] = process(buffer, { sizes: [512, 128], fit: "contain", background: "#ffffff" });
  const mime: string = images[0].mimeType;
  const px: Pixels = pixels(bytes, { size: 64, crop: "smart" });
  const rgba: Uint8ClampedArray = px.data;
  const info: ImageInfo = probe(bytes);
  const format: "jpeg" | "png" | "webp" | "gif" = info.format;
  const upright: number = info.uprightWidth + info.uprightHeight;
  const code: ErrorCode = "corrupt";
  // What the results are for: a Blob of the file, an ImageData of the pixels.
  const blob = new Blob([jpeg, images[1].data], { type: mime });
  const imageData = new ImageData(px.data, px.width, px.height);

  // @ts-expect-error: the size is a number
  avatar(bytes, { size: "big" });
  // @ts-expect-error: no such output format
  avatar(bytes, { format: "bmp" });
  // @ts-expect-error: no such fit
  process(bytes, { fit: "stretch" });
  // @ts-expect-error: a string is no image
  probe("photo.jpg");
  // @ts-expect-error: probe gives an ImageInfo
  const wrong: string = probe(bytes);
  // @ts-expect-error: not an error code
  const notACode: ErrorCode = "oops";

  const worker = new ThumbingWorker();
  const later: Promise<Uint8Array> = worker.avatar(bytes, { size: 256 });
  const infoLater: Promise<ImageInfo> = worker.probe(bytes);
  // @ts-expect-error: the worker answers with promises
  const notNow: Uint8Array = worker.avatar(bytes);
  worker.terminate();
  void [blob, imageData, rgba, format, upright, code, wrong, notACode, later, infoLater, notNow];
}
