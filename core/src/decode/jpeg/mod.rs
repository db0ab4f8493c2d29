//! JPEG: our own bounded marker walk for probing and metadata; thumbing's own decoder
//! ([`decoder`]) for every 8-bit Huffman-coded frame, at any scale M/8 and for the region
//! the pipeline needs; zune-jpeg for the files it declines (damaged or truncated data), and
//! jpeg-decoder for lossless and 12-bit frames.

mod colour;
mod decoder;
mod huffman;
mod idct;
mod markers;
mod output;
mod scan;
mod upsample;

use zune_core::bytestream::ZCursor;
use zune_core::colorspace::ColorSpace;
use zune_core::options::DecoderOptions;
use zune_jpeg::JpegDecoder;

use super::{ColorModel, Decoded, FailOn, ImageFormat, ImageInfo, Request};
use crate::bitmap::{Bitmap, PixelLayout};
use crate::color::MAX_ICC_BYTES;
use crate::error::{Error, Result};
use crate::orient::Orientation;

/// The kind of frame declared by the SOFn marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FrameKind {
    Baseline,
    Extended,
    Progressive,
    Lossless,
}

/// What the marker walk finds before the first scan.
#[derive(Debug, Clone)]
pub(crate) struct JpegHeader<'a> {
    pub kind: FrameKind,
    pub precision: u8,
    pub width: u32,
    pub height: u32,
    pub components: u8,
    pub exif: Option<&'a [u8]>,
    /// ICC profile chunks from APP2 segments, as (sequence number, chunk count, data).
    icc_chunks: Vec<(u8, u8, &'a [u8])>,
}

impl JpegHeader<'_> {
    /// Reassembles the ICC profile from its APP2 chunks; `None` when absent, incomplete or
    /// larger than [`MAX_ICC_BYTES`].
    pub fn icc_profile(&self) -> Option<Vec<u8>> {
        let mut chunks = self.icc_chunks.clone();
        let count = chunks.first()?.1;
        chunks.sort_by_key(|c| c.0);
        let complete = chunks.len() == usize::from(count)
            && chunks.iter().enumerate().all(|(i, c)| usize::from(c.0) == i + 1 && c.1 == count);
        // An oversized profile would be ignored by the colour stage anyway: don't copy it.
        let size: usize = chunks.iter().map(|c| c.2.len()).sum();
        (complete && size <= MAX_ICC_BYTES).then(|| chunks.iter().flat_map(|c| c.2.iter().copied()).collect())
    }
}

fn corrupt(what: impl std::fmt::Display) -> Error {
    Error::corrupt("jpeg", what)
}

/// Walks the markers up to the first SOS. Reads only what the segment lengths allow.
pub(crate) fn read_header(bytes: &[u8]) -> Result<JpegHeader<'_>> {
    let mut frame = None;
    let mut exif = None;
    let mut icc_chunks = Vec::new();
    let mut pos = 2; // after SOI
    loop {
        // Markers may be preceded by any number of 0xFF fill bytes.
        while bytes.get(pos) == Some(&0xFF) && bytes.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        let (Some(&0xFF), Some(&marker)) = (bytes.get(pos), bytes.get(pos + 1)) else {
            break;
        };
        pos += 2;
        if marker == 0xD8 || marker == 0x01 || (0xD0..=0xD7).contains(&marker) {
            continue;
        }
        if marker == 0xD9 {
            break;
        }
        let Some(len) = bytes.get(pos..pos + 2).map(|b| usize::from(u16::from_be_bytes([b[0], b[1]]))) else {
            break;
        };
        if len < 2 {
            return Err(corrupt(format!("segment of marker 0x{marker:02X} has impossible length {len}")));
        }
        let Some(segment) = bytes.get(pos + 2..pos + len) else {
            break;
        };
        pos += len;
        match marker {
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                if frame.is_some() {
                    continue; // only the first frame matters (hierarchical files are rejected)
                }
                frame = Some((marker, segment));
            }
            0xE1 if exif.is_none() && segment.starts_with(b"Exif\0") => {
                exif = Some(segment.get(6..).unwrap_or_default());
            }
            0xE2 if segment.starts_with(b"ICC_PROFILE\0") && segment.len() > 14 => {
                icc_chunks.push((segment[12], segment[13], &segment[14..]));
            }
            0xDA => break,
            _ => {}
        }
    }
    let Some((marker, sof)) = frame else {
        return Err(corrupt("no frame header (SOF) before the image data: the file is truncated or damaged"));
    };
    if sof.len() < 6 {
        return Err(corrupt("frame header is too short"));
    }
    let precision = sof[0];
    let height = u32::from(u16::from_be_bytes([sof[1], sof[2]]));
    let width = u32::from(u16::from_be_bytes([sof[3], sof[4]]));
    let components = sof[5];
    let kind = match marker {
        0xC0 => FrameKind::Baseline,
        0xC1 => FrameKind::Extended,
        0xC2 => FrameKind::Progressive,
        0xC3 => FrameKind::Lossless,
        0xC9..=0xCB => {
            return Err(Error::UnsupportedFormat("arithmetic-coded JPEG is not supported".into()));
        }
        _ => {
            return Err(Error::UnsupportedFormat("hierarchical JPEG is not supported".into()));
        }
    };
    if !matches!(components, 1 | 3 | 4) {
        return Err(Error::UnsupportedFormat(format!("JPEG with {components} components is not supported")));
    }
    if sof.len() < 6 + 3 * usize::from(components) {
        return Err(corrupt("frame header is shorter than its component list"));
    }
    if height == 0 {
        return Err(Error::UnsupportedFormat("JPEG whose height is given by a DNL marker is not supported".into()));
    }
    if width == 0 {
        return Err(corrupt("frame header declares zero width"));
    }
    if !matches!(precision, 8 | 12) && kind != FrameKind::Lossless {
        return Err(corrupt(format!("frame header declares {precision}-bit samples")));
    }
    Ok(JpegHeader { kind, precision, width, height, components, exif, icc_chunks })
}

pub(super) fn probe(bytes: &[u8]) -> Result<ImageInfo> {
    let h = read_header(bytes)?;
    Ok(ImageInfo {
        format: ImageFormat::Jpeg,
        width: h.width,
        height: h.height,
        orientation: h.exif.map(Orientation::from_exif).unwrap_or_default(),
        has_alpha: false,
        color_model: match h.components {
            1 => ColorModel::Gray,
            3 => ColorModel::Rgb,
            _ => ColorModel::Cmyk,
        },
        has_icc: !h.icc_chunks.is_empty(),
        bit_depth: h.precision,
        animated: false,
        progressive: h.kind == FrameKind::Progressive,
    })
}

/// The most scans thumbing decodes. Encoders write one scan (baseline) to about ten
/// (progressive), a few dozen when a tool optimises the scan script. Each scan is a pass
/// over every block of the image, however few bytes it has, so without a cap a small file of
/// thousands of near-empty scans costs minutes of CPU.
pub(crate) const MAX_SCANS: usize = 100;

/// Counts the scans (SOS markers) of the whole file, stopping once past `limit`. Walks the
/// segments by their lengths and skips entropy-coded data to the next real marker (0xFF not
/// followed by a stuffed 0x00 or a restart marker), so bytes inside data are never counted.
pub(crate) fn count_scans(bytes: &[u8], limit: usize) -> usize {
    let mut scans = 0;
    let mut pos = 2; // after SOI
    while scans <= limit {
        while bytes.get(pos) == Some(&0xFF) && bytes.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        let (Some(&0xFF), Some(&marker)) = (bytes.get(pos), bytes.get(pos + 1)) else {
            break;
        };
        pos += 2;
        if marker == 0xD9 {
            break;
        }
        if marker == 0x01 || (0xD0..=0xD8).contains(&marker) {
            continue;
        }
        let Some(len) = bytes.get(pos..pos + 2).map(|b| usize::from(u16::from_be_bytes([b[0], b[1]]))) else {
            break;
        };
        pos += len.max(2);
        if marker == 0xDA {
            scans += 1;
            // Entropy-coded data: on to the next byte pair that is a marker.
            while let Some(at) = bytes.get(pos..).and_then(|rest| rest.iter().position(|&b| b == 0xFF)) {
                pos += at;
                match bytes.get(pos + 1) {
                    Some(0x00 | 0xFF) | Some(0xD0..=0xD7) => pos += 1,
                    _ => break,
                }
            }
        }
    }
    scans
}

/// Decodes with thumbing's decoder at the requested scale and region when it covers the
/// file, else the whole image at full size with the general decoder; [`Decoded`] says which.
pub(super) fn decode(bytes: &[u8], info: &ImageInfo, fail_on: FailOn, request: &Request) -> Result<Decoded> {
    let header = read_header(bytes)?;
    let scans = count_scans(bytes, MAX_SCANS);
    if scans > MAX_SCANS {
        return Err(Error::TooLarge(format!("JPEG has more than {MAX_SCANS} scans")));
    }
    let icc = header.icc_profile();
    if header.precision == 8
        && header.kind != FrameKind::Lossless
        && let Some((bitmap, origin)) = decode_own(bytes, request)
    {
        return Ok(Decoded { bitmap, icc, orientation: info.orientation, scale: request.scale, origin });
    }
    let bitmap = if header.precision == 8 && header.kind != FrameKind::Lossless {
        decode_zune(bytes, &header, fail_on)?
    } else {
        decode_fallback(bytes, &header)?
    };
    Ok(Decoded::whole(bitmap, icc, info.orientation))
}

/// thumbing's decoder, at the request's scale and for its region (mapped from stored to
/// scaled coordinates, rounded outwards); `None` when the file needs the general decoder.
/// Returns the bitmap and where its top-left pixel lies in the scaled image.
pub(super) fn decode_own(bytes: &[u8], request: &Request) -> Option<(Bitmap, (u32, u32))> {
    let scale = request.scale as usize;
    let region = request.region.map(|[x0, y0, x1, y1]| {
        let (x0, y0, x1, y1) = (x0 as usize, y0 as usize, x1 as usize, y1 as usize);
        output::Region {
            x0: x0 * scale / 8,
            y0: y0 * scale / 8,
            x1: (x1 * scale).div_ceil(8),
            y1: (y1 * scale).div_ceil(8),
        }
    });
    let out = decoder::decode(bytes, &decoder::Request { scale, region }).ok()?;
    Some((out.bitmap, (out.region.x0 as u32, out.region.y0 as u32)))
}

fn decode_zune(bytes: &[u8], header: &JpegHeader<'_>, fail_on: FailOn) -> Result<Bitmap> {
    let options = DecoderOptions::default()
        .set_strict_mode(fail_on == FailOn::Truncated)
        .set_max_width(header.width as usize)
        .set_max_height(header.height as usize);
    let mut decoder = JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    decoder.decode_headers().map_err(corrupt)?;
    let input = decoder.input_colorspace().ok_or_else(|| corrupt("headers were not decoded"))?;
    let (out, layout) = match input {
        ColorSpace::Luma => (ColorSpace::Luma, PixelLayout::Gray),
        ColorSpace::YCbCr | ColorSpace::RGB => (ColorSpace::RGB, PixelLayout::Rgb),
        ColorSpace::CMYK | ColorSpace::YCCK => (input, PixelLayout::Cmyk),
        other => {
            return Err(Error::UnsupportedFormat(format!("JPEG colour space {other:?} is not supported")));
        }
    };
    decoder.set_options(options.jpeg_set_out_colorspace(out));
    let mut data = decoder.decode().map_err(corrupt)?;
    let (w, h) = decoder.dimensions().map(|(w, h)| (w as u32, h as u32)).ok_or_else(|| corrupt("no dimensions"))?;
    if layout == PixelLayout::Cmyk {
        cmyk_to_ink(&mut data, input == ColorSpace::YCCK);
    }
    Bitmap::new(w, h, layout, data).ok_or_else(|| corrupt("decoder returned a buffer of the wrong size"))
}

/// Turns stored 4-component samples into ink amounts (255 = full ink).
///
/// Adobe applications write CMYK inverted (255 = no ink), and virtually every CMYK JPEG in
/// the wild comes from them, so, like libjpeg-based readers, we always treat the samples as
/// inverted. YCCK stores the inverted C, M, Y as YCbCr.
fn cmyk_to_ink(data: &mut [u8], ycck: bool) {
    for px in data.chunks_exact_mut(4) {
        if ycck {
            let [r, g, b] = ycbcr_to_rgb(px[0], px[1], px[2]);
            // YCC holds the inverted inks, so the RGB it decodes to is the ink itself.
            px[0] = r;
            px[1] = g;
            px[2] = b;
        } else {
            px[0] = 255 - px[0];
            px[1] = 255 - px[1];
            px[2] = 255 - px[2];
        }
        px[3] = 255 - px[3];
    }
}

fn ycbcr_to_rgb(y: u8, cb: u8, cr: u8) -> [u8; 3] {
    let y = f32::from(y);
    let cb = f32::from(cb) - 128.0;
    let cr = f32::from(cr) - 128.0;
    let clamp = |v: f32| v.round().clamp(0.0, 255.0) as u8;
    [clamp(y + 1.402 * cr), clamp(y - 0.344_136 * cb - 0.714_136 * cr), clamp(y + 1.772 * cb)]
}

/// Lossless (SOF3) and 12-bit frames, which zune-jpeg does not decode.
#[cfg(not(feature = "jpeg-extended"))]
fn decode_fallback(_bytes: &[u8], header: &JpegHeader<'_>) -> Result<Bitmap> {
    let what = if header.kind == FrameKind::Lossless { "lossless" } else { "12-bit" };
    Err(Error::UnsupportedFormat(format!(
        "{what} JPEG: this build of thumbing leaves out the `jpeg-extended` feature that decodes it"
    )))
}

/// Lossless (SOF3) and 12-bit frames, which zune-jpeg does not decode.
#[cfg(feature = "jpeg-extended")]
fn decode_fallback(bytes: &[u8], header: &JpegHeader<'_>) -> Result<Bitmap> {
    use jpeg_decoder::PixelFormat;
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder.set_max_decoding_buffer_size(header.width as usize * header.height as usize * 8 + 4096);
    let data = decoder.decode().map_err(|e| match e {
        jpeg_decoder::Error::Unsupported(what) => {
            Error::UnsupportedFormat(format!("JPEG feature not supported: {what:?}"))
        }
        other => corrupt(other),
    })?;
    let info = decoder.info().ok_or_else(|| corrupt("no frame information"))?;
    let (w, h) = (u32::from(info.width), u32::from(info.height));
    let (layout, data) = match info.pixel_format {
        PixelFormat::L8 => (PixelLayout::Gray, data),
        PixelFormat::RGB24 => (PixelLayout::Rgb, data),
        PixelFormat::CMYK32 => {
            // jpeg-decoder already converts YCCK to (inverted) CMYK.
            let mut data = data;
            cmyk_to_ink(&mut data, false);
            (PixelLayout::Cmyk, data)
        }
        PixelFormat::L16 => {
            // Samples are big-endian 16-bit holding `precision` significant bits.
            let max = ((1u32 << header.precision.clamp(2, 16)) - 1) as f32;
            let data = data
                .chunks_exact(2)
                .map(|s| (f32::from(u16::from_be_bytes([s[0], s[1]])) * 255.0 / max).round().min(255.0) as u8)
                .collect();
            (PixelLayout::Gray, data)
        }
    };
    Bitmap::new(w, h, layout, data).ok_or_else(|| corrupt("decoder returned a buffer of the wrong size"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_walk_survives_garbage() {
        assert!(read_header(b"\xff\xd8").is_err());
        assert!(read_header(b"\xff\xd8\xff\xe1\x00\x01").is_err());
        assert!(read_header(b"\xff\xd8\xff\xc0\xff\xff").is_err());
        // SOF with zero width.
        let sof = b"\xff\xd8\xff\xc0\x00\x0b\x08\x00\x10\x00\x00\x01\x01\x11\x00";
        assert!(matches!(read_header(sof), Err(Error::Corrupt(_))));
        // Arithmetic coding is reported as unsupported, not corrupt.
        let sof9 = b"\xff\xd8\xff\xc9\x00\x0b\x08\x00\x10\x00\x10\x01\x01\x11\x00";
        assert!(matches!(read_header(sof9), Err(Error::UnsupportedFormat(_))));
    }

    #[test]
    fn scans_are_counted_outside_entropy_coded_data() {
        // SOI, SOS with stuffed 0xFF00, RST0 and a fill byte in its data, SOS, EOI.
        let jpeg = b"\xff\xd8\xff\xda\x00\x02\x12\xff\x00\x34\xff\xd0\x56\xff\xff\xda\x00\x02\x78\xff\xd9";
        assert_eq!(count_scans(jpeg, 100), 2);
        assert_eq!(count_scans(jpeg, 0), 1, "stops once past the limit");
        assert_eq!(count_scans(b"\xff\xd8\xff\xda\x00", 100), 0, "truncated scan header");
        assert_eq!(count_scans(b"\xff\xd8\xff\xda\x00\x02\xff", 100), 1);
    }

    #[test]
    fn icc_chunks_reassemble_in_order() {
        let h = JpegHeader {
            kind: FrameKind::Baseline,
            precision: 8,
            width: 1,
            height: 1,
            components: 3,
            exif: None,
            icc_chunks: vec![(2, 2, b"cd"), (1, 2, b"ab")],
        };
        assert_eq!(h.icc_profile().unwrap(), b"abcd");
        let missing = JpegHeader { icc_chunks: vec![(2, 2, b"cd")], ..h };
        assert!(missing.icc_profile().is_none());
    }
}
