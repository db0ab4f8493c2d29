//! EXIF orientation: reading the tag and turning the image upright.
//!
//! The pipeline does not rotate the full-size decoded image. It maps the crop window from
//! upright ("display") coordinates back to the stored image with [`Orientation::source_rect`],
//! resizes in stored orientation, and turns only the small output upright with
//! [`Orientation::apply`]. The result is the same image, without a full-size copy.

use crate::bitmap::Bitmap;

/// The eight EXIF orientations: how the stored pixels must be transformed to appear upright.
///
/// ```
/// use thumbing::Orientation;
/// assert_eq!(Orientation::from_exif_value(6), Orientation::Rotate90);
/// assert_eq!(Orientation::from_exif_value(0), Orientation::Normal); // invalid means "as stored"
/// assert_eq!(Orientation::Rotate90.upright_size(4000, 3000), (3000, 4000));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Orientation {
    /// 1: stored upright.
    #[default]
    Normal,
    /// 2: mirrored left-right.
    FlipHorizontal,
    /// 3: upside down.
    Rotate180,
    /// 4: mirrored top-bottom.
    FlipVertical,
    /// 5: mirrored about the top-left to bottom-right diagonal.
    Transpose,
    /// 6: needs a 90° clockwise turn.
    Rotate90,
    /// 7: mirrored about the top-right to bottom-left diagonal.
    Transverse,
    /// 8: needs a 90° counter-clockwise turn.
    Rotate270,
}

impl Orientation {
    /// Maps an EXIF `Orientation` value (1–8) to the enum; anything else means
    /// [`Orientation::Normal`], as the EXIF specification's readers treat it.
    ///
    /// ```
    /// assert_eq!(thumbing::Orientation::from_exif_value(3), thumbing::Orientation::Rotate180);
    /// assert_eq!(thumbing::Orientation::from_exif_value(42), thumbing::Orientation::Normal);
    /// ```
    pub fn from_exif_value(value: u16) -> Orientation {
        match value {
            2 => Orientation::FlipHorizontal,
            3 => Orientation::Rotate180,
            4 => Orientation::FlipVertical,
            5 => Orientation::Transpose,
            6 => Orientation::Rotate90,
            7 => Orientation::Transverse,
            8 => Orientation::Rotate270,
            _ => Orientation::Normal,
        }
    }

    /// The EXIF value (1–8) of this orientation.
    ///
    /// ```
    /// assert_eq!(thumbing::Orientation::Rotate270.exif_value(), 8);
    /// ```
    pub fn exif_value(self) -> u16 {
        self as u16 + 1
    }

    /// Reads the orientation from an EXIF block: a TIFF structure, optionally preceded by the
    /// `Exif\0\0` marker used in JPEG APP1 segments. Missing, malformed or out-of-range data
    /// gives [`Orientation::Normal`]; only IFD0 is read, so crafted offset loops cannot hang.
    ///
    /// ```
    /// // Big-endian TIFF header, one IFD0 entry: tag 0x0112 SHORT count 1 value 6.
    /// let exif = [b'M', b'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0];
    /// assert_eq!(thumbing::Orientation::from_exif(&exif), thumbing::Orientation::Rotate90);
    /// ```
    pub fn from_exif(exif: &[u8]) -> Orientation {
        read_orientation_tag(exif.strip_prefix(b"Exif\0\0").unwrap_or(exif))
            .map(Orientation::from_exif_value)
            .unwrap_or_default()
    }

    /// Whether the orientation swaps width and height.
    ///
    /// ```
    /// assert!(thumbing::Orientation::Transpose.swaps_axes());
    /// ```
    pub fn swaps_axes(self) -> bool {
        matches!(
            self,
            Orientation::Transpose | Orientation::Rotate90 | Orientation::Transverse | Orientation::Rotate270
        )
    }

    /// The upright size of a stored `width` × `height` image.
    ///
    /// ```
    /// assert_eq!(thumbing::Orientation::Normal.upright_size(4, 3), (4, 3));
    /// ```
    pub fn upright_size<T>(self, width: T, height: T) -> (T, T) {
        if self.swaps_axes() { (height, width) } else { (width, height) }
    }

    /// Maps a rectangle `(left, top, width, height)` given in upright coordinates of an image
    /// whose *stored* size is `stored_w` × `stored_h` to the same region in stored coordinates.
    ///
    /// ```
    /// use thumbing::Orientation;
    /// // The top-left quarter of an upright image stored rotated (needs 90° CW) ...
    /// let r = Orientation::Rotate90.source_rect((0.0, 0.0, 30.0, 20.0), 40.0, 60.0);
    /// // ... is the bottom-left corner of the stored image.
    /// assert_eq!(r, (0.0, 30.0, 20.0, 30.0));
    /// ```
    pub fn source_rect(self, rect: (f64, f64, f64, f64), stored_w: f64, stored_h: f64) -> (f64, f64, f64, f64) {
        let (x, y, w, h) = rect;
        let (sw, sh) = (stored_w, stored_h);
        match self {
            Orientation::Normal => (x, y, w, h),
            Orientation::FlipHorizontal => (sw - x - w, y, w, h),
            Orientation::Rotate180 => (sw - x - w, sh - y - h, w, h),
            Orientation::FlipVertical => (x, sh - y - h, w, h),
            Orientation::Transpose => (y, x, h, w),
            Orientation::Rotate90 => (y, sh - x - w, h, w),
            Orientation::Transverse => (sw - y - h, sh - x - w, h, w),
            Orientation::Rotate270 => (sw - y - h, x, h, w),
        }
    }

    /// Returns `image` turned upright.
    ///
    /// ```
    /// use thumbing::{Bitmap, Orientation, PixelLayout};
    /// // 2x1 stored image [a b]; needing a 90° clockwise turn it becomes a 1x2 column [a; b].
    /// let img = Bitmap::new(2, 1, PixelLayout::Gray, vec![1, 2]).unwrap();
    /// let up = Orientation::Rotate90.apply(img);
    /// assert_eq!((up.width, up.height, up.data), (1, 2, vec![1, 2]));
    /// ```
    pub fn apply(self, image: Bitmap) -> Bitmap {
        if self == Orientation::Normal {
            return image;
        }
        let (w, h) = (image.width as usize, image.height as usize);
        let (dw, dh) = self.upright_size(w, h);
        let c = image.layout.channels();
        let mut out = vec![0u8; image.data.len()];
        for dy in 0..dh {
            let row = &mut out[dy * dw * c..(dy + 1) * dw * c];
            for (dx, px) in row.chunks_exact_mut(c).enumerate() {
                let (sx, sy) = match self {
                    Orientation::Normal => (dx, dy),
                    Orientation::FlipHorizontal => (w - 1 - dx, dy),
                    Orientation::Rotate180 => (w - 1 - dx, h - 1 - dy),
                    Orientation::FlipVertical => (dx, h - 1 - dy),
                    Orientation::Transpose => (dy, dx),
                    Orientation::Rotate90 => (dy, h - 1 - dx),
                    Orientation::Transverse => (w - 1 - dy, h - 1 - dx),
                    Orientation::Rotate270 => (w - 1 - dy, dx),
                };
                let si = (sy * w + sx) * c;
                px.copy_from_slice(&image.data[si..si + c]);
            }
        }
        Bitmap { width: dw as u32, height: dh as u32, layout: image.layout, data: out }
    }
}

/// Finds tag 0x0112 (Orientation) in IFD0 of a TIFF structure. Every read is bounds-checked.
/// Whether an EXIF block (after `Exif\0\0`) is not a TIFF structure whose first IFD lies
/// within it: such a block is ignored, with a warning.
pub(crate) fn exif_is_malformed(tiff: &[u8]) -> bool {
    let tiff = tiff.strip_prefix(b"Exif\0\0").unwrap_or(tiff);
    let big_endian = match tiff.get(0..2) {
        Some(b"MM") => true,
        Some(b"II") => false,
        _ => return true,
    };
    let read = |at: usize, n: usize| -> Option<u32> {
        let b = tiff.get(at..at.checked_add(n)?)?;
        Some(b.iter().fold(0u32, |acc, &x| acc << 8 | u32::from(x))).map(|v| {
            if big_endian || n == 1 {
                v
            } else if n == 2 {
                u32::from((v as u16).swap_bytes())
            } else {
                v.swap_bytes()
            }
        })
    };
    let Some((magic, ifd)) = read(2, 2).zip(read(4, 4)) else {
        return true;
    };
    let Some(count) = read(ifd as usize, 2) else {
        return true;
    };
    magic != 42 || (ifd as usize).saturating_add(2 + 12 * count as usize) > tiff.len()
}

fn read_orientation_tag(tiff: &[u8]) -> Option<u16> {
    let big_endian = match tiff.get(0..2)? {
        b"MM" => true,
        b"II" => false,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b = tiff.get(at..at.checked_add(2)?)?;
        Some(if big_endian { u16::from_be_bytes([b[0], b[1]]) } else { u16::from_le_bytes([b[0], b[1]]) })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b = tiff.get(at..at.checked_add(4)?)?;
        let a = [b[0], b[1], b[2], b[3]];
        Some(if big_endian { u32::from_be_bytes(a) } else { u32::from_le_bytes(a) })
    };
    if u16_at(2)? != 42 {
        return None;
    }
    let ifd = u32_at(4)? as usize;
    let count = usize::from(u16_at(ifd)?);
    for i in 0..count {
        let entry = ifd.checked_add(2 + i * 12)?;
        if u16_at(entry)? == 0x0112 {
            let kind = u16_at(entry + 2)?;
            // SHORT (3) is what the standard says; some writers use LONG (4).
            return match kind {
                3 => u16_at(entry + 8),
                4 => u32_at(entry + 8).and_then(|v| u16::try_from(v).ok()),
                _ => None,
            };
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bitmap::PixelLayout;

    fn numbered(w: u32, h: u32) -> Bitmap {
        Bitmap::new(w, h, PixelLayout::Gray, (0..(w * h) as u8).collect()).unwrap()
    }

    const ALL: [Orientation; 8] = [
        Orientation::Normal,
        Orientation::FlipHorizontal,
        Orientation::Rotate180,
        Orientation::FlipVertical,
        Orientation::Transpose,
        Orientation::Rotate90,
        Orientation::Transverse,
        Orientation::Rotate270,
    ];

    #[test]
    fn exif_values_round_trip() {
        for o in ALL {
            assert_eq!(Orientation::from_exif_value(o.exif_value()), o);
        }
    }

    #[test]
    fn rotations_compose() {
        let img = numbered(3, 2);
        let r90 = Orientation::Rotate90.apply(img.clone());
        assert_eq!((r90.width, r90.height), (2, 3));
        // [0 1 2; 3 4 5] turned clockwise is [3 0; 4 1; 5 2].
        assert_eq!(r90.data, vec![3, 0, 4, 1, 5, 2]);
        let r270 = Orientation::Rotate270.apply(r90);
        assert_eq!(r270, img);
        let twice = Orientation::Rotate180.apply(Orientation::Rotate180.apply(img.clone()));
        assert_eq!(twice, img);
    }

    /// `source_rect` must agree with `apply`: the pixel a display rect covers is the pixel the
    /// mapped source rect covers.
    #[test]
    fn source_rect_matches_apply() {
        let img = numbered(5, 3);
        for o in ALL {
            let up = o.apply(img.clone());
            for y in 0..up.height {
                for x in 0..up.width {
                    let (sx, sy, sw, sh) = o.source_rect((x as f64, y as f64, 1.0, 1.0), 5.0, 3.0);
                    assert_eq!((sw, sh), (1.0, 1.0));
                    assert_eq!(up.pixel(x, y), img.pixel(sx as u32, sy as u32), "{o:?} at {x},{y}");
                }
            }
        }
    }

    #[test]
    fn malformed_exif_is_normal() {
        assert_eq!(Orientation::from_exif(b""), Orientation::Normal);
        assert_eq!(Orientation::from_exif(b"Exif\0\0II*\0\xff\xff\xff\xff"), Orientation::Normal);
        // IFD count claims more entries than there are bytes.
        assert_eq!(Orientation::from_exif(b"II*\0\x08\0\0\0\xff\xff"), Orientation::Normal);
        let le = [b'I', b'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 8, 0, 0, 0];
        assert_eq!(Orientation::from_exif(&le), Orientation::Rotate270);
    }
}
