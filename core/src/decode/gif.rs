//! GIF: the first frame, composited onto the logical screen, through the `gif` crate.

use std::io::Cursor;
use std::num::NonZeroU64;

use super::{ColorModel, Decoded, FailOn, ImageFormat, ImageInfo};
use crate::bitmap::{Bitmap, PixelLayout};
use crate::error::{Error, Result};
use crate::limits::Limits;

fn map_err(e: gif::DecodingError) -> Error {
    match e {
        gif::DecodingError::Io(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            Error::corrupt("gif", "file is truncated")
        }
        other => Error::corrupt("gif", other),
    }
}

fn options(limit: u64) -> gif::DecodeOptions {
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    options.set_memory_limit(gif::MemoryLimit::Bytes(NonZeroU64::new(limit.max(1)).unwrap_or(NonZeroU64::MIN)));
    options
}

pub(super) fn probe(bytes: &[u8]) -> Result<ImageInfo> {
    // Header and logical screen descriptor: 13 bytes, no pixel data.
    let screen = bytes.get(6..13).ok_or_else(|| Error::corrupt("gif", "file ends inside the header"))?;
    let width = u32::from(u16::from_le_bytes([screen[0], screen[1]]));
    let height = u32::from(u16::from_le_bytes([screen[2], screen[3]]));
    let mut decoder = options(64 << 20).read_info(Cursor::new(bytes)).map_err(map_err)?;
    let frame =
        decoder.next_frame_info().map_err(map_err)?.ok_or_else(|| Error::corrupt("gif", "no image in the file"))?;
    let covers_screen =
        frame.left == 0 && frame.top == 0 && u32::from(frame.width) == width && u32::from(frame.height) == height;
    let has_alpha = frame.transparent.is_some() || !covers_screen;
    let interlaced = frame.interlaced;
    Ok(ImageInfo {
        format: ImageFormat::Gif,
        width,
        height,
        orientation: Default::default(),
        has_alpha,
        color_model: ColorModel::Palette,
        has_icc: decoder.icc_profile().is_some(),
        bit_depth: 8,
        // A looping application extension is how GIF animations announce themselves.
        animated: bytes.windows(11).any(|w| w == b"NETSCAPE2.0"),
        progressive: interlaced,
    })
}

pub(super) fn decode(bytes: &[u8], info: &ImageInfo, limits: &Limits, fail_on: FailOn) -> Result<Decoded> {
    let (sw, sh) = (info.width as usize, info.height as usize);
    let mut decoder = options(64 << 20).read_info(Cursor::new(bytes)).map_err(map_err)?;
    let frame =
        decoder.next_frame_info().map_err(map_err)?.ok_or_else(|| Error::corrupt("gif", "no image in the file"))?;
    let (fx, fy, fw, fh) =
        (usize::from(frame.left), usize::from(frame.top), usize::from(frame.width), usize::from(frame.height));
    let interlaced = frame.interlaced;
    // The frame is declared separately from the screen: a 1x1 screen may announce a
    // 65535x65535 frame, whose decoding takes time in proportion to its size.
    if fw > 0 && fh > 0 {
        limits.check_dimensions(frame.width.into(), frame.height.into())?;
    }
    let mut canvas = vec![0u8; sw * sh * 4];
    // One row of the frame at a time, copied onto the screen (the rest of the screen stays
    // transparent): a frame larger than the screen costs one row of memory, not its size.
    let mut row = vec![0u8; fw * 4];
    let rows: Box<dyn Iterator<Item = usize>> = if interlaced {
        // GIF interlacing: every 8th row from 0, every 8th from 4, every 4th from 2, every 2nd from 1.
        Box::new((0..fh).step_by(8).chain((4..fh).step_by(8)).chain((2..fh).step_by(4)).chain((1..fh).step_by(2)))
    } else {
        Box::new(0..fh)
    };
    for y in rows {
        if fw == 0 {
            break;
        }
        match decoder.fill_buffer(&mut row) {
            Ok(true) => {}
            // Best effort: the rows that arrived are kept, the rest stays transparent.
            Ok(false) | Err(_) if fail_on == FailOn::Never => break,
            Ok(false) => return Err(Error::corrupt("gif", "file is truncated")),
            Err(e) => return Err(map_err(e)),
        }
        let y = fy + y;
        if y >= sh || fx >= sw {
            continue;
        }
        let n = fw.min(sw - fx);
        canvas[(y * sw + fx) * 4..(y * sw + fx + n) * 4].copy_from_slice(&row[..n * 4]);
    }
    let bitmap = Bitmap::new(info.width, info.height, PixelLayout::Rgba, canvas)
        .ok_or_else(|| Error::corrupt("gif", "canvas has the wrong size"))?;
    Ok(Decoded::whole(bitmap, decoder.icc_profile().map(<[u8]>::to_vec), info.orientation))
}
