//! PNG (and the first frame of APNG) through the `png` crate, expanded to 8 bits per channel.

use std::io::Cursor;

use super::{ColorModel, Decoded, FailOn, ImageFormat, ImageInfo};
use crate::bitmap::{Bitmap, PixelLayout};
use crate::color::MAX_ICC_BYTES;
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::orient::Orientation;
use crate::warning::{WarningKind, Warnings};

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
    let mut warnings = Warnings::default();
    let (bitmap, late) = decode_tolerant(bytes, &mut warnings)?;
    if let Some(e) = late {
        // The rows decoded before the damage are kept, the rest stay zero: a warning that
        // only `FailOn::Never` accepts.
        if fail_on != FailOn::Never || matches!(e, png::DecodingError::LimitsExceeded) {
            return Err(map_err(e));
        }
        warnings.push(WarningKind::Truncated, format!("png: {}: the rest of the image is filled", map_err(e)), None);
    }
    let icc = icc_profile(bytes);
    Ok(Decoded { warnings, ..Decoded::whole(bitmap, icc, info.orientation) })
}

/// Decodes with the damage that Pillow and libpng accept turned into warnings: a chunk
/// whose CRC does not match ([`WarningKind::Checksum`]: decoded again without checking), a
/// file cut off in a chunk after its image data ([`WarningKind::TrailingData`]: decoded
/// again from the data before that chunk). Returns the image and the error that stopped its
/// decoding part-way, if any.
fn decode_tolerant(bytes: &[u8], warnings: &mut Warnings) -> Result<(Bitmap, Option<png::DecodingError>)> {
    // Each retry drops the image before decoding again: damage never doubles the memory.
    let checksum = check_chunks(bytes, warnings);
    let first = decode_pixels(bytes, checksum);
    let missed = !checksum && matches!(&first, Err(e) | Ok((_, Some(e))) if is_checksum(e));
    let (bitmap, late) = if missed {
        // An Adler-32 mismatch of the image data.
        let e = first.err().map_or_else(|| "checksum mismatch".to_string(), |e| e.to_string());
        warnings.push(WarningKind::Checksum, format!("png: {e}; the data was used as it is"), None);
        decode_pixels(bytes, true).map_err(map_err)?
    } else {
        match first {
            Ok(decoded) => decoded,
            // Cut off before the decoder had even started on the image data.
            Err(e) => {
                let end = end_of_complete_chunks(bytes).ok_or_else(|| map_err(e))?;
                let e = png::DecodingError::IoError(std::io::ErrorKind::UnexpectedEof.into());
                return decode_repaired(bytes, end, warnings, &e).map(|b| (b, None)).ok_or_else(|| map_err(e));
            }
        }
    };
    let Some(e) = late else {
        return Ok((bitmap, None));
    };
    if let Some(end) = end_of_complete_chunks(bytes) {
        drop(bitmap);
        if let Some(bitmap) = decode_repaired(bytes, end, warnings, &e) {
            return Ok((bitmap, None));
        }
        let (bitmap, _) = decode_pixels(bytes, checksum).map_err(map_err)?;
        return Ok((bitmap, Some(e)));
    }
    Ok((bitmap, Some(e)))
}

/// A file cut off in a chunk that starts at `end`, after some image data: decoded as if it
/// ended before that chunk, or, when the chunk is an IDAT whose length runs past the end of
/// the file, with that IDAT holding the rest of the file. Returns the image when either
/// gives all of it, with a [`WarningKind::TrailingData`] warning.
fn decode_repaired(bytes: &[u8], end: usize, warnings: &mut Warnings, e: &png::DecodingError) -> Option<Bitmap> {
    const IEND: &[u8] = b"\0\0\0\0IEND\xAE\x42\x60\x82";
    let mut repaired = bytes[..end].to_vec();
    repaired.extend_from_slice(IEND);
    if let Ok((bitmap, None)) = decode_pixels(&repaired, true) {
        if !warnings.iter().any(|w| w.kind == WarningKind::TrailingData) {
            warnings.push(
                WarningKind::TrailingData,
                format!("png: the file is cut off after its image data ({e}); the rest was ignored"),
                Some(end),
            );
        }
        return Some(bitmap);
    }
    // An IDAT that claims more bytes than the file has: its data is the rest of the file
    // but for a CRC.
    let rest = bytes.len().checked_sub(end + 12)?;
    if bytes.get(end + 4..end + 8) != Some(b"IDAT") {
        return None;
    }
    repaired.truncate(end);
    repaired.extend_from_slice(&(rest as u32).to_be_bytes());
    repaired.extend_from_slice(&bytes[end + 4..]);
    repaired.extend_from_slice(IEND);
    let (bitmap, None) = decode_pixels(&repaired, true).ok()? else {
        return None;
    };
    warnings.push(
        WarningKind::TrailingData,
        "png: the last IDAT chunk claims more bytes than the file has; the data up to the end was used",
        Some(end),
    );
    Some(bitmap)
}

/// Walks every chunk up to IEND: a chunk whose CRC does not match is a
/// [`WarningKind::Checksum`] warning (returns whether there was one: the data is then
/// decoded without checking), a chunk cut off after the image data a
/// [`WarningKind::TrailingData`] one. Damage before the image data is left to the decoder.
fn check_chunks(bytes: &[u8], warnings: &mut Warnings) -> bool {
    let (mut pos, mut seen_idat, mut mismatch) = (8usize, false, false);
    while let Some(head) = bytes.get(pos..pos + 8) {
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let kind = String::from_utf8_lossy(&head[4..8]).into_owned();
        let Some(stored) = bytes.get(pos + 8 + len..pos + 12 + len) else {
            if seen_idat && &head[4..8] != b"IDAT" {
                warnings.push(
                    WarningKind::TrailingData,
                    format!("png: the {kind:?} chunk after the image data is cut off by the end of the file; ignored"),
                    Some(pos),
                );
            }
            return mismatch;
        };
        let crc = crc32fast::hash(&bytes[pos + 4..pos + 8 + len]);
        if crc != u32::from_be_bytes([stored[0], stored[1], stored[2], stored[3]]) {
            warnings.push(
                WarningKind::Checksum,
                format!("png: CRC mismatch in the {kind:?} chunk; its data was used as it is"),
                Some(pos),
            );
            mismatch = true;
        }
        if &head[4..8] == b"IEND" {
            return mismatch;
        }
        seen_idat |= &head[4..8] == b"IDAT";
        pos += 12 + len;
    }
    if seen_idat && pos < bytes.len() {
        warnings.push(
            WarningKind::TrailingData,
            "png: the file is cut off inside a chunk header after the image data; ignored",
            Some(pos),
        );
    }
    mismatch
}

/// Whether the png crate stopped at a CRC (or Adler-32) mismatch.
fn is_checksum(e: &png::DecodingError) -> bool {
    let text = e.to_string();
    matches!(e, png::DecodingError::Format(_)) && (text.contains("CRC") || text.contains("checksum"))
}

/// Where the last complete chunk ends, when the file is cut off inside an IDAT chunk or
/// inside a chunk (or its header) after one; `None` for a file whose chunks are all complete.
fn end_of_complete_chunks(bytes: &[u8]) -> Option<usize> {
    let (mut pos, mut seen_idat) = (8usize, false);
    loop {
        let Some(head) = bytes.get(pos..pos + 8) else {
            return (seen_idat && pos < bytes.len()).then_some(pos);
        };
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let end = pos.saturating_add(12).saturating_add(len);
        if end > bytes.len() {
            return (seen_idat || &head[4..8] == b"IDAT").then_some(pos);
        }
        if &head[4..8] == b"IEND" {
            return None;
        }
        seen_idat |= &head[4..8] == b"IDAT";
        pos = end;
    }
}

/// The png crate's decode of the first frame. `Err` when it fails before the output buffer
/// exists; otherwise the image and the error that stopped it part-way, if any.
fn decode_pixels(
    bytes: &[u8],
    ignore_checksums: bool,
) -> Result<(Bitmap, Option<png::DecodingError>), png::DecodingError> {
    let width = bytes.get(16..20).map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
    let mut decoder = png_decoder(bytes, width);
    decoder.ignore_checksums(ignore_checksums);
    let mut reader = decoder.read_info()?;
    let layout = row_layout(&reader).ok_or(png::DecodingError::LimitsExceeded)?;
    let size = reader.output_buffer_size().ok_or(png::DecodingError::LimitsExceeded)?;
    let mut data = vec![0u8; size];
    let late = reader.next_frame(&mut data).err();
    let (w, h) = (reader.info().width, reader.info().height);
    let bitmap = Bitmap::new(w, h, layout, data).ok_or(png::DecodingError::LimitsExceeded)?;
    Ok((bitmap, late))
}

/// The `png` crate's decoder for an image `width` pixels wide, set to give 8-bit gray,
/// gray + alpha, RGB or RGBA rows, without text chunks or the ICC profile.
fn png_decoder(bytes: &[u8], width: u32) -> png::Decoder<Cursor<&[u8]>> {
    // What the png crate may allocate besides our output buffer: copies of metadata chunks
    // (bounded by the input), its row buffers (at most 8 bytes a pixel of one row, twice), and
    // slack. Nothing in it grows with what a chunk *declares*; text chunks are skipped and the
    // ICC profile is inflated under its own cap, by `icc_profile`.
    let budget =
        bytes.len().saturating_mul(2).saturating_add((width as usize).saturating_mul(16)).saturating_add(1 << 20);
    let mut decoder = png::Decoder::new_with_limits(Cursor::new(bytes), png::Limits { bytes: budget });
    decoder.set_ignore_text_chunk(true);
    decoder.set_ignore_iccp_chunk(true);
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    decoder
}

/// The layout of the rows `reader` gives (`None` if the palette was not expanded).
fn row_layout(reader: &png::Reader<Cursor<&[u8]>>) -> Option<PixelLayout> {
    match reader.output_color_type().0 {
        png::ColorType::Grayscale => Some(PixelLayout::Gray),
        png::ColorType::GrayscaleAlpha => Some(PixelLayout::GrayAlpha),
        png::ColorType::Rgb => Some(PixelLayout::Rgb),
        png::ColorType::Rgba => Some(PixelLayout::Rgba),
        png::ColorType::Indexed => None,
    }
}

/// The `png` crate's reader, past the headers, set to give 8-bit gray, gray + alpha, RGB or
/// RGBA rows, and the layout of those rows.
fn open_reader<'a>(bytes: &'a [u8], info: &ImageInfo) -> Result<(png::Reader<Cursor<&'a [u8]>>, PixelLayout)> {
    let reader = png_decoder(bytes, info.width).read_info().map_err(map_err)?;
    let layout = row_layout(&reader).ok_or_else(|| corrupt("palette was not expanded"))?;
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
    // A damaged file (a chunk's CRC, a cut-off chunk) goes the whole-image way, which
    // recovers from it with warnings.
    if check_chunks(bytes, &mut Warnings::default()) || end_of_complete_chunks(bytes).is_some() {
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
