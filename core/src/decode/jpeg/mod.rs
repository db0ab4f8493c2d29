//! JPEG: our own bounded marker walk for probing and metadata; thumbing's own decoder
//! ([`decoder`]) for every 8-bit DCT frame, Huffman- or arithmetic-coded, at any scale M/8
//! and for the region the pipeline needs, recovering from damaged Huffman-coded data with
//! warnings; zune-jpeg for the Huffman-coded files it declines, and jpeg-decoder for lossless
//! and 12-bit frames.

mod arithmetic;
mod colour;
mod decoder;
mod entropy;
mod huffman;
mod idct;
mod markers;
mod output;
mod recover;
mod upsample;

use super::{ColorModel, Decoded, FailOn, ImageFormat, ImageInfo, Request};
use crate::bitmap::Bitmap;
#[cfg(any(feature = "jpeg-fallback", feature = "jpeg-extended"))]
use crate::bitmap::PixelLayout;
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::orient::Orientation;
#[cfg(feature = "jpeg-fallback")]
use crate::warning::WarningKind;
use crate::warning::Warnings;

use markers::corrupt;
pub(crate) use markers::{FrameKind, Header, read_header};

/// What [`probe`](crate::probe) reports of a JPEG, from its header.
pub(super) fn info(h: &Header<'_>) -> ImageInfo {
    ImageInfo {
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
    }
}

/// The most scans thumbing decodes. Encoders write one scan (baseline) to about ten
/// (progressive), a few dozen when a tool optimises the scan script. Each scan is a pass
/// over every block of the image, however few bytes it has, so without a cap a small file of
/// thousands of near-empty scans costs minutes of CPU.
pub(crate) const MAX_SCANS: usize = 100;

/// Decodes with thumbing's decoder at the requested scale and region when it covers the
/// file, else the whole image at full size with the general decoder; [`Decoded`] says which.
pub(super) fn decode(
    bytes: &[u8],
    header: &Header<'_>,
    info: &ImageInfo,
    limits: &Limits,
    fail_on: FailOn,
    request: &Request,
) -> Result<Decoded> {
    limits.check_dimensions(header.width, header.height)?;
    let icc = header.icc_profile();
    // Counted for every file (the decoders would stop at the first complete image), eight
    // bytes at a time.
    if markers::count_scans(bytes, MAX_SCANS) > MAX_SCANS {
        return Err(Error::TooLarge(format!("JPEG has more than {MAX_SCANS} scans")));
    }
    let mut warnings = header.warnings.clone();
    if header.precision == 8
        && header.kind != FrameKind::Lossless
        && let Some((bitmap, origin, found)) = decode_own(bytes, header, request)
    {
        warnings.extend(found);
        let orientation = info.orientation;
        return Ok(Decoded { bitmap, icc, orientation, scale: request.scale, origin, warnings });
    }
    if header.arithmetic {
        // Neither general decoder reads arithmetic coding: what thumbing's decoder declines
        // is an error.
        return Err(if header.precision != 8 {
            Error::UnsupportedFormat(format!("{}-bit arithmetic-coded JPEG is not supported", header.precision))
        } else {
            corrupt(
                "the arithmetic-coded data is damaged or truncated, or its sampling factors have a ratio that is not \
                 an integer",
            )
        });
    }
    let bitmap = if header.precision == 8 && header.kind != FrameKind::Lossless {
        decode_zune(bytes, header, fail_on, &mut warnings)?
    } else {
        decode_fallback(bytes, header)?
    };
    Ok(Decoded { warnings, ..Decoded::whole(bitmap, icc, info.orientation) })
}

/// thumbing's decoder, at the request's scale and for its region (mapped from stored to
/// scaled coordinates, rounded outwards); `None` when the file needs the general decoder.
/// Returns the bitmap, where its top-left pixel lies in the scaled image, and the damage the
/// decoder recovered from.
pub(super) fn decode_own(
    bytes: &[u8],
    header: &Header<'_>,
    request: &Request,
) -> Option<(Bitmap, (u32, u32), Warnings)> {
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
    let out = decoder::decode(bytes, header, &decoder::Request { scale, region }).ok()?;
    Some((out.bitmap, (out.region.x0 as u32, out.region.y0 as u32), out.warnings))
}

/// The general decoder, for files thumbing's decoder declines: strict first; when that
/// fails and `fail_on` allows damage, again in its tolerant mode, with a warning that names
/// what the strict decode refused (a truncation, when it says so, is
/// [`WarningKind::Truncated`], which only [`FailOn::Never`] accepts).
#[cfg(feature = "jpeg-fallback")]
fn decode_zune(bytes: &[u8], header: &Header<'_>, fail_on: FailOn, warnings: &mut Warnings) -> Result<Bitmap> {
    let strict = decode_zune_with(bytes, header, true);
    match strict {
        Err(Error::Corrupt(why)) if fail_on != FailOn::Warning => {
            let bitmap = decode_zune_with(bytes, header, false).map_err(|_| Error::Corrupt(why.clone()))?;
            let lower = why.to_ascii_lowercase();
            let truncated =
                ["eof", "exhausted", "truncat", "no more bytes", "end of"].iter().any(|w| lower.contains(w));
            let kind = if truncated { WarningKind::Truncated } else { WarningKind::CorruptData };
            warnings.push(kind, format!("{why}; decoded as far as the data allows"), None);
            Ok(bitmap)
        }
        other => other,
    }
}

/// zune-jpeg in strict or tolerant mode.
#[cfg(feature = "jpeg-fallback")]
fn decode_zune_with(bytes: &[u8], header: &Header<'_>, strict: bool) -> Result<Bitmap> {
    use zune_core::bytestream::ZCursor;
    use zune_core::colorspace::ColorSpace;
    use zune_core::options::DecoderOptions;
    use zune_jpeg::JpegDecoder;

    let options = DecoderOptions::default()
        .set_strict_mode(strict)
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

/// Without the general decoder, what thumbing's decoder declines is reported as damaged.
#[cfg(not(feature = "jpeg-fallback"))]
fn decode_zune(_bytes: &[u8], _header: &Header<'_>, _fail_on: FailOn, _warnings: &mut Warnings) -> Result<Bitmap> {
    Err(corrupt(
        "the data is damaged or truncated (this build of thumbing leaves out the `jpeg-fallback` decoder, which \
         recovers what it can of such files)",
    ))
}

#[cfg(any(feature = "jpeg-fallback", feature = "jpeg-extended"))]
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

#[cfg(any(feature = "jpeg-fallback", feature = "jpeg-extended"))]
fn ycbcr_to_rgb(y: u8, cb: u8, cr: u8) -> [u8; 3] {
    let y = f32::from(y);
    let cb = f32::from(cb) - 128.0;
    let cr = f32::from(cr) - 128.0;
    let clamp = |v: f32| v.round().clamp(0.0, 255.0) as u8;
    [clamp(y + 1.402 * cr), clamp(y - 0.344_136 * cb - 0.714_136 * cr), clamp(y + 1.772 * cb)]
}

/// Lossless (SOF3) and 12-bit frames, which zune-jpeg does not decode.
#[cfg(not(feature = "jpeg-extended"))]
fn decode_fallback(_bytes: &[u8], header: &Header<'_>) -> Result<Bitmap> {
    let what = if header.kind == FrameKind::Lossless { "lossless" } else { "12-bit" };
    Err(Error::UnsupportedFormat(format!(
        "{what} JPEG: this build of thumbing leaves out the `jpeg-extended` feature that decodes it"
    )))
}

/// Lossless (SOF3) and 12-bit frames, which zune-jpeg does not decode.
#[cfg(feature = "jpeg-extended")]
fn decode_fallback(bytes: &[u8], header: &Header<'_>) -> Result<Bitmap> {
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
