//! PNG (and the first frame of APNG) through the `png` crate, expanded to 8 bits per channel.

use std::io::Cursor;

use super::{ColorModel, Decoded, FailOn, ImageFormat, ImageInfo};
use crate::bitmap::{Bitmap, PixelLayout};
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::orient::Orientation;

fn corrupt(what: impl std::fmt::Display) -> Error {
    Error::corrupt("png", what)
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
    let mut pos = 33;
    while let Some(head) = bytes.get(pos..pos + 8) {
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let kind = &head[4..8];
        match kind {
            b"IDAT" | b"IEND" => break,
            b"tRNS" => has_trns = true,
            b"iCCP" => has_icc = true,
            b"acTL" => animated = true,
            b"eXIf" => exif = bytes.get(pos + 8..pos + 8 + len),
            _ => {}
        }
        pos = pos.saturating_add(12).saturating_add(len);
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

pub(super) fn decode(bytes: &[u8], info: &ImageInfo, limits: &Limits, fail_on: FailOn) -> Result<Decoded> {
    // The output buffer plus room for the decoder's own row buffers and metadata chunks.
    let budget = (info.width as usize)
        .saturating_mul(info.height as usize)
        .saturating_mul(8)
        .saturating_add(limits.max_input_bytes)
        .saturating_add(16 << 20);
    let mut decoder = png::Decoder::new_with_limits(Cursor::new(bytes), png::Limits { bytes: budget });
    decoder.set_ignore_text_chunk(true);
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(map_err)?;
    let (color, _) = reader.output_color_type();
    let layout = match color {
        png::ColorType::Grayscale => PixelLayout::Gray,
        png::ColorType::GrayscaleAlpha => PixelLayout::GrayAlpha,
        png::ColorType::Rgb => PixelLayout::Rgb,
        png::ColorType::Rgba => PixelLayout::Rgba,
        png::ColorType::Indexed => return Err(corrupt("palette was not expanded")),
    };
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
    let icc = reader.info().icc_profile.as_ref().map(|p| p.to_vec());
    let bitmap =
        Bitmap::new(w, h, layout, data).ok_or_else(|| corrupt("decoder returned a buffer of the wrong size"))?;
    Ok(Decoded { bitmap, icc, orientation: info.orientation, shrink: 1 })
}

fn map_err(e: png::DecodingError) -> Error {
    match e {
        png::DecodingError::LimitsExceeded => Error::TooLarge("PNG needs more memory than the limits allow".into()),
        png::DecodingError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => corrupt("file is truncated"),
        other => corrupt(other),
    }
}
