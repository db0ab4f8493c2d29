//! The one error type of thumbing, with a category for every way an image can fail.

use std::fmt;

/// A convenient alias for `Result<T, thumbing::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while probing or processing an image.
///
/// Each variant is a *category* that callers (and bindings) can branch on; the message says
/// what was wrong and why. No input makes thumbing panic: every failure ends up here.
///
/// ```
/// let err = thumbing::avatar(b"not an image at all", 128).unwrap_err();
/// assert_eq!(err.kind(), thumbing::ErrorKind::UnsupportedFormat);
/// assert!(err.to_string().contains("not a supported image"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not in a format thumbing decodes (JPEG, PNG, WebP, GIF), or use a
    /// feature of that format which is not supported (e.g. lossless arithmetic-coded JPEG).
    #[error("unsupported format: {0}")]
    UnsupportedFormat(String),
    /// The bytes claim a supported format but are damaged: truncated, bad checksums, invalid
    /// headers or entropy-coded data.
    #[error("corrupt image: {0}")]
    Corrupt(String),
    /// The input exceeds a configured limit (input bytes or pixels). Raised from the header,
    /// before any pixel memory is allocated.
    #[error("image too large: {0}")]
    TooLarge(String),
    /// The options asked for something impossible (zero size, quality out of range, ...).
    #[error("invalid options: {0}")]
    InvalidOptions(String),
    /// The encoder failed to produce the output image.
    #[error("encode failed: {0}")]
    Encode(String),
}

/// The category of an [`Error`], without its message: handy for matching, metrics and for
/// mapping to other languages' error types.
///
/// ```
/// use thumbing::ErrorKind;
/// assert_eq!(ErrorKind::TooLarge.code(), "too_large");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// See [`Error::UnsupportedFormat`].
    UnsupportedFormat,
    /// See [`Error::Corrupt`].
    Corrupt,
    /// See [`Error::TooLarge`].
    TooLarge,
    /// See [`Error::InvalidOptions`].
    InvalidOptions,
    /// See [`Error::Encode`].
    Encode,
}

impl ErrorKind {
    /// A stable snake_case code for this category (used by the CLI's JSON output and the
    /// bindings): `unsupported_format`, `corrupt`, `too_large`, `invalid_options`, `encode`.
    ///
    /// ```
    /// assert_eq!(thumbing::ErrorKind::Corrupt.code(), "corrupt");
    /// ```
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::UnsupportedFormat => "unsupported_format",
            ErrorKind::Corrupt => "corrupt",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::InvalidOptions => "invalid_options",
            ErrorKind::Encode => "encode",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Error {
    /// The category of this error.
    ///
    /// ```
    /// let err = thumbing::Error::Corrupt("bad CRC".into());
    /// assert_eq!(err.kind(), thumbing::ErrorKind::Corrupt);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::UnsupportedFormat(_) => ErrorKind::UnsupportedFormat,
            Error::Corrupt(_) => ErrorKind::Corrupt,
            Error::TooLarge(_) => ErrorKind::TooLarge,
            Error::InvalidOptions(_) => ErrorKind::InvalidOptions,
            Error::Encode(_) => ErrorKind::Encode,
        }
    }

    pub(crate) fn corrupt(format: &str, what: impl fmt::Display) -> Error {
        Error::Corrupt(format!("{format}: {what}"))
    }

    pub(crate) fn invalid(what: impl Into<String>) -> Error {
        Error::InvalidOptions(what.into())
    }
}

/// Runs `f`, turning a panic inside it into an [`Error::Corrupt`]. thumbing's own code does
/// not panic on any input, but the decoders of other crates it calls might on malformed
/// data, and a hostile file must never take the process down. The one guard every public
/// entry point goes through.
pub(crate) fn guard<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err(Error::Corrupt("the decoder failed on malformed data".into())))
}
