//! The Python exception hierarchy, and the mapping from [`thumbing::Error`] onto it.
//!
//! ```text
//! Exception
//!  └── ThumbingError                 code = "error"
//!       ├── UnsupportedFormatError   code = "unsupported_format"
//!       ├── CorruptImageError        code = "corrupt"
//!       ├── ImageTooLargeError       code = "too_large"
//!       └── EncodeError              code = "encode"
//! ValueError                         invalid options
//! UserWarning
//!  └── ImageWarning                  code = "corrupt_data", "checksum", ... (per warning)
//! ```

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyUserWarning, PyValueError};
use pyo3::prelude::*;
use thumbing::ErrorKind;

create_exception!(
    thumbing,
    ThumbingError,
    PyException,
    "Base class of every error thumbing raises for an image it cannot turn into an avatar.\n\n\
     ``code`` is a stable snake_case category, the same as the Rust crate's ``ErrorKind::code()``."
);
create_exception!(
    thumbing,
    UnsupportedFormatError,
    ThumbingError,
    "The data is not a JPEG, PNG, WebP or GIF (e.g. TIFF, HEIC, plain text), or uses a feature of the \
     format that is not supported."
);
create_exception!(
    thumbing,
    CorruptImageError,
    ThumbingError,
    "The data claims a supported format but is damaged: truncated, bad checksums, invalid headers \
     or entropy-coded data."
);
create_exception!(
    thumbing,
    ImageTooLargeError,
    ThumbingError,
    "The input exceeds ``max_input_bytes`` or ``max_pixels``. Raised from the header, before any \
     pixel memory is allocated, so decompression bombs are cheap to reject."
);
create_exception!(thumbing, EncodeError, ThumbingError, "The encoder failed to produce the output image.");
create_exception!(
    thumbing,
    ImageWarning,
    PyUserWarning,
    "Damage in an image that thumbing recovered from to make the avatar: issued with \
     ``warnings.warn`` and listed in ``Avatar.warnings``.\n\n\
     ``code`` is the kind of damage (``corrupt_data``, ``extraneous_bytes``, ``checksum``, \
     ``metadata``, ``trailing_data``, ``truncated``), ``offset`` the byte of the input where it \
     was found, or ``None``."
);

/// A core warning as an `ImageWarning` instance, with its `code` and `offset`.
pub(crate) fn to_py_warning(py: Python<'_>, warning: &thumbing::Warning) -> PyResult<Py<PyAny>> {
    let instance = py.get_type::<ImageWarning>().call1((warning.to_string(),))?;
    instance.setattr("code", warning.kind.code())?;
    instance.setattr("offset", warning.offset)?;
    Ok(instance.unbind())
}

/// Issues each warning with `warnings.warn`, attributed to the caller's line (a warnings
/// filter set to "error" makes this raise, as for any Python warning).
pub(crate) fn warn_all(py: Python<'_>, warnings: &[Py<PyAny>]) -> PyResult<()> {
    if warnings.is_empty() {
        return Ok(());
    }
    let module = py.import("warnings")?;
    for w in warnings {
        module.call_method1("warn", (w.bind(py),))?;
    }
    Ok(())
}

/// Converts a core error into the matching Python exception, keeping the core's message.
///
/// Invalid options become `ValueError`, like any other bad argument in Python.
pub(crate) fn to_py_err(py: Python<'_>, err: thumbing::Error) -> PyErr {
    let message = err.to_string();
    match err.kind() {
        ErrorKind::UnsupportedFormat => UnsupportedFormatError::new_err(message),
        ErrorKind::Corrupt => CorruptImageError::new_err(message),
        ErrorKind::TooLarge => ImageTooLargeError::new_err(message),
        ErrorKind::Encode => EncodeError::new_err(message),
        ErrorKind::InvalidOptions => PyValueError::new_err(message),
        // A category added to the core later: still a ThumbingError, with its code on the instance.
        other => {
            let err = ThumbingError::new_err(message);
            // Setting an attribute on a fresh exception instance cannot fail in practice; if it
            // did, the exception is still raised, only without its code.
            let _ = err.value(py).setattr("code", other.code());
            err
        }
    }
}

/// Adds the exception classes to the module and gives each its `code` class attribute.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let classes = [
        (py.get_type::<ThumbingError>(), "error"),
        (py.get_type::<UnsupportedFormatError>(), ErrorKind::UnsupportedFormat.code()),
        (py.get_type::<CorruptImageError>(), ErrorKind::Corrupt.code()),
        (py.get_type::<ImageTooLargeError>(), ErrorKind::TooLarge.code()),
        (py.get_type::<EncodeError>(), ErrorKind::Encode.code()),
        (py.get_type::<ImageWarning>(), "warning"),
    ];
    for (class, code) in classes {
        class.setattr("code", code)?;
        m.add(class.name()?, class)?;
    }
    Ok(())
}

/// Raises the exception that a core error of category `code` maps to, through the same
/// conversion as real failures. Not public API: it lets the test suite check the mapping of
/// categories that no input can trigger (an encoder failure on a valid image).
#[pyfunction]
#[pyo3(signature = (code, message))]
pub(crate) fn _raise_for_code(py: Python<'_>, code: &str, message: String) -> PyResult<()> {
    let err = match code {
        "unsupported_format" => thumbing::Error::UnsupportedFormat(message),
        "corrupt" => thumbing::Error::Corrupt(message),
        "too_large" => thumbing::Error::TooLarge(message),
        "invalid_options" => thumbing::Error::InvalidOptions(message),
        "encode" => thumbing::Error::Encode(message),
        other => return Err(PyValueError::new_err(format!("unknown error code {other:?}"))),
    };
    Err(to_py_err(py, err))
}
