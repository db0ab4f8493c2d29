//! The classes returned to Python: [`Avatar`] and [`ImageInfo`]. Both are immutable.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};
use thumbing::OutputFormat;

/// One encoded output image, as returned by ``process()``.
///
/// ``bytes(avatar)`` is the same as ``avatar.data``.
#[pyclass(frozen, module = "thumbing")]
pub(crate) struct Avatar {
    /// The encoded file (JPEG, PNG, WebP or AVIF).
    #[pyo3(get)]
    data: Py<PyBytes>,
    /// Width in pixels.
    #[pyo3(get)]
    width: u32,
    /// Height in pixels.
    #[pyo3(get)]
    height: u32,
    format: OutputFormat,
    /// The damage in the input that the avatar was made despite: ``ImageWarning`` instances
    /// (empty for an intact file).
    #[pyo3(get)]
    warnings: Py<PyTuple>,
}

impl Avatar {
    /// Wraps a core avatar, copying its data into a Python `bytes`; `warnings` are its
    /// warnings as `ImageWarning` instances (the same for every avatar of one decode).
    pub fn new(py: Python<'_>, avatar: thumbing::Avatar, warnings: &[Py<PyAny>]) -> PyResult<Avatar> {
        Ok(Avatar {
            data: PyBytes::new(py, &avatar.data).unbind(),
            width: avatar.width,
            height: avatar.height,
            format: avatar.format,
            warnings: PyTuple::new(py, warnings.iter().map(|w| w.clone_ref(py)))?.unbind(),
        })
    }
}

#[pymethods]
impl Avatar {
    /// The format of ``data``: ``"jpeg"``, ``"png"``, ``"webp"``, ``"webp-lossless"`` or ``"avif"``.
    #[getter]
    fn format(&self) -> &'static str {
        self.format.name()
    }

    /// The MIME type of ``data``, for a ``Content-Type`` header, e.g. ``"image/jpeg"``.
    #[getter]
    fn mime_type(&self) -> &'static str {
        self.format.mime_type()
    }

    /// The usual file extension of ``data``, without a dot: ``"jpg"``, ``"png"``, ``"webp"`` or ``"avif"``.
    #[getter]
    fn extension(&self) -> &'static str {
        self.format.extension()
    }

    fn __bytes__(&self, py: Python<'_>) -> Py<PyBytes> {
        self.data.clone_ref(py)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let warnings = self.warnings.bind(py).len();
        format!(
            "Avatar(format='{}', width={}, height={}, data=<{} bytes>{})",
            self.format.name(),
            self.width,
            self.height,
            self.data.as_bytes(py).len(),
            if warnings > 0 { format!(", warnings={warnings}") } else { String::new() }
        )
    }
}

/// What ``probe()`` reads from an image's headers, without decoding its pixels.
///
/// ``width`` and ``height`` are as stored; ``upright_size`` applies the EXIF orientation.
#[pyclass(frozen, eq, hash, module = "thumbing")]
#[derive(PartialEq, Eq, Hash)]
pub(crate) struct ImageInfo {
    /// The format, sniffed from the bytes: ``"jpeg"``, ``"png"``, ``"webp"`` or ``"gif"``.
    #[pyo3(get)]
    format: &'static str,
    /// Stored width in pixels.
    #[pyo3(get)]
    width: u32,
    /// Stored height in pixels.
    #[pyo3(get)]
    height: u32,
    /// The EXIF orientation, 1–8 (1 when absent or invalid).
    #[pyo3(get)]
    orientation: u16,
    /// Whether the image has an alpha channel or transparency.
    #[pyo3(get)]
    has_alpha: bool,
    /// Colour model of the stored pixels: ``"gray"``, ``"rgb"``, ``"palette"`` or ``"cmyk"``.
    #[pyo3(get)]
    color_model: &'static str,
    /// Whether an ICC colour profile is embedded.
    #[pyo3(get)]
    has_icc: bool,
    /// Bits per sample as stored (8 for most images; 1–16 for PNG; 12 for some JPEGs).
    #[pyo3(get)]
    bit_depth: u8,
    /// Whether the file is animated (APNG, animated WebP, multi-frame GIF); avatars use the first frame.
    #[pyo3(get)]
    animated: bool,
    /// Whether the image is progressive (JPEG) or interlaced (PNG, GIF).
    #[pyo3(get)]
    progressive: bool,
    /// Width and height after the EXIF orientation is applied.
    #[pyo3(get)]
    upright_size: (u32, u32),
}

impl From<thumbing::ImageInfo> for ImageInfo {
    fn from(info: thumbing::ImageInfo) -> Self {
        ImageInfo {
            format: info.format.name(),
            width: info.width,
            height: info.height,
            orientation: info.orientation.exif_value(),
            has_alpha: info.has_alpha,
            color_model: info.color_model.name(),
            has_icc: info.has_icc,
            bit_depth: info.bit_depth,
            animated: info.animated,
            progressive: info.progressive,
            upright_size: info.upright_size(),
        }
    }
}

#[pymethods]
impl ImageInfo {
    fn __repr__(&self) -> String {
        let b = |v: bool| if v { "True" } else { "False" };
        format!(
            "ImageInfo(format='{}', width={}, height={}, orientation={}, has_alpha={}, color_model='{}', \
             has_icc={}, bit_depth={}, animated={}, progressive={})",
            self.format,
            self.width,
            self.height,
            self.orientation,
            b(self.has_alpha),
            self.color_model,
            b(self.has_icc),
            self.bit_depth,
            b(self.animated),
            b(self.progressive)
        )
    }
}
