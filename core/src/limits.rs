//! Resource limits, checked from the header before any pixel memory is allocated.

use crate::error::{Error, Result};

/// Limits on what thumbing accepts, so that a hostile upload (a decompression bomb, a huge
/// file) is rejected cheaply instead of exhausting memory.
///
/// Defaults: 50 MiB of input and 100 megapixels (the product of the declared width and
/// height), in the spirit of sharp's `limitInputPixels`.
///
/// ```
/// let limits = thumbing::Limits::default().with_max_pixels(24_000_000);
/// assert_eq!(limits.max_pixels, 24_000_000);
/// assert_eq!(limits.max_input_bytes, 50 * 1024 * 1024);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted input, in bytes.
    pub max_input_bytes: usize,
    /// Largest accepted image, in pixels (width × height as declared by the header).
    pub max_pixels: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_input_bytes: Limits::DEFAULT_MAX_INPUT_BYTES, max_pixels: Limits::DEFAULT_MAX_PIXELS }
    }
}

impl Limits {
    /// The default input size limit: 50 MiB.
    pub const DEFAULT_MAX_INPUT_BYTES: usize = 50 * 1024 * 1024;
    /// The default pixel limit: 100 megapixels.
    pub const DEFAULT_MAX_PIXELS: u64 = 100_000_000;

    /// Returns these limits with `max_pixels` replaced.
    ///
    /// ```
    /// let l = thumbing::Limits::default().with_max_pixels(1_000);
    /// assert_eq!(l.max_pixels, 1_000);
    /// ```
    pub fn with_max_pixels(mut self, max_pixels: u64) -> Self {
        self.max_pixels = max_pixels;
        self
    }

    /// Returns these limits with `max_input_bytes` replaced.
    ///
    /// ```
    /// let l = thumbing::Limits::default().with_max_input_bytes(1 << 20);
    /// assert_eq!(l.max_input_bytes, 1 << 20);
    /// ```
    pub fn with_max_input_bytes(mut self, max_input_bytes: usize) -> Self {
        self.max_input_bytes = max_input_bytes;
        self
    }

    /// Fails with [`Error::TooLarge`] when `len` input bytes exceed the limit.
    ///
    /// ```
    /// let l = thumbing::Limits::default().with_max_input_bytes(10);
    /// assert!(l.check_input_len(10).is_ok());
    /// assert!(l.check_input_len(11).is_err());
    /// ```
    pub fn check_input_len(&self, len: usize) -> Result<()> {
        if len > self.max_input_bytes {
            return Err(Error::TooLarge(format!(
                "input is {len} bytes, more than the limit of {} bytes",
                self.max_input_bytes
            )));
        }
        Ok(())
    }

    /// Fails with [`Error::TooLarge`] when a `width` × `height` image exceeds the pixel limit,
    /// and with [`Error::Corrupt`] when either dimension is zero.
    ///
    /// ```
    /// let l = thumbing::Limits::default();
    /// assert!(l.check_dimensions(4000, 3000).is_ok());
    /// assert_eq!(l.check_dimensions(20_000, 14_000).unwrap_err().kind(), thumbing::ErrorKind::TooLarge);
    /// ```
    pub fn check_dimensions(&self, width: u32, height: u32) -> Result<()> {
        if width == 0 || height == 0 {
            return Err(Error::Corrupt(format!("image has zero size ({width}x{height})")));
        }
        let pixels = u64::from(width) * u64::from(height);
        if pixels > self.max_pixels {
            return Err(Error::TooLarge(format!(
                "{width}x{height} is {pixels} pixels, more than the limit of {} pixels",
                self.max_pixels
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_and_overflow_dimensions() {
        let l = Limits::default();
        assert!(matches!(l.check_dimensions(0, 10), Err(Error::Corrupt(_))));
        assert!(matches!(l.check_dimensions(u32::MAX, u32::MAX), Err(Error::TooLarge(_))));
        assert!(l.check_dimensions(10_000, 10_000).is_ok());
        assert!(matches!(l.check_dimensions(10_000, 10_001), Err(Error::TooLarge(_))));
    }
}
