//! The in-memory pixel buffer passed between pipeline stages.

/// How the bytes of a [`Bitmap`] are laid out per pixel. All channels are 8-bit.
///
/// ```
/// assert_eq!(thumbing::PixelLayout::Rgba.channels(), 4);
/// assert!(thumbing::PixelLayout::GrayAlpha.has_alpha());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PixelLayout {
    /// One luminance byte per pixel.
    Gray,
    /// Luminance then straight (non-premultiplied) alpha.
    GrayAlpha,
    /// Red, green, blue.
    Rgb,
    /// Red, green, blue, straight alpha.
    Rgba,
    /// Cyan, magenta, yellow, black (ink amounts, 255 = full ink). Only ever produced by the
    /// decoder for CMYK JPEGs; the colour stage turns it into [`PixelLayout::Rgb`].
    Cmyk,
}

impl PixelLayout {
    /// Bytes per pixel.
    ///
    /// ```
    /// assert_eq!(thumbing::PixelLayout::Rgb.channels(), 3);
    /// ```
    pub const fn channels(self) -> usize {
        match self {
            PixelLayout::Gray => 1,
            PixelLayout::GrayAlpha => 2,
            PixelLayout::Rgb => 3,
            PixelLayout::Rgba | PixelLayout::Cmyk => 4,
        }
    }

    /// Whether the layout carries an alpha channel.
    ///
    /// ```
    /// assert!(!thumbing::PixelLayout::Cmyk.has_alpha());
    /// ```
    pub const fn has_alpha(self) -> bool {
        matches!(self, PixelLayout::GrayAlpha | PixelLayout::Rgba)
    }

    /// Whether the layout is grayscale (with or without alpha).
    ///
    /// ```
    /// assert!(thumbing::PixelLayout::Gray.is_gray());
    /// ```
    pub const fn is_gray(self) -> bool {
        matches!(self, PixelLayout::Gray | PixelLayout::GrayAlpha)
    }
}

/// A tightly packed 8-bit image: `data.len() == width * height * layout.channels()`.
///
/// ```
/// let b = thumbing::Bitmap::new(2, 1, thumbing::PixelLayout::Rgb, vec![0; 6]).unwrap();
/// assert_eq!(b.pixel(1, 0), &[0, 0, 0]);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Bitmap {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Pixel layout of `data`.
    pub layout: PixelLayout,
    /// Row-major pixel bytes, no padding between rows.
    pub data: Vec<u8>,
}

impl std::fmt::Debug for Bitmap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bitmap")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("layout", &self.layout)
            .field("bytes", &self.data.len())
            .finish()
    }
}

impl Bitmap {
    /// Wraps `data`, or returns `None` when its length does not match the dimensions.
    ///
    /// ```
    /// assert!(thumbing::Bitmap::new(2, 2, thumbing::PixelLayout::Gray, vec![0; 3]).is_none());
    /// ```
    pub fn new(width: u32, height: u32, layout: PixelLayout, data: Vec<u8>) -> Option<Bitmap> {
        let expected = (width as usize).checked_mul(height as usize)?.checked_mul(layout.channels())?;
        (data.len() == expected).then_some(Bitmap { width, height, layout, data })
    }

    /// The bytes of the pixel at (`x`, `y`). Panics when out of bounds, like slice indexing.
    ///
    /// ```
    /// let b = thumbing::Bitmap::new(1, 1, thumbing::PixelLayout::Gray, vec![7]).unwrap();
    /// assert_eq!(b.pixel(0, 0), &[7]);
    /// ```
    pub fn pixel(&self, x: u32, y: u32) -> &[u8] {
        let c = self.layout.channels();
        let i = (y as usize * self.width as usize + x as usize) * c;
        &self.data[i..i + c]
    }

    /// Bytes per row.
    ///
    /// ```
    /// let b = thumbing::Bitmap::new(3, 1, thumbing::PixelLayout::Rgba, vec![0; 12]).unwrap();
    /// assert_eq!(b.stride(), 12);
    /// ```
    pub fn stride(&self) -> usize {
        self.width as usize * self.layout.channels()
    }

    /// Converts to 8-bit RGBA (opaque when the source has no alpha). CMYK is converted
    /// naively; use the pipeline for colour-managed conversion.
    ///
    /// ```
    /// let b = thumbing::Bitmap::new(1, 1, thumbing::PixelLayout::Gray, vec![9]).unwrap();
    /// assert_eq!(b.to_rgba().data, vec![9, 9, 9, 255]);
    /// ```
    pub fn to_rgba(&self) -> Bitmap {
        let mut out = Vec::with_capacity(self.width as usize * self.height as usize * 4);
        let c = self.layout.channels();
        for p in self.data.chunks_exact(c) {
            let px = match self.layout {
                PixelLayout::Gray => [p[0], p[0], p[0], 255],
                PixelLayout::GrayAlpha => [p[0], p[0], p[0], p[1]],
                PixelLayout::Rgb => [p[0], p[1], p[2], 255],
                PixelLayout::Rgba => [p[0], p[1], p[2], p[3]],
                PixelLayout::Cmyk => {
                    let k = 255 - u32::from(p[3]);
                    let f = |v: u8| ((255 - u32::from(v)) * k / 255) as u8;
                    [f(p[0]), f(p[1]), f(p[2]), 255]
                }
            };
            out.extend_from_slice(&px);
        }
        Bitmap { width: self.width, height: self.height, layout: PixelLayout::Rgba, data: out }
    }
}
