//! Reading the JavaScript options object into [`thumbing::Options`].
//!
//! The object is read strictly: unknown keys, wrong types, fractions where integers are
//! needed and out-of-range values are all `invalid_options` errors that name the option, so a
//! typo such as `quailty` is reported instead of silently ignored. `undefined` values count as
//! absent, so `{ quality: undefined }` means the default.
//!
//! The JavaScript side ([`Spec::read`]) only extracts values; turning them into
//! [`thumbing::Options`] ([`Spec::to_options`]) and parsing strings is plain Rust, tested natively.

use js_sys::{Array, Object, Reflect};
use thumbing::{Crop, Error, FailOn, Filter, Fit, OptionWord, Options, OutputFormat, PngCompression};
use wasm_bindgen::{JsCast, JsValue};

/// Which output sizes a function accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outputs {
    /// One square output: only `size` (for `avatar` and `pixels`).
    Single,
    /// One or more outputs: `size`, `sizes` or `boxes` (for `process` and `render`).
    Multiple,
}

/// The keys whose values are words, as (JavaScript key, the option's name in thumbing).
pub(crate) const WORD_KEYS: &[(&str, &str)] = &[
    ("format", "format"),
    ("fit", "fit"),
    ("crop", "crop"),
    ("filter", "filter"),
    ("pngCompression", "png_compression"),
    ("failOn", "fail_on"),
];

/// The options common to every function, then the size keys.
const COMMON_KEYS: &[&str] = &[
    "fit",
    "crop",
    "filter",
    "format",
    "quality",
    "progressive",
    "pngCompression",
    "background",
    "maxPixels",
    "maxInputBytes",
    "failOn",
];

/// The options as read from JavaScript, before defaults are applied.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Spec {
    pub sizes: Option<Vec<(u32, u32)>>,
    pub fit: Option<Fit>,
    pub crop: Option<Crop>,
    pub filter: Option<Filter>,
    pub format: Option<OutputFormat>,
    pub quality: Option<u8>,
    pub progressive: Option<bool>,
    pub png_compression: Option<PngCompression>,
    pub background: Option<[u8; 3]>,
    pub max_pixels: Option<u64>,
    pub max_input_bytes: Option<usize>,
    pub fail_on: Option<FailOn>,
}

impl Spec {
    /// Reads an options object (or `undefined`/`null` for all defaults).
    pub fn read(value: &JsValue, outputs: Outputs) -> Result<Spec, Error> {
        let mut spec = Spec::default();
        if value.is_undefined() || value.is_null() {
            return Ok(spec);
        }
        if !value.is_object() || Array::is_array(value) {
            return Err(invalid(format!("options must be an object, got {}", describe(value))));
        }
        let object: &Object = value.unchecked_ref();
        let size_keys: &[&str] = match outputs {
            Outputs::Single => &["size"],
            Outputs::Multiple => &["size", "sizes", "boxes"],
        };
        let mut size_key_seen: Option<String> = None;
        for key in Object::keys(object).iter() {
            let key = key.as_string().unwrap_or_default();
            let v = Reflect::get(object, &JsValue::from_str(&key)).unwrap_or(JsValue::UNDEFINED);
            if v.is_undefined() {
                continue;
            }
            if size_keys.contains(&key.as_str()) {
                if let Some(previous) = &size_key_seen {
                    return Err(invalid(format!("give only one of options.{previous} and options.{key}")));
                }
                size_key_seen = Some(key.clone());
            }
            match key.as_str() {
                "size" => {
                    let s = size(&v, "size")?;
                    spec.sizes = Some(vec![(s, s)]);
                }
                "sizes" if outputs == Outputs::Multiple => {
                    let list = list(&v, "sizes")?;
                    let mut sizes = Vec::with_capacity(list.len());
                    for (i, item) in list.iter().enumerate() {
                        let s = size(item, &format!("sizes[{i}]"))?;
                        sizes.push((s, s));
                    }
                    spec.sizes = Some(sizes);
                }
                "boxes" if outputs == Outputs::Multiple => {
                    let list = list(&v, "boxes")?;
                    let mut boxes = Vec::with_capacity(list.len());
                    for (i, item) in list.iter().enumerate() {
                        let name = format!("boxes[{i}]");
                        let pair = list_of_len(item, &name, 2, "a [width, height] pair")?;
                        boxes.push((size(&pair[0], &format!("{name}[0]"))?, size(&pair[1], &format!("{name}[1]"))?));
                    }
                    spec.sizes = Some(boxes);
                }
                "crop" if !v.is_string() => spec.crop = Some(focal_point(&v)?),
                word if WORD_KEYS.iter().any(|&(k, _)| k == word) => spec.set_word(word, &string(&v, word)?)?,
                "quality" => spec.quality = Some(integer(&v, "quality", 1, 100)? as u8),
                "progressive" => spec.progressive = Some(boolean(&v, "progressive")?),
                "background" => spec.background = Some(background(&v)?),
                "maxPixels" => spec.max_pixels = Some(integer(&v, "maxPixels", 1, MAX_SAFE_INTEGER)?),
                "maxInputBytes" => {
                    spec.max_input_bytes = Some(integer(&v, "maxInputBytes", 1, u32::MAX.into())? as usize)
                }
                "sizes" | "boxes" => {
                    return Err(invalid(format!(
                        "options.{key} makes several images: use process() or render(); this function takes options.size"
                    )));
                }
                other => {
                    let allowed: Vec<&str> = size_keys.iter().chain(COMMON_KEYS).copied().collect();
                    return Err(invalid(format!("unknown option {other:?} (expected one of: {})", allowed.join(", "))));
                }
            }
        }
        Ok(spec)
    }

    /// Sets the option `key` (one of [`WORD_KEYS`]) from its word, parsed by thumbing's
    /// vocabulary ([`OptionWord`]) so that the package accepts the words every interface does.
    pub fn set_word(&mut self, key: &str, text: &str) -> Result<(), Error> {
        let name = format!("options.{key}");
        match key {
            "format" => self.format = Some(OutputFormat::parse_named(text, &name)?),
            "fit" => self.fit = Some(Fit::parse_named(text, &name)?),
            "crop" => self.crop = Some(Crop::parse_named(text, &name)?),
            "filter" => self.filter = Some(Filter::parse_named(text, &name)?),
            "pngCompression" => self.png_compression = Some(PngCompression::parse_named(text, &name)?),
            "failOn" => self.fail_on = Some(FailOn::parse_named(text, &name)?),
            other => return Err(invalid(format!("options.{other} does not take a word"))),
        }
        Ok(())
    }

    /// The [`thumbing::Options`] these values give, with thumbing's defaults for the rest.
    pub fn to_options(&self) -> Options {
        let mut options = Options::new();
        if let Some(sizes) = &self.sizes {
            options = options.boxes(sizes.iter().copied());
        }
        if let Some(fit) = self.fit {
            options = options.fit(fit);
        }
        if let Some(crop) = self.crop {
            options = options.crop(crop);
        }
        if let Some(filter) = self.filter {
            options = options.filter(filter);
        }
        if let Some(format) = self.format {
            options = options.format(format);
        }
        if let Some(quality) = self.quality {
            options = options.quality(quality);
        }
        if let Some(progressive) = self.progressive {
            options = options.progressive(progressive);
        }
        if let Some(level) = self.png_compression {
            options = options.png_compression(level);
        }
        if let Some(background) = self.background {
            options = options.background(background);
        }
        if let Some(max_pixels) = self.max_pixels {
            options = options.max_pixels(max_pixels);
        }
        if let Some(max_input_bytes) = self.max_input_bytes {
            options = options.max_input_bytes(max_input_bytes);
        }
        if let Some(fail_on) = self.fail_on {
            options = options.fail_on(fail_on);
        }
        options
    }
}

/// The largest integer a JavaScript number holds exactly (`Number.MAX_SAFE_INTEGER`).
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

fn invalid(message: String) -> Error {
    Error::InvalidOptions(message)
}

/// A short description of a JavaScript value for error messages: its type, and the value
/// itself for primitives.
fn describe(v: &JsValue) -> String {
    if v.is_null() {
        "null".into()
    } else if Array::is_array(v) {
        "an array".into()
    } else if let Some(s) = v.as_string() {
        format!("the string {s:?}")
    } else if let Some(n) = v.as_f64() {
        format!("the number {}", js_sys::Number::from(n).to_string_with_radix(10).map(String::from).unwrap_or_default())
    } else if let Some(b) = v.as_bool() {
        format!("{b}")
    } else {
        format!("a value of type {}", v.js_typeof().as_string().unwrap_or_default())
    }
}

fn integer(v: &JsValue, name: &str, min: u64, max: u64) -> Result<u64, Error> {
    match v.as_f64() {
        Some(n) if n.fract() == 0.0 && n >= min as f64 && n <= max as f64 => Ok(n as u64),
        _ => Err(invalid(format!("options.{name} must be an integer from {min} to {max}, got {}", describe(v)))),
    }
}

/// An output side: an integer from 1 to [`thumbing::MAX_OUTPUT_SIDE`].
fn size(v: &JsValue, name: &str) -> Result<u32, Error> {
    Ok(integer(v, name, 1, thumbing::MAX_OUTPUT_SIDE.into())? as u32)
}

fn string(v: &JsValue, name: &str) -> Result<String, Error> {
    v.as_string().ok_or_else(|| invalid(format!("options.{name} must be a string, got {}", describe(v))))
}

fn boolean(v: &JsValue, name: &str) -> Result<bool, Error> {
    v.as_bool().ok_or_else(|| invalid(format!("options.{name} must be true or false, got {}", describe(v))))
}

fn list(v: &JsValue, name: &str) -> Result<Vec<JsValue>, Error> {
    if !Array::is_array(v) {
        return Err(invalid(format!("options.{name} must be an array, got {}", describe(v))));
    }
    Ok(v.unchecked_ref::<Array>().iter().collect())
}

fn list_of_len(v: &JsValue, name: &str, len: usize, what: &str) -> Result<Vec<JsValue>, Error> {
    let items = list(v, name).map_err(|_| invalid(format!("options.{name} must be {what}, got {}", describe(v))))?;
    if items.len() != len {
        return Err(invalid(format!("options.{name} must be {what}, got an array of {}", items.len())));
    }
    Ok(items)
}

/// A focal point given as `{ x, y }` (the string forms are words, see [`Spec::set_word`]).
fn focal_point(v: &JsValue) -> Result<Crop, Error> {
    if v.is_object() && !Array::is_array(v) {
        let coordinate = |axis: &str| -> Result<f32, Error> {
            let c = Reflect::get(v, &JsValue::from_str(axis)).unwrap_or(JsValue::UNDEFINED);
            match c.as_f64() {
                Some(n) if (0.0..=1.0).contains(&n) => Ok(n as f32),
                _ => Err(invalid(format!("options.crop.{axis} must be a number from 0 to 1, got {}", describe(&c)))),
            }
        };
        return Ok(Crop::Focal { x: coordinate("x")?, y: coordinate("y")? });
    }
    Err(invalid(format!(
        "options.crop must be \"centre\", \"smart\", \"X,Y\" or {{ x, y }} with fractions 0..1, got {}",
        describe(v)
    )))
}

fn background(v: &JsValue) -> Result<[u8; 3], Error> {
    if let Some(s) = v.as_string() {
        return parse_hex_colour(&s);
    }
    if Array::is_array(v) {
        let items = list_of_len(v, "background", 3, "an [r, g, b] array")?;
        let mut rgb = [0u8; 3];
        for (i, item) in items.iter().enumerate() {
            rgb[i] = integer(item, &format!("background[{i}]"), 0, 255)? as u8;
        }
        return Ok(rgb);
    }
    Err(invalid(format!("options.background must be \"#rrggbb\" or an [r, g, b] array, got {}", describe(v))))
}

/// Parses a CSS-style hex colour: `#rgb` or `#rrggbb` (the `#` is optional).
pub(crate) fn parse_hex_colour(s: &str) -> Result<[u8; 3], Error> {
    let hex = s.trim().strip_prefix('#').unwrap_or(s.trim());
    let digits: Option<Vec<u8>> = hex.chars().map(|c| c.to_digit(16).map(|d| d as u8)).collect();
    match digits.as_deref() {
        Some(&[r, g, b]) => Ok([r * 17, g * 17, b * 17]),
        Some(&[r1, r0, g1, g0, b1, b0]) => Ok([r1 * 16 + r0, g1 * 16 + g0, b1 * 16 + b0]),
        _ => Err(invalid(format!("options.background {s:?} is not a colour like \"#rrggbb\" or \"#rgb\""))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use thumbing::ErrorKind;

    #[test]
    fn hex_colours() {
        assert_eq!(parse_hex_colour("#ffffff").unwrap(), [255, 255, 255]);
        assert_eq!(parse_hex_colour("0a1B2c").unwrap(), [10, 27, 44]);
        assert_eq!(parse_hex_colour("#f80").unwrap(), [255, 136, 0]);
        for bad in ["", "#", "#ff", "#fffff", "#gggggg", "#ffffff0", "red"] {
            let err = parse_hex_colour(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidOptions, "{bad:?}");
            assert!(err.to_string().contains("background"), "{err}");
        }
    }

    #[test]
    fn word_options_accept_exactly_the_core_vocabulary() {
        let vocabulary = thumbing::option_words();
        let options: Vec<&str> = WORD_KEYS.iter().map(|&(_, option)| option).collect();
        let core_options: Vec<&str> = vocabulary.iter().map(|&(option, _)| option).collect();
        assert_eq!(options, core_options, "every option that takes a word has a key");
        // Every word of every option, in upper case too, and words other tools use.
        let mut candidates: Vec<String> =
            vocabulary.iter().flat_map(|(_, words)| words.iter().map(|w| w.to_string())).collect();
        candidates.extend(candidates.clone().iter().map(|w| w.to_uppercase()));
        candidates.extend(["none", "error", "default", "best", "fill", "lanczos4", "gif"].map(str::to_owned));
        for (&(key, _), (_, words)) in WORD_KEYS.iter().zip(&vocabulary) {
            for candidate in &candidates {
                let expected = words.iter().any(|w| w.eq_ignore_ascii_case(candidate));
                let result = Spec::default().set_word(key, candidate);
                assert_eq!(result.is_ok(), expected, "{key} {candidate:?}");
                if let Err(e) = result {
                    assert_eq!(e.kind(), ErrorKind::InvalidOptions);
                    assert!(e.to_string().contains(&format!("options.{key} ")), "{e}");
                }
            }
        }
        let mut spec = Spec::default();
        spec.set_word("crop", "0.25,0.75").unwrap();
        assert_eq!(spec.crop, Some(Crop::Focal { x: 0.25, y: 0.75 }));
    }

    #[test]
    fn empty_spec_gives_thumbing_defaults() {
        assert_eq!(Spec::default().to_options(), Options::new());
    }

    #[test]
    fn spec_maps_onto_options() {
        let spec = Spec {
            sizes: Some(vec![(256, 256), (640, 360)]),
            fit: Some(Fit::Contain),
            crop: Some(Crop::Smart),
            filter: Some(Filter::Mitchell),
            format: Some(OutputFormat::WebP),
            quality: Some(91),
            progressive: Some(true),
            png_compression: Some(PngCompression::Fast),
            background: Some([1, 2, 3]),
            max_pixels: Some(1_000),
            max_input_bytes: Some(2_000),
            fail_on: Some(FailOn::Never),
        };
        let expected = Options::new()
            .boxes([(256, 256), (640, 360)])
            .fit(Fit::Contain)
            .crop(Crop::Smart)
            .filter(Filter::Mitchell)
            .format(OutputFormat::WebP)
            .quality(91)
            .progressive(true)
            .png_compression(PngCompression::Fast)
            .background([1, 2, 3])
            .max_pixels(1_000)
            .max_input_bytes(2_000)
            .fail_on(FailOn::Never);
        assert_eq!(spec.to_options(), expected);
    }
}
