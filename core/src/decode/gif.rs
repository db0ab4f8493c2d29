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

pub(super) fn decode(bytes: &[u8], info: &ImageInfo, limits: &Limits, _fail_on: FailOn) -> Result<Decoded> {
    let (sw, sh) = (info.width as usize, info.height as usize);
    let frame_limit = limits.max_pixels.saturating_mul(4);
    let mut decoder = options(frame_limit).read_info(Cursor::new(bytes)).map_err(map_err)?;
    let mut canvas = vec![0u8; sw * sh * 4];
    let frame = match decoder.read_next_frame() {
        Ok(Some(frame)) => frame,
        Ok(None) => return Err(Error::corrupt("gif", "no image in the file")),
        Err(e) => return Err(map_err(e)),
    };
    let (fx, fy, fw, fh) =
        (usize::from(frame.left), usize::from(frame.top), usize::from(frame.width), usize::from(frame.height));
    // Copy the part of the frame that lies on the screen; the rest of the screen is transparent.
    for row in 0..fh {
        let y = fy + row;
        if y >= sh || fx >= sw {
            break;
        }
        let n = fw.min(sw - fx);
        let Some(src) = frame.buffer.get(row * fw * 4..(row * fw + n) * 4) else {
            break;
        };
        canvas[(y * sw + fx) * 4..(y * sw + fx + n) * 4].copy_from_slice(src);
    }
    let bitmap = Bitmap::new(info.width, info.height, PixelLayout::Rgba, canvas)
        .ok_or_else(|| Error::corrupt("gif", "canvas has the wrong size"))?;
    Ok(Decoded { bitmap, icc: decoder.icc_profile().map(<[u8]>::to_vec), orientation: info.orientation, shrink: 1 })
}
