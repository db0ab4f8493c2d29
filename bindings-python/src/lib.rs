//! Python bindings for [`thumbing`]: the `thumbing._thumbing` extension module, re-exported
//! by the pure-Python package `thumbing` (see `python/thumbing/`).
//!
//! The Python API is three functions and two classes:
//!
//! ```python
//! import thumbing
//!
//! jpeg: bytes = thumbing.avatar(open("photo.jpg", "rb"), 256)
//! for a in thumbing.process("photo.jpg", sizes=(512, 128), format="webp"):
//!     print(a.width, a.height, a.format, len(a.data))
//! info = thumbing.probe(b"...")
//! ```
//!
//! Start reading at `avatar` and `process` below; `options.rs` turns their keyword
//! arguments into [`thumbing::Options`], `input.rs` reads `data`, `errors.rs` maps errors to
//! exception classes, and `python/thumbing/__init__.pyi` is the API as Python sees it.
//!
//! Every call that touches an image runs with the GIL released (reading a path included), so a
//! thread pool uses every core. Errors map onto `thumbing.ThumbingError` and its subclasses;
//! invalid options raise `ValueError` or `TypeError`.

mod errors;
mod input;
mod options;
mod types;

use pyo3::prelude::*;
use pyo3::types::PyBytes;
use thumbing::Limits;

use crate::errors::to_py_err;
use crate::input::Input;
use crate::options::{
    Background, Common, CropArg, FailOnArg, FilterArg, FitArg, Flag, Format, MaxInputBytes, MaxPixels, PngArg, Quality,
    Size, Sizes,
};
use crate::types::{Avatar, ImageInfo};

/// Validates the options, takes the data, and runs the pipeline without the GIL.
fn run(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    sizes: Vec<(u32, u32)>,
    common: Common,
) -> PyResult<Vec<thumbing::Avatar>> {
    let options = common.options(sizes).map_err(|e| to_py_err(py, e))?;
    let limits = options.input_limits();
    let input = Input::extract(data, limits.max_input_bytes)?;
    py.detach(|| input.with_bytes(&limits, |bytes| options.process(bytes))).map_err(|f| f.into_py_err(py))
}

/// Makes one ``size`` × ``size`` avatar and returns the encoded file.
///
/// ``data`` is the image: ``bytes``, any bytes-like object (``bytearray``, ``memoryview``,
/// ...), a path (``str`` or ``os.PathLike``) or a binary file object. The format is always
/// sniffed from the bytes. The image is turned upright (EXIF orientation), converted to sRGB,
/// cropped to fill the square (``fit="cover"``), resized with Lanczos3 and encoded; no
/// metadata is written.
///
/// Raises ``UnsupportedFormatError``, ``CorruptImageError``, ``ImageTooLargeError`` or
/// ``EncodeError`` (all ``ThumbingError``) for the image, ``ValueError``/``TypeError`` for the
/// options, and ``OSError`` when a path cannot be read. The GIL is released while the image is
/// read and processed.
#[pyfunction]
#[pyo3(
    signature = (
        data, size = Size::default(), *, format = Format::default(), quality = Quality::default(),
        crop = CropArg::default(), fit = FitArg::default(), filter = FilterArg::default(),
        background = Background::default(), progressive = Flag::default(), png_compression = PngArg::default(),
        max_pixels = MaxPixels::default(), max_input_bytes = MaxInputBytes::default(), fail_on = FailOnArg::default()
    ),
    text_signature = "(data, size=512, *, format='jpeg', quality=80, crop='centre', fit='cover', filter='lanczos3', \
                      background=(255, 255, 255), progressive=False, png_compression='balanced', \
                      max_pixels=100000000, max_input_bytes=52428800, fail_on='truncated')"
)]
#[allow(clippy::too_many_arguments)]
fn avatar<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    size: Size,
    format: Format,
    quality: Quality,
    crop: CropArg,
    fit: FitArg,
    filter: FilterArg,
    background: Background,
    progressive: Flag,
    png_compression: PngArg,
    max_pixels: MaxPixels,
    max_input_bytes: MaxInputBytes,
    fail_on: FailOnArg,
) -> PyResult<Bound<'py, PyBytes>> {
    let common = Common {
        format,
        quality,
        crop,
        fit,
        filter,
        background,
        progressive,
        png_compression,
        max_pixels,
        max_input_bytes,
        fail_on,
    };
    let mut avatars = run(py, data, vec![(size.0, size.0)], common)?;
    let avatar = avatars.pop();
    if let Some(a) = &avatar {
        let warnings = a.warnings.iter().map(|w| errors::to_py_warning(py, w)).collect::<PyResult<Vec<_>>>()?;
        errors::warn_all(py, &warnings)?;
    }
    Ok(PyBytes::new(py, &avatar.map(|a| a.data).unwrap_or_default()))
}

/// Makes several avatars from one decode and returns an ``Avatar`` for each, in order.
///
/// ``sizes`` holds square sides (``512``) and ``(width, height)`` boxes (``(640, 360)``), at
/// most 32. ``fit`` decides how the image fills a box: ``"cover"`` crops (placed by ``crop``:
/// ``"centre"``, ``"smart"`` or an ``(x, y)`` focal point in 0..1), ``"contain"`` letterboxes
/// with ``background``, ``"inside"`` only scales down to fit. Other arguments are as for
/// ``avatar()``.
#[pyfunction]
#[pyo3(
    signature = (
        data, *, sizes = Sizes::default(), format = Format::default(), quality = Quality::default(),
        crop = CropArg::default(), fit = FitArg::default(), filter = FilterArg::default(),
        background = Background::default(), progressive = Flag::default(), png_compression = PngArg::default(),
        max_pixels = MaxPixels::default(), max_input_bytes = MaxInputBytes::default(), fail_on = FailOnArg::default()
    ),
    text_signature = "(data, *, sizes=[512], format='jpeg', quality=80, crop='centre', fit='cover', \
                      filter='lanczos3', background=(255, 255, 255), progressive=False, png_compression='balanced', \
                      max_pixels=100000000, max_input_bytes=52428800, fail_on='truncated')"
)]
#[allow(clippy::too_many_arguments)]
fn process(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    sizes: Sizes,
    format: Format,
    quality: Quality,
    crop: CropArg,
    fit: FitArg,
    filter: FilterArg,
    background: Background,
    progressive: Flag,
    png_compression: PngArg,
    max_pixels: MaxPixels,
    max_input_bytes: MaxInputBytes,
    fail_on: FailOnArg,
) -> PyResult<Vec<Avatar>> {
    let common = Common {
        format,
        quality,
        crop,
        fit,
        filter,
        background,
        progressive,
        png_compression,
        max_pixels,
        max_input_bytes,
        fail_on,
    };
    let avatars = run(py, data, sizes.0, common)?;
    let first = avatars.first().map(|a| a.warnings.as_slice()).unwrap_or_default();
    let warnings = first.iter().map(|w| errors::to_py_warning(py, w)).collect::<PyResult<Vec<_>>>()?;
    errors::warn_all(py, &warnings)?;
    avatars.into_iter().map(|a| Avatar::new(py, a, &warnings)).collect()
}

/// Reads an image's headers without decoding its pixels and returns an ``ImageInfo``.
///
/// ``data`` is accepted in the same forms as for ``avatar()``. No limits apply, so a
/// decompression bomb reports its declared size here; ``avatar()`` and ``process()`` reject it.
#[pyfunction]
#[pyo3(signature = (data))]
fn probe(py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<ImageInfo> {
    let unlimited = Limits { max_input_bytes: usize::MAX, max_pixels: u64::MAX };
    let input = Input::extract(data, unlimited.max_input_bytes)?;
    py.detach(|| input.with_bytes(&unlimited, thumbing::probe)).map(ImageInfo::from).map_err(|f| f.into_py_err(py))
}

/// Fast, safe avatars and thumbnails from untrusted photos (the compiled part of ``thumbing``).
#[pymodule]
fn _thumbing(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("DEFAULT_MAX_PIXELS", Limits::DEFAULT_MAX_PIXELS)?;
    m.add("DEFAULT_MAX_INPUT_BYTES", Limits::DEFAULT_MAX_INPUT_BYTES)?;
    m.add("MAX_OUTPUT_SIDE", thumbing::MAX_OUTPUT_SIDE)?;
    m.add("_DEFAULTS", options::defaults(m.py())?)?;
    m.add("_OPTION_WORDS", options::option_words(m.py())?)?;
    m.add_function(wrap_pyfunction!(avatar, m)?)?;
    m.add_function(wrap_pyfunction!(process, m)?)?;
    m.add_function(wrap_pyfunction!(probe, m)?)?;
    m.add_function(wrap_pyfunction!(errors::_raise_for_code, m)?)?;
    m.add_class::<Avatar>()?;
    m.add_class::<ImageInfo>()?;
    errors::register(m)
}
