//! Keyword arguments → [`thumbing::Options`].
//!
//! Each argument has its own small type whose extraction checks the Python type (a wrong type
//! is a `TypeError`) and converts the value (an impossible value is a `ValueError`). Messages
//! name the argument, so they read well on every Python version (3.9 and 3.10 cannot attach
//! the argument name to an exception as a note). Range checks that the core already performs
//! (quality 1..=100, sizes 1..=16384, at most 32 sizes, focal points in 0..=1, non-zero limits)
//! are left to [`thumbing::Options::validate`], so the messages are the Rust crate's own.

use pyo3::exceptions::{PyOverflowError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDict, PyInt, PyList, PyString, PyTuple};
use thumbing::{Crop, FailOn, Filter, Fit, Limits, MAX_OUTPUT_SIDE, OptionWord, Options, OutputFormat, PngCompression};

/// A `ValueError` worded like the core's invalid-options errors.
fn invalid(message: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(format!("invalid options: {message}"))
}

/// The Python type name of `obj`, for error messages.
fn type_name(obj: &Borrowed<'_, '_, PyAny>) -> String {
    obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "object".into())
}

/// `str(obj)`, for echoing a bad value back in an error message.
fn shown(obj: &Borrowed<'_, '_, PyAny>) -> String {
    obj.str().map(|s| s.to_string()).unwrap_or_else(|_| "?".into())
}

/// An `int` (or any object with `__index__`, but not `bool`) as `i64`; `Ok(None)` when it
/// does not fit. Anything else is a `TypeError` naming `what`.
fn int_value(obj: &Borrowed<'_, '_, PyAny>, what: &str) -> PyResult<Option<i64>> {
    if obj.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!("{what} must be an int, not bool")));
    }
    match obj.extract::<i64>() {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_instance_of::<PyOverflowError>(obj.py()) => Ok(None),
        Err(_) => Err(PyTypeError::new_err(format!("{what} must be an int, not {}", type_name(obj)))),
    }
}

/// A `str` argument; anything else is a `TypeError` listing the accepted values.
fn str_value(obj: &Borrowed<'_, '_, PyAny>, what: &str, choices: &str) -> PyResult<String> {
    match obj.cast::<PyString>() {
        Ok(s) => Ok(s.to_cow()?.into_owned()),
        Err(_) => Err(PyTypeError::new_err(format!("{what} must be a str ({choices}), not {}", type_name(obj)))),
    }
}

/// An option's canonical words, quoted as Python strings: `'cover', 'contain' or 'inside'`.
fn quoted_words<T: OptionWord>() -> String {
    let quoted: Vec<String> = T::names().iter().map(|w| format!("'{w}'")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => quoted.concat(),
    }
}

/// Iterates a sequence argument, refusing `str` and bytes (which are iterable, but never what
/// the caller meant).
fn items<'py>(obj: &Borrowed<'_, 'py, PyAny>, what: &str, expected: &str) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let not_a_sequence = || PyTypeError::new_err(format!("{what} must be {expected}, not {}", type_name(obj)));
    if obj.is_instance_of::<PyString>() || obj.is_instance_of::<PyBytes>() || obj.is_instance_of::<PyByteArray>() {
        return Err(not_a_sequence());
    }
    let iter = obj.try_iter().map_err(|_| not_a_sequence())?;
    iter.collect()
}

/// Converts a core parse error (always an invalid-options error) to `ValueError`.
fn core_value_error(err: thumbing::Error) -> PyErr {
    PyValueError::new_err(err.to_string())
}

/// One side length, checked to fit the core's `u32`; the core checks the range.
fn side(obj: &Borrowed<'_, '_, PyAny>, what: &str) -> PyResult<u32> {
    int_value(obj, what)?.and_then(|v| u32::try_from(v).ok()).ok_or_else(|| {
        let v = shown(obj);
        invalid(format!("output size {v}x{v} is out of range: each side must be 1..={MAX_OUTPUT_SIDE}"))
    })
}

/// `size`: the side of a square avatar.
pub(crate) struct Size(pub u32);

impl Default for Size {
    fn default() -> Self {
        Size(512)
    }
}

impl<'a, 'py> FromPyObject<'a, 'py> for Size {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        side(&obj, "size").map(Size)
    }
}

/// `sizes`: square sides (`int`) and `(width, height)` boxes, in output order.
pub(crate) struct Sizes(pub Vec<(u32, u32)>);

impl Default for Sizes {
    fn default() -> Self {
        Sizes(vec![(512, 512)])
    }
}

impl<'a, 'py> FromPyObject<'a, 'py> for Sizes {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if obj.is_instance_of::<PyInt>() && !obj.is_instance_of::<PyBool>() {
            return Err(PyTypeError::new_err(format!(
                "sizes must be a sequence, e.g. sizes=({},) or sizes=(512, 128); avatar(data, size) makes one size",
                shown(&obj)
            )));
        }
        let expected = "a sequence of ints and (width, height) pairs";
        let mut out = Vec::new();
        for item in items(&obj, "sizes", expected)? {
            let item = item.as_borrowed();
            if item.is_instance_of::<PyInt>() && !item.is_instance_of::<PyBool>() {
                let s = side(&item, "each of sizes")?;
                out.push((s, s));
                continue;
            }
            let pair = items(&item, "each of sizes", "an int or a (width, height) pair")?;
            let [w, h] = pair.as_slice() else {
                return Err(invalid(format!("a box in sizes must be (width, height), got {}", shown(&item))));
            };
            let (w, h) = (w.as_borrowed(), h.as_borrowed());
            let dim = |v: &Borrowed<'_, 'py, PyAny>| -> PyResult<u32> {
                int_value(v, "a box's width and height")?.and_then(|v| u32::try_from(v).ok()).ok_or_else(|| {
                    invalid(format!(
                        "output size {}x{} is out of range: each side must be 1..={MAX_OUTPUT_SIDE}",
                        shown(&w),
                        shown(&h)
                    ))
                })
            };
            out.push((dim(&w)?, dim(&h)?));
        }
        Ok(Sizes(out))
    }
}

/// An option that takes a word (`format`, `fit`, `filter`, `png_compression`, `fail_on`),
/// parsed by thumbing's vocabulary ([`OptionWord`]): the same words as every other interface,
/// and the core's message for an unknown one.
#[derive(Default)]
pub(crate) struct Word<T>(pub T);

impl<'a, 'py, T: OptionWord> FromPyObject<'a, 'py> for Word<T> {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        let s = str_value(&obj, T::OPTION, &quoted_words::<T>())?;
        s.parse().map(Word).map_err(core_value_error)
    }
}

/// `format`: the output format.
pub(crate) type Format = Word<OutputFormat>;
/// `fit`: how the image fits the box.
pub(crate) type FitArg = Word<Fit>;
/// `filter`: the resampling filter.
pub(crate) type FilterArg = Word<Filter>;
/// `png_compression`: the PNG compression effort.
pub(crate) type PngArg = Word<PngCompression>;
/// `fail_on`: how damaged input is treated.
pub(crate) type FailOnArg = Word<FailOn>;

/// `quality`: JPEG quality; the core checks 1..=100.
pub(crate) struct Quality(pub u8);

impl Default for Quality {
    fn default() -> Self {
        Quality(80)
    }
}

impl<'a, 'py> FromPyObject<'a, 'py> for Quality {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        int_value(&obj, "quality")?
            .and_then(|v| u8::try_from(v).ok())
            .map(Quality)
            .ok_or_else(|| invalid(format!("quality {} is out of range 1..=100", shown(&obj))))
    }
}

/// `crop`: `"centre"`/`"center"`, `"smart"`, an `(x, y)` focal point, or `"x,y"`.
#[derive(Default)]
pub(crate) struct CropArg(pub Crop);

impl<'a, 'py> FromPyObject<'a, 'py> for CropArg {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(s) = obj.cast::<PyString>() {
            return s.to_cow()?.parse().map(CropArg).map_err(core_value_error);
        }
        let words: Vec<String> = Crop::names().iter().map(|w| format!("'{w}'")).collect();
        let expected = format!("{} or an (x, y) focal point", words.join(", "));
        let pair = items(&obj, "crop", &expected)?;
        let [x, y] = pair.as_slice() else {
            return Err(invalid(format!("a focal point must be (x, y), got {}", shown(&obj))));
        };
        let coord = |v: &Bound<'py, PyAny>| -> PyResult<f32> {
            if v.is_instance_of::<PyBool>() {
                return Err(PyTypeError::new_err("focal point coordinates must be numbers, not bool"));
            }
            v.extract::<f64>().map(|v| v as f32).map_err(|_| {
                PyTypeError::new_err(format!(
                    "focal point coordinates must be numbers, not {}",
                    type_name(&v.as_borrowed())
                ))
            })
        };
        Ok(CropArg(Crop::Focal { x: coord(x)?, y: coord(y)? }))
    }
}

/// `background`: an `(r, g, b)` colour, each channel 0..=255.
pub(crate) struct Background(pub [u8; 3]);

impl Default for Background {
    fn default() -> Self {
        Background([255, 255, 255])
    }
}

impl<'a, 'py> FromPyObject<'a, 'py> for Background {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        let channels = items(&obj, "background", "an (r, g, b) tuple")?;
        let bad =
            || invalid(format!("background must be three ints in 0..=255 (red, green, blue), got {}", shown(&obj)));
        let [r, g, b] = channels.as_slice() else {
            return Err(bad());
        };
        let channel = |c: &Bound<'py, PyAny>| -> PyResult<u8> {
            int_value(&c.as_borrowed(), "background channels")?.and_then(|v| u8::try_from(v).ok()).ok_or_else(bad)
        };
        Ok(Background([channel(r)?, channel(g)?, channel(b)?]))
    }
}

/// A limit: a positive int. Values beyond the Rust type's range mean "no practical limit".
fn limit<T: TryFrom<i64> + Copy>(obj: &Borrowed<'_, '_, PyAny>, what: &str, max: T) -> PyResult<T> {
    match int_value(obj, what)? {
        Some(v) if v < 0 => Err(invalid(format!("{what} must not be negative, got {v}"))),
        Some(v) => Ok(T::try_from(v).unwrap_or(max)),
        None if obj.lt(0).unwrap_or(false) => Err(invalid(format!("{what} must not be negative, got {}", shown(obj)))),
        None => Ok(max),
    }
}

/// `max_pixels`: the largest accepted width × height.
pub(crate) struct MaxPixels(pub u64);

impl Default for MaxPixels {
    fn default() -> Self {
        MaxPixels(Limits::DEFAULT_MAX_PIXELS)
    }
}

impl<'a, 'py> FromPyObject<'a, 'py> for MaxPixels {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        limit(&obj, "max_pixels", u64::MAX).map(MaxPixels)
    }
}

/// `max_input_bytes`: the largest accepted input.
pub(crate) struct MaxInputBytes(pub usize);

impl Default for MaxInputBytes {
    fn default() -> Self {
        MaxInputBytes(Limits::DEFAULT_MAX_INPUT_BYTES)
    }
}

impl<'a, 'py> FromPyObject<'a, 'py> for MaxInputBytes {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        limit(&obj, "max_input_bytes", usize::MAX).map(MaxInputBytes)
    }
}

/// `progressive`: strictly `True` or `False`.
#[derive(Default)]
pub(crate) struct Flag(pub bool);

impl<'a, 'py> FromPyObject<'a, 'py> for Flag {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        match obj.cast::<PyBool>() {
            Ok(b) => Ok(Flag(b.is_true())),
            Err(_) => Err(PyTypeError::new_err(format!("progressive must be True or False, not {}", type_name(&obj)))),
        }
    }
}

/// Every keyword argument's default as a Python value, from the [`Default`]s of the argument
/// types above: the one source of the defaults, which the `signature` of `avatar()` and
/// `process()` uses. Exported as `_thumbing._DEFAULTS`, so that the tests can hold the text
/// signatures and the stub (`__init__.pyi`) to it.
pub(crate) fn defaults(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("size", Size::default().0)?;
    let sizes = PyList::empty(py);
    for (w, h) in Sizes::default().0 {
        if w == h { sizes.append(w)? } else { sizes.append((w, h))? }
    }
    d.set_item("sizes", sizes)?;
    d.set_item("format", Format::default().0.to_string())?;
    d.set_item("quality", Quality::default().0)?;
    d.set_item("crop", CropArg::default().0.to_string())?;
    d.set_item("fit", FitArg::default().0.to_string())?;
    d.set_item("filter", FilterArg::default().0.to_string())?;
    d.set_item("background", PyTuple::new(py, Background::default().0)?)?;
    d.set_item("progressive", Flag::default().0)?;
    d.set_item("png_compression", PngArg::default().0.to_string())?;
    d.set_item("max_pixels", MaxPixels::default().0)?;
    d.set_item("max_input_bytes", MaxInputBytes::default().0)?;
    d.set_item("fail_on", FailOnArg::default().0.to_string())?;
    Ok(d)
}

/// The words of every option that takes one, from thumbing's vocabulary
/// ([`thumbing::option_words`]), as `{option: (word, ...)}`: exported as
/// `_thumbing._OPTION_WORDS` for the tests.
pub(crate) fn option_words(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let d = PyDict::new(py);
    for (option, words) in thumbing::option_words() {
        d.set_item(option, PyTuple::new(py, words)?)?;
    }
    Ok(d)
}

/// Every keyword argument shared by `avatar()` and `process()`.
pub(crate) struct Common {
    pub format: Format,
    pub quality: Quality,
    pub crop: CropArg,
    pub fit: FitArg,
    pub filter: FilterArg,
    pub background: Background,
    pub progressive: Flag,
    pub png_compression: PngArg,
    pub max_pixels: MaxPixels,
    pub max_input_bytes: MaxInputBytes,
    pub fail_on: FailOnArg,
}

impl Common {
    /// The core options for `sizes`, checked by the core before any image is touched.
    pub fn options(self, sizes: Vec<(u32, u32)>) -> thumbing::Result<Options> {
        let options = Options::new()
            .boxes(sizes)
            .format(self.format.0)
            .quality(self.quality.0)
            .crop(self.crop.0)
            .fit(self.fit.0)
            .filter(self.filter.0)
            .background(self.background.0)
            .progressive(self.progressive.0)
            .png_compression(self.png_compression.0)
            .limits(Limits { max_pixels: self.max_pixels.0, max_input_bytes: self.max_input_bytes.0 })
            .fail_on(self.fail_on.0);
        options.validate()?;
        Ok(options)
    }
}
