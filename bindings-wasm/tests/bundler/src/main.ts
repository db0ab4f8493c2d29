// A page as a user of thumbing-wasm writes it with Vite: the preview from the Web Worker
// (thumbing-wasm/client), the avatar file from the main thread (thumbing-wasm).

import init, { avatar, probe, version, type AvatarOptions, type ImageInfo, type ThumbingError } from "thumbing-wasm";
import { ThumbingWorker } from "thumbing-wasm/client";

const options: AvatarOptions = { size: 256, crop: "smart" };

const fileInput = document.querySelector<HTMLInputElement>("#file")!;
const status = document.querySelector<HTMLParagraphElement>("#status")!;
const canvas = document.querySelector<HTMLCanvasElement>("#preview")!;
const image = document.querySelector<HTMLImageElement>("#avatar")!;

function setStatus(state: string, text: string): void {
  status.dataset.state = state;
  status.textContent = text;
}

/** What the page made, for the test to compare with thumbing's own output. */
interface Result {
  info: ImageInfo;
  avatar: Uint8Array;
  preview: { width: number; height: number; data: Uint8ClampedArray };
}

declare global {
  interface Window {
    thumbingResult?: Result;
  }
}

async function start(): Promise<void> {
  await init();
  const worker = new ThumbingWorker();
  const workerVersion = await worker.version();
  setStatus("ready", `thumbing-wasm ${version()} is ready (worker ${workerVersion}): pick a photo.`);

  fileInput.addEventListener("change", async () => {
    const file = fileInput.files?.[0];
    if (!file) return;
    setStatus("working", `Making the avatar of ${file.name}…`);
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const info = probe(bytes);
      const pixels = await worker.pixels(bytes, options);
      canvas.width = pixels.width;
      canvas.height = pixels.height;
      canvas.getContext("2d")!.putImageData(new ImageData(pixels.data, pixels.width, pixels.height), 0, 0);
      const jpeg = avatar(bytes, options);
      image.src = URL.createObjectURL(new Blob([jpeg], { type: "image/jpeg" }));
      await image.decode();
      image.hidden = false;
      window.thumbingResult = { info, avatar: jpeg, preview: pixels };
      setStatus("done", `${info.format} ${info.uprightWidth}×${info.uprightHeight} → ${jpeg.length} bytes`);
    } catch (error) {
      const e = error as ThumbingError;
      setStatus("error", `${e.message} (${e.code})`);
    }
  });
}

start().catch((error: Error) => setStatus("error", `thumbing-wasm could not start: ${error.message}`));
