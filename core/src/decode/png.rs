//! PNG (and the first frame of APNG) through the `png` crate, expanded to 8 bits per channel.

use std::io::Cursor;

use super::{ColorModel, Decoded, FailOn, ImageFormat, ImageInfo};
use crate::bitmap::{Bitmap, PixelLayout};
use crate::color::MAX_ICC_BYTES;
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::orient::Orientation;

fn corrupt(what: impl std::fmt::Display) -> Error {
    Error::corrupt("png", what)
}

/// The chunks between IHDR and the first IDAT, as (type, data); the data is `None` when the
/// file ends before the chunk does. Reads only what the lengths allow.
fn metadata_chunks(bytes: &[u8]) -> impl Iterator<Item = (&[u8], Option<&[u8]>)> {
    let mut pos: usize = 33;
    std::iter::from_fn(move || {
        let head = bytes.get(pos..pos.checked_add(8)?)?;
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let kind = &head[4..8];
        if kind == b"IDAT" || kind == b"IEND" {
            return None;
        }
        let data = bytes.get(pos + 8..(pos + 8).saturating_add(len));
        pos = pos.saturating_add(12).saturating_add(len);
        Some((kind, data))
    })
}

/// The embedded ICC profile: the first iCCP chunk, inflated here rather than by the `png`
/// crate so that a zlib bomb in it stops at [`MAX_ICC_BYTES`]. Like any unusable profile, an
/// oversized or malformed one is ignored (`None`): it must not make the photo unusable.
fn icc_profile(bytes: &[u8]) -> Option<Vec<u8>> {
    let data = metadata_chunks(bytes).find(|(kind, _)| *kind == b"iCCP")?.1?;
    // A profile name of 1-79 bytes, its NUL, the compression method (0 = zlib), the stream.
    let name_len = data.iter().take(80).position(|&b| b == 0).filter(|&n| n > 0)?;
    let (&method, stream) = data.get(name_len + 1..)?.split_first()?;
    if method != 0 {
        return None;
    }
    fdeflate::decompress_to_vec_bounded(stream, MAX_ICC_BYTES).ok()
}

/// Reads IHDR and walks the chunks before the first IDAT, checking only lengths.
pub(super) fn probe(bytes: &[u8]) -> Result<ImageInfo> {
    let ihdr = bytes.get(8..33).ok_or_else(|| corrupt("file ends inside the IHDR chunk"))?;
    if &ihdr[4..8] != b"IHDR" || ihdr[0..4] != [0, 0, 0, 13] {
        return Err(corrupt("first chunk is not a 13-byte IHDR"));
    }
    let width = u32::from_be_bytes([ihdr[8], ihdr[9], ihdr[10], ihdr[11]]);
    let height = u32::from_be_bytes([ihdr[12], ihdr[13], ihdr[14], ihdr[15]]);
    let (bit_depth, color_type, interlace) = (ihdr[16], ihdr[17], ihdr[20]);
    let valid_depth = match color_type {
        0 => matches!(bit_depth, 1 | 2 | 4 | 8 | 16),
        3 => matches!(bit_depth, 1 | 2 | 4 | 8),
        2 | 4 | 6 => matches!(bit_depth, 8 | 16),
        _ => return Err(corrupt(format!("invalid colour type {color_type}"))),
    };
    if !valid_depth {
        return Err(corrupt(format!("invalid bit depth {bit_depth} for colour type {color_type}")));
    }
    let (mut has_trns, mut has_icc, mut animated, mut exif) = (false, false, false, None);
    for (kind, data) in metadata_chunks(bytes) {
        match kind {
            b"tRNS" => has_trns = true,
            b"iCCP" => has_icc = true,
            b"acTL" => animated = true,
            b"eXIf" if exif.is_none() => exif = data,
            _ => {}
        }
    }
    Ok(ImageInfo {
        format: ImageFormat::Png,
        width,
        height,
        orientation: exif.map(Orientation::from_exif).unwrap_or_default(),
        has_alpha: matches!(color_type, 4 | 6) || has_trns,
        color_model: match color_type {
            0 | 4 => ColorModel::Gray,
            3 => ColorModel::Palette,
            _ => ColorModel::Rgb,
        },
        has_icc,
        bit_depth,
        animated,
        progressive: interlace == 1,
    })
}

pub(super) fn decode(bytes: &[u8], info: &ImageInfo, _limits: &Limits, fail_on: FailOn) -> Result<Decoded> {
    let (mut reader, layout) = open_reader(bytes, info)?;
    let size = reader.output_buffer_size().ok_or_else(|| Error::TooLarge("PNG output buffer overflows".into()))?;
    let mut data = vec![0u8; size];
    let result = reader.next_frame(&mut data);
    let (w, h) = (reader.info().width, reader.info().height);
    match result {
        Ok(_) => {}
        // Best effort: the rows decoded before the damage are kept, the rest stay zero.
        Err(e) if fail_on == FailOn::Never && !matches!(e, png::DecodingError::LimitsExceeded) => {}
        Err(e) => return Err(map_err(e)),
    }
    let icc = icc_profile(bytes);
    let bitmap =
        Bitmap::new(w, h, layout, data).ok_or_else(|| corrupt("decoder returned a buffer of the wrong size"))?;
    Ok(Decoded::whole(bitmap, icc, info.orientation))
}

/// The `png` crate's reader, past the headers, set to give 8-bit gray, gray + alpha, RGB or
/// RGBA rows, and the layout of those rows.
fn open_reader<'a>(bytes: &'a [u8], info: &ImageInfo) -> Result<(png::Reader<Cursor<&'a [u8]>>, PixelLayout)> {
    // What the png crate may allocate besides our output buffer: copies of metadata chunks
    // (bounded by the input), its row buffers (at most 8 bytes a pixel of one row, twice), and
    // slack. Nothing in it grows with what a chunk *declares*; text chunks are skipped and the
    // ICC profile is inflated under its own cap, by `icc_profile`.
    let budget =
        bytes.len().saturating_mul(2).saturating_add((info.width as usize).saturating_mul(16)).saturating_add(1 << 20);
    let mut decoder = png::Decoder::new_with_limits(Cursor::new(bytes), png::Limits { bytes: budget });
    decoder.set_ignore_text_chunk(true);
    decoder.set_ignore_iccp_chunk(true);
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let reader = decoder.read_info().map_err(map_err)?;
    let (color, _) = reader.output_color_type();
    let layout = match color {
        png::ColorType::Grayscale => PixelLayout::Gray,
        png::ColorType::GrayscaleAlpha => PixelLayout::GrayAlpha,
        png::ColorType::Rgb => PixelLayout::Rgb,
        png::ColorType::Rgba => PixelLayout::Rgba,
        png::ColorType::Indexed => return Err(corrupt("palette was not expanded")),
    };
    Ok((reader, layout))
}

/// Whether [`Rows`] can read this PNG: one that is neither interlaced (Adam7 sends every
/// row seven times, in passes over the whole image) nor animated.
pub(super) fn streams(info: &ImageInfo) -> bool {
    !info.progressive && !info.animated
}

/// A PNG read one row at a time, top to bottom, in the layout and with the damage handling
/// of [`decode`]: the same rows, without holding the image.
pub(crate) struct Rows<'a> {
    reader: png::Reader<Cursor<&'a [u8]>>,
    layout: PixelLayout,
    width: u32,
    height: u32,
    next: u32,
    row: Vec<u8>,
    fail_on: FailOn,
    /// Set once the data is damaged and [`FailOn::Never`] lets the rest be zero rows.
    damaged: bool,
    pub icc: Option<Vec<u8>>,
    pub orientation: Orientation,
}

/// Opens `bytes` for reading row by row; `None` when the file does not stream
/// ([`streams`]).
pub(super) fn rows<'a>(bytes: &'a [u8], info: &ImageInfo, fail_on: FailOn) -> Result<Option<Rows<'a>>> {
    if !streams(info) {
        return Ok(None);
    }
    let (reader, layout) = open_reader(bytes, info)?;
    let (width, height) = (reader.info().width, reader.info().height);
    let row_len = reader.output_line_size(width).ok_or_else(|| Error::TooLarge("PNG row overflows".into()))?;
    if row_len != width as usize * layout.channels() {
        return Err(corrupt("decoder returned rows of the wrong size"));
    }
    Ok(Some(Rows {
        reader,
        layout,
        width,
        height,
        next: 0,
        row: vec![0; row_len],
        fail_on,
        damaged: false,
        icc: icc_profile(bytes),
        orientation: info.orientation,
    }))
}

impl Rows<'_> {
    /// The layout of every row.
    pub fn layout(&self) -> PixelLayout {
        self.layout
    }

    /// Width and height in pixels.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// The next row, or `None` after the last one (when the rest of the image data has been
    /// read and checked too).
    pub fn next_row(&mut self) -> Result<Option<&[u8]>> {
        if self.next > self.height {
            return Ok(None);
        }
        if !self.damaged {
            // After the last row, one more read consumes and checks the end of the data.
            match self.reader.read_row(&mut self.row) {
                Ok(Some(_)) if self.next < self.height => {}
                Ok(_) if self.next == self.height => {}
                Ok(_) => return Err(corrupt("decoder returned too few rows")),
                Err(e) if self.fail_on == FailOn::Never && !matches!(e, png::DecodingError::LimitsExceeded) => {
                    self.damaged = true;
                }
                Err(e) => return Err(map_err(e)),
            }
        }
        if self.damaged {
            self.row.fill(0);
        }
        self.next += 1;
        Ok((self.next <= self.height).then_some(&self.row[..]))
    }
}

fn map_err(e: png::DecodingError) -> Error {
    match e {
        png::DecodingError::LimitsExceeded => Error::TooLarge("PNG needs more memory than the limits allow".into()),
        png::DecodingError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => corrupt("file is truncated"),
        other => corrupt(other),
    }
}
