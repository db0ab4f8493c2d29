//! # thumbing-wasm
//!
//! The [`thumbing`] avatar pipeline compiled to WebAssembly, for browsers (main thread or a
//! Web Worker) and Node. It runs the same Rust code as the server, so a preview drawn in the
//! browser has the pixels of the avatar the server will store.
//!
//! The functions take the image as a `Uint8Array` (or `ArrayBuffer`) and an options object,
//! and throw a JavaScript `Error` whose `code` is the thumbing error category
//! (`unsupported_format`, `corrupt`, `too_large`, `invalid_options`, `encode`):
//!
//! ```js
//! import init, { avatar, process, probe, pixels } from "thumbing-wasm";
//! await init();                       // loads the .wasm (a no-op in Node)
//! const jpeg = avatar(bytes, { size: 512, crop: "smart", quality: 80 });
//! const [big, small] = process(bytes, { sizes: [512, 128], format: "webp-lossless" });
//! const info = probe(bytes);          // { format, width, height, orientation, hasAlpha, ... }
//! const preview = pixels(bytes, { size: 512 });
//! canvas.getContext("2d").putImageData(new ImageData(preview.data, preview.width, preview.height), 0, 0);
//! ```
//!
//! Start reading at the exported functions below; `options.rs` turns the options object into
//! [`thumbing::Options`], and `src/types.d.ts` holds the TypeScript types. The npm package is
//! built by `bindings-wasm/build.sh` into `bindings-wasm/pkg/`. On native
//! targets this crate compiles too (so its option parsing is unit-tested with `cargo test`), but
//! the exported functions need a JavaScript host.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod options;

use js_sys::{Array, Object, Reflect, Uint8Array, Uint8ClampedArray};
use thumbing::{Bitmap, Error};
use wasm_bindgen::prelude::*;

use crate::options::{Outputs, Spec};

/// The TypeScript types of the options and results, added to the package's `.d.ts`.
#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = include_str!("types.d.ts");

/// Turns a thumbing error into a JavaScript `Error` named `ThumbingError` with a `code`.
fn js_error(error: Error) -> JsValue {
    let js = js_sys::Error::new(&error.to_string());
    js.set_name("ThumbingError");
    set(&js, "code", error.kind().code());
    js.into()
}

/// Sets a property on an object created here; that cannot fail, so the result is ignored.
fn set(target: &JsValue, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(target, &JsValue::from_str(key), &value.into());
}

/// Copies the input bytes into WebAssembly memory, accepting any typed-array view or an
/// `ArrayBuffer`.
fn input_bytes(input: &JsValue) -> Result<Vec<u8>, Error> {
    if let Some(array) = input.dyn_ref::<Uint8Array>() {
        return Ok(array.to_vec());
    }
    if input.is_instance_of::<js_sys::ArrayBuffer>() || input.is_instance_of::<js_sys::SharedArrayBuffer>() {
        return Ok(Uint8Array::new(input).to_vec());
    }
    if js_sys::ArrayBuffer::is_view(input) {
        let field = |name: &str| Reflect::get(input, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED);
        let offset = field("byteOffset").as_f64().unwrap_or(0.0) as u32;
        let length = field("byteLength").as_f64().unwrap_or(0.0) as u32;
        return Ok(Uint8Array::new_with_byte_offset_and_length(&field("buffer"), offset, length).to_vec());
    }
    let kind = if input.is_null() { "null".to_string() } else { input.js_typeof().as_string().unwrap_or_default() };
    Err(Error::InvalidOptions(format!("the image must be a Uint8Array or an ArrayBuffer, got {kind}")))
}

fn options_from(options: Option<Object>, outputs: Outputs) -> Result<thumbing::Options, Error> {
    let value: JsValue = options.map(Into::into).unwrap_or(JsValue::UNDEFINED);
    Ok(Spec::read(&value, outputs)?.to_options())
}

/// The warnings of a decode as an array of `{ code, message, offset }` (`offset` is the byte
/// of the input where the damage was found, or `null`).
fn warnings_array(warnings: &[thumbing::Warning]) -> Array {
    warnings
        .iter()
        .map(|w| {
            let object: JsValue = Object::new().into();
            set(&object, "code", w.kind.code());
            set(&object, "message", w.message.as_str());
            set(&object, "offset", w.offset.map_or(JsValue::NULL, |o| JsValue::from_f64(o as f64)));
            object
        })
        .collect()
}

/// An RGBA `ImageData`-shaped object for `bitmap`, with the warnings of its decode.
fn pixels_object(bitmap: &Bitmap, warnings: &[thumbing::Warning]) -> JsValue {
    let rgba = if bitmap.layout == thumbing::PixelLayout::Rgba { None } else { Some(bitmap.to_rgba()) };
    let data = &rgba.as_ref().unwrap_or(bitmap).data;
    let object: JsValue = Object::new().into();
    set(&object, "data", Uint8ClampedArray::from(data.as_slice()));
    set(&object, "width", bitmap.width);
    set(&object, "height", bitmap.height);
    set(&object, "colorSpace", "srgb");
    set(&object, "warnings", warnings_array(warnings));
    object
}

/// Makes one square avatar and returns the encoded file: centre-cropped, upright, sRGB, JPEG
/// quality 80 at 512×512 unless the options say otherwise.
///
/// Throws a `ThumbingError` with a `code` when the image or the options are unusable.
#[wasm_bindgen(unchecked_return_type = "Uint8Array")]
pub fn avatar(
    #[wasm_bindgen(unchecked_param_type = "Input")] input: JsValue,
    #[wasm_bindgen(unchecked_param_type = "AvatarOptions")] options: Option<Object>,
) -> Result<Vec<u8>, JsValue> {
    let run = || -> Result<Vec<u8>, Error> {
        let options = options_from(options, Outputs::Single)?;
        let bytes = input_bytes(&input)?;
        Ok(options.process(&bytes)?.pop().map(|a| a.data).unwrap_or_default())
    };
    run().map_err(js_error)
}

/// Makes one encoded image per requested size from a single decode, in the order asked for:
/// `[{ data, width, height, format, mimeType, warnings }]`; `warnings` lists the damage in
/// the input that the image was made despite (`[]` for an intact file).
///
/// Throws a `ThumbingError` with a `code` when the image or the options are unusable.
#[wasm_bindgen(unchecked_return_type = "EncodedImage[]")]
pub fn process(
    #[wasm_bindgen(unchecked_param_type = "Input")] input: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ProcessOptions")] options: Option<Object>,
) -> Result<Array, JsValue> {
    let run = || -> Result<Array, Error> {
        let options = options_from(options, Outputs::Multiple)?;
        let bytes = input_bytes(&input)?;
        let out = Array::new();
        for image in options.process(&bytes)? {
            let object: JsValue = Object::new().into();
            set(&object, "data", Uint8Array::from(image.data.as_slice()));
            set(&object, "width", image.width);
            set(&object, "height", image.height);
            set(&object, "format", image.format.name());
            set(&object, "mimeType", image.format.mime_type());
            set(&object, "warnings", warnings_array(&image.warnings));
            out.push(&object);
        }
        Ok(out)
    };
    run().map_err(js_error)
}

/// Runs the pipeline for one square image up to, not including, encoding, and returns its
/// final sRGB pixels as RGBA (`{ data: Uint8ClampedArray, width, height, colorSpace }`), ready
/// for `new ImageData(...)` and `putImageData`. With the default JPEG format, alpha is flattened
/// onto the background: these are exactly the pixels the JPEG encoder receives.
///
/// Throws a `ThumbingError` with a `code` when the image or the options are unusable.
#[wasm_bindgen(unchecked_return_type = "Pixels")]
pub fn pixels(
    #[wasm_bindgen(unchecked_param_type = "Input")] input: JsValue,
    #[wasm_bindgen(unchecked_param_type = "AvatarOptions")] options: Option<Object>,
) -> Result<JsValue, JsValue> {
    let run = || -> Result<JsValue, Error> {
        let options = options_from(options, Outputs::Single)?;
        let bytes = input_bytes(&input)?;
        let (rendered, warnings) = options.render_with_warnings(&bytes)?;
        Ok(rendered.first().map(|b| pixels_object(b, &warnings)).unwrap_or(JsValue::UNDEFINED))
    };
    run().map_err(js_error)
}

/// Like `pixels`, for every requested size from a single decode: an array of RGBA pixel
/// objects in the order asked for.
///
/// Throws a `ThumbingError` with a `code` when the image or the options are unusable.
#[wasm_bindgen(unchecked_return_type = "Pixels[]")]
pub fn render(
    #[wasm_bindgen(unchecked_param_type = "Input")] input: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ProcessOptions")] options: Option<Object>,
) -> Result<Array, JsValue> {
    let run = || -> Result<Array, Error> {
        let options = options_from(options, Outputs::Multiple)?;
        let bytes = input_bytes(&input)?;
        let (rendered, warnings) = options.render_with_warnings(&bytes)?;
        Ok(rendered.iter().map(|b| pixels_object(b, &warnings)).collect())
    };
    run().map_err(js_error)
}

/// Reads an image's headers without decoding pixels: format, stored size, EXIF orientation
/// (1..8), alpha, colour model, ICC presence, bit depth, animation, progressive/interlaced. No
/// limits apply, so a decompression bomb reports its declared size here; the other functions
/// reject it.
///
/// Throws a `ThumbingError` (`unsupported_format` or `corrupt`) when the headers are unusable.
#[wasm_bindgen(unchecked_return_type = "ImageInfo")]
pub fn probe(#[wasm_bindgen(unchecked_param_type = "Input")] input: JsValue) -> Result<JsValue, JsValue> {
    let run = || -> Result<JsValue, Error> {
        let info = thumbing::probe(&input_bytes(&input)?)?;
        let (upright_width, upright_height) = info.upright_size();
        let object: JsValue = Object::new().into();
        set(&object, "format", info.format.name());
        set(&object, "width", info.width);
        set(&object, "height", info.height);
        set(&object, "orientation", info.orientation.exif_value());
        set(&object, "uprightWidth", upright_width);
        set(&object, "uprightHeight", upright_height);
        set(&object, "hasAlpha", info.has_alpha);
        set(&object, "colorModel", info.color_model.name());
        set(&object, "hasIcc", info.has_icc);
        set(&object, "bitDepth", info.bit_depth);
        set(&object, "animated", info.animated);
        set(&object, "progressive", info.progressive);
        Ok(object)
    };
    run().map_err(js_error)
}

/// The message of the last Rust panic, kept by the hook installed at start-up.
///
/// On `wasm32-unknown-unknown` a panic cannot unwind: it traps, and the JavaScript call
/// throws a `WebAssembly.RuntimeError`. The package's JavaScript wrapper then reads this
/// message (to say what went wrong), and re-instantiates the module so that later calls start
/// from a clean state.
static LAST_PANIC: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

#[wasm_bindgen(start)]
fn start() {
    std::panic::set_hook(Box::new(|info| {
        if let Ok(mut last) = LAST_PANIC.lock() {
            *last = Some(info.to_string());
        }
    }));
}

/// Returns and clears the message of the last Rust panic (internal: used by the package's
/// JavaScript wrapper after a `WebAssembly.RuntimeError`).
#[wasm_bindgen(js_name = "__takePanicMessage", skip_typescript)]
pub fn take_panic_message() -> Option<String> {
    LAST_PANIC.lock().ok().and_then(|mut last| last.take())
}

/// The version of thumbing compiled into this module, e.g. `"0.1.0"`.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

#[cfg(test)]
mod tests {
    use crate::options::WORD_KEYS;

    /// The package's TypeScript types, as `TYPES` adds them to the `.d.ts`.
    const TYPES: &str = include_str!("types.d.ts");

    /// The string literals of a TypeScript union, e.g. `"a" | "b" | { x: number }` → a, b.
    fn literals(union: &str) -> Vec<&str> {
        union.split('|').filter_map(|t| t.trim().strip_prefix('"')?.strip_suffix('"')).collect()
    }

    #[test]
    fn the_typescript_types_list_the_core_words() {
        for (&(key, option), (_, words)) in WORD_KEYS.iter().zip(thumbing::option_words()) {
            let declaration = if key == "crop" { "export type Crop =".to_owned() } else { format!("  {key}?:") };
            let line =
                TYPES.lines().find(|l| l.starts_with(&declaration)).unwrap_or_else(|| panic!("no {declaration}"));
            let union = line[declaration.len()..].trim_end_matches(';');
            assert_eq!(literals(union), words, "the TypeScript type of options.{key} ({option})");
        }
    }
}
