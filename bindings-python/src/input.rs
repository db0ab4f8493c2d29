//! The `data` argument: bytes, any buffer, a path, or a binary file object.
//!
//! What needs the interpreter (reading a Python file object, copying a mutable buffer)
//! happens in [`Input::extract`], with the GIL held. Reading a path happens in
//! [`Input::with_bytes`], which runs with the GIL released like the image work itself.

use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;

use pyo3::exceptions::{PyOSError, PyTypeError};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyBytes, PyMemoryView, PyString};
use thumbing::Limits;

/// How much a file object is asked for per `read()` call.
const READ_CHUNK: usize = 1 << 20;

/// Image data taken from a Python object.
pub(crate) enum Input {
    /// The bytes of a `bytes` object (borrowed: `bytes` is immutable), or an immutable copy
    /// of a buffer or of what a file object returned.
    Bytes(PyBackedBytes),
    /// Several chunks read from a file object, joined.
    Owned(Vec<u8>),
    /// A file to read.
    Path(PathBuf),
}

/// Why the input could not be read.
pub(crate) enum Failure {
    /// The file could not be opened or read.
    Io(io::Error, PathBuf),
    /// The core rejected the input (too large, corrupt, ...).
    Image(thumbing::Error),
}

impl From<thumbing::Error> for Failure {
    fn from(err: thumbing::Error) -> Self {
        Failure::Image(err)
    }
}

impl Failure {
    /// The Python exception for this failure: the core's exception classes, or `OSError` (whose
    /// constructor picks the subclass from the errno: `FileNotFoundError`, `IsADirectoryError`,
    /// `PermissionError`, ...) with `filename` set.
    pub fn into_py_err(self, py: Python<'_>) -> PyErr {
        match self {
            Failure::Image(err) => crate::errors::to_py_err(py, err),
            Failure::Io(err, path) => {
                let message = err.to_string();
                match err.raw_os_error() {
                    Some(errno) => {
                        let strerror = message.split(" (os error").next().unwrap_or(&message).to_owned();
                        PyOSError::new_err((errno, strerror, path.into_os_string()))
                    }
                    None => PyOSError::new_err(format!("{}: {message}", path.display())),
                }
            }
        }
    }
}

impl Input {
    /// Takes image data from `obj`:
    ///
    /// * `bytes` — used in place, without a copy;
    /// * `str` or `os.PathLike` — a file path, read later without the GIL;
    /// * any other object with the buffer protocol (`bytearray`, `memoryview`, `array`,
    ///   `mmap`, NumPy arrays, ...) — copied once, so that Python code changing the buffer
    ///   while the image is processed cannot affect (or crash) the work;
    /// * an object with a `read()` method returning bytes (a file opened in `"rb"` mode,
    ///   `io.BytesIO`, an upload) — read to the end, at most `max_bytes + 1` bytes, so that
    ///   an endless stream is cut off and reported as too large.
    pub fn extract(obj: &Bound<'_, PyAny>, max_bytes: usize) -> PyResult<Input> {
        if let Ok(bytes) = obj.cast::<PyBytes>() {
            return Ok(Input::Bytes(PyBackedBytes::from(bytes.clone())));
        }
        if obj.is_instance_of::<PyString>() || obj.hasattr(pyo3::intern!(obj.py(), "__fspath__"))? {
            return Ok(Input::Path(obj.extract::<PathBuf>()?));
        }
        if let Ok(view) = PyMemoryView::from(obj) {
            return Ok(Input::Bytes(buffer_copy(view.as_any())?));
        }
        if let Ok(read) = obj.getattr(pyo3::intern!(obj.py(), "read")) {
            return read_stream(&read, max_bytes);
        }
        let type_name = obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "object".into());
        Err(PyTypeError::new_err(format!(
            "data must be bytes, a bytes-like object, a path (str or os.PathLike) or a binary file object, \
             not {type_name}"
        )))
    }

    /// Runs `f` on the bytes, reading the file first for a path. Called without the GIL.
    ///
    /// A file larger than `limits.max_input_bytes` is rejected from its metadata before it is
    /// read, with the core's own "too large" error.
    pub fn with_bytes<T>(&self, limits: &Limits, f: impl FnOnce(&[u8]) -> thumbing::Result<T>) -> Result<T, Failure> {
        match self {
            Input::Bytes(bytes) => Ok(f(bytes)?),
            Input::Owned(bytes) => Ok(f(bytes)?),
            Input::Path(path) => {
                let io_err = |e| Failure::Io(e, path.clone());
                let file = File::open(path).map_err(io_err)?;
                if let Ok(meta) = file.metadata()
                    && meta.is_file()
                {
                    limits.check_input_len(usize::try_from(meta.len()).unwrap_or(usize::MAX))?;
                }
                // Never read more than one byte past the limit, whatever the metadata said
                // (special files, files growing while they are read).
                let cap = u64::try_from(limits.max_input_bytes).unwrap_or(u64::MAX).saturating_add(1);
                let mut bytes = Vec::new();
                file.take(cap).read_to_end(&mut bytes).map_err(io_err)?;
                Ok(f(&bytes)?)
            }
        }
    }
}

/// Copies a buffer-protocol object into an immutable `bytes` (C order for non-contiguous views).
fn buffer_copy(view: &Bound<'_, PyAny>) -> PyResult<PyBackedBytes> {
    let copy = view.call_method0(pyo3::intern!(view.py(), "tobytes"))?;
    Ok(PyBackedBytes::from(copy.cast_into::<PyBytes>()?))
}

/// Reads a binary file object to the end, in chunks, stopping one byte past `max_bytes`.
fn read_stream(read: &Bound<'_, PyAny>, max_bytes: usize) -> PyResult<Input> {
    let cap = max_bytes.saturating_add(1);
    let mut chunks: Vec<PyBackedBytes> = Vec::new();
    let mut total = 0usize;
    while total < cap {
        let chunk = read.call1(((cap - total).min(READ_CHUNK),))?;
        let chunk = if let Ok(bytes) = chunk.cast::<PyBytes>() {
            PyBackedBytes::from(bytes.clone())
        } else if chunk.is_instance_of::<PyString>() {
            return Err(PyTypeError::new_err(
                "data is a text file (read() returned str); open it in binary mode, e.g. open(path, 'rb')",
            ));
        } else if chunk.is_none() {
            return Err(PyTypeError::new_err(
                "data.read() returned None (a non-blocking stream with no data ready); pass a blocking binary file",
            ));
        } else if let Ok(view) = PyMemoryView::from(&chunk) {
            buffer_copy(view.as_any())?
        } else {
            let type_name = chunk.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "object".into());
            return Err(PyTypeError::new_err(format!("data.read() must return bytes, not {type_name}")));
        };
        if chunk.is_empty() {
            break;
        }
        total += chunk.len();
        chunks.push(chunk);
    }
    Ok(match chunks.len() {
        // One read delivered everything (the usual case): keep that `bytes` object, no copy.
        1 => Input::Bytes(chunks.remove(0)),
        _ => {
            let mut joined = Vec::with_capacity(total);
            for chunk in &chunks {
                joined.extend_from_slice(chunk);
            }
            Input::Owned(joined)
        }
    })
}
