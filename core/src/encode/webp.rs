//! Lossy WebP output through libwebp's encoder (`libwebp-sys`, the C library built from its
//! vendored sources).
//!
//! libwebp is C, so this module is one of the few in thumbing that allows `unsafe`: every call
//! is below, each with the invariant it relies on. The encoder only ever reads thumbing's own
//! resized pixels (a [`Bitmap`] whose buffer length matches its size, checked by
//! [`Bitmap::new`] and the pipeline), never the bytes of an upload, so the C code is not
//! exposed to untrusted input.
//!
//! Settings: libwebp's default preset with the caller's quality (the same 0–100 scale as
//! `cwebp -q` and sharp's `webp({ quality })`), method 4 (sharp's default `effort`), alpha kept
//! losslessly-filtered at quality 100 as sharp does, single-threaded.
#![allow(unsafe_code)]

use std::ffi::{c_int, c_void};

use libwebp_sys as ffi;

use crate::bitmap::{Bitmap, PixelLayout};
use crate::error::{Error, Result};

/// The largest side a WebP image can have.
const MAX_SIDE: u32 = 16_383;

/// Compression effort, 0 (fast) to 6 (small): 4 is libwebp's and sharp's default.
const METHOD: c_int = 4;

pub(super) fn encode(image: &Bitmap, quality: u8) -> Result<Vec<u8>> {
    if image.width > MAX_SIDE || image.height > MAX_SIDE {
        return Err(Error::Encode(format!(
            "{}x{} is larger than WebP's {MAX_SIDE}x{MAX_SIDE}",
            image.width, image.height
        )));
    }
    // libwebp imports 3- or 4-channel pixels: gray is widened, alpha kept.
    let (pixels, channels) = match image.layout {
        PixelLayout::Rgb => (std::borrow::Cow::Borrowed(&image.data[..]), 3),
        PixelLayout::Rgba => (std::borrow::Cow::Borrowed(&image.data[..]), 4),
        PixelLayout::Gray => (image.data.iter().flat_map(|&v| [v, v, v]).collect(), 3),
        PixelLayout::GrayAlpha => (image.data.chunks_exact(2).flat_map(|p| [p[0], p[0], p[0], p[1]]).collect(), 4),
        PixelLayout::Cmyk => return Err(Error::Encode("WebP cannot store CMYK pixels".into())),
    };
    let (width, height) = (image.width as usize, image.height as usize);
    if width == 0 || height == 0 || pixels.len() != width * height * channels {
        return Err(Error::Encode(format!("webp: a {width}x{height} image with a buffer of {} bytes", pixels.len())));
    }
    encode_pixels(&pixels, image.width as c_int, image.height as c_int, channels, quality)
}

/// Owns a `WebPPicture` and a `WebPMemoryWriter`, freeing both on every path out.
struct Encoding {
    picture: ffi::WebPPicture,
    writer: ffi::WebPMemoryWriter,
}

impl Drop for Encoding {
    fn drop(&mut self) {
        // SAFETY: both were initialised by their libwebp init functions before `Encoding`
        // was built; freeing an initialised picture or writer that holds no memory is a no-op.
        unsafe {
            ffi::WebPPictureFree(&mut self.picture);
            ffi::WebPMemoryWriterClear(&mut self.writer);
        }
    }
}

/// Encodes `pixels`: `height` rows of `width` pixels of `channels` (3 or 4) bytes each, no
/// padding (checked by the caller), both sides within 1..=16383.
fn encode_pixels(pixels: &[u8], width: c_int, height: c_int, channels: usize, quality: u8) -> Result<Vec<u8>> {
    let failed = |what: &str| Error::Encode(format!("webp: {what}"));
    let version = ffi::WEBP_ENCODER_ABI_VERSION as c_int;

    let mut config = std::mem::MaybeUninit::<ffi::WebPConfig>::uninit();
    // SAFETY: `WebPConfigInitInternal` fully initialises the struct it is given when it
    // returns non-zero (it returns 0 only for an incompatible ABI version).
    let mut config = unsafe {
        if ffi::WebPConfigInitInternal(config.as_mut_ptr(), ffi::WebPPreset::WEBP_PRESET_DEFAULT, 75.0, version) == 0 {
            return Err(failed("the libwebp library does not match its headers"));
        }
        config.assume_init()
    };
    config.quality = f32::from(quality);
    config.method = METHOD;
    config.alpha_quality = 100;
    config.thread_level = 0;
    // SAFETY: `config` is an initialised WebPConfig.
    if unsafe { ffi::WebPValidateConfig(&config) } == 0 {
        return Err(failed("invalid encoder settings"));
    }

    let mut picture = std::mem::MaybeUninit::<ffi::WebPPicture>::uninit();
    let mut writer = std::mem::MaybeUninit::<ffi::WebPMemoryWriter>::uninit();
    // SAFETY: the init functions fully initialise the structs (the picture one returns 0 only
    // for an incompatible ABI version, before writing anything that needs freeing).
    let mut job = unsafe {
        if ffi::WebPPictureInitInternal(picture.as_mut_ptr(), version) == 0 {
            return Err(failed("the libwebp library does not match its headers"));
        }
        ffi::WebPMemoryWriterInit(writer.as_mut_ptr());
        Encoding { picture: picture.assume_init(), writer: writer.assume_init() }
    };
    job.picture.width = width;
    job.picture.height = height;
    // YUV 4:2:0 (lossy VP8), not ARGB: the pixels are converted once, on import.
    job.picture.use_argb = 0;

    let stride = width * channels as c_int;
    // SAFETY: `pixels` holds exactly `height` rows of `stride` bytes (checked by `encode`), and
    // libwebp only reads them during the call, copying them into the picture's own planes.
    let imported = unsafe {
        if channels == 4 {
            ffi::WebPPictureImportRGBA(&mut job.picture, pixels.as_ptr(), stride)
        } else {
            ffi::WebPPictureImportRGB(&mut job.picture, pixels.as_ptr(), stride)
        }
    };
    if imported == 0 {
        return Err(failed(&format!("importing the pixels failed ({:?})", job.picture.error_code)));
    }

    job.picture.writer = Some(ffi::WebPMemoryWrite);
    // The writer is not moved again until the encode below has returned: `job` stays in place.
    job.picture.custom_ptr = (&mut job.writer as *mut ffi::WebPMemoryWriter).cast::<c_void>();
    // SAFETY: `config` is valid, the picture holds imported planes, and its writer appends to
    // `job.writer`, which lives (at this address) for the whole call.
    let ok = unsafe { ffi::WebPEncode(&config, &mut job.picture) };
    if ok == 0 {
        return Err(failed(&format!("encoding failed ({:?})", job.picture.error_code)));
    }
    if job.writer.mem.is_null() || job.writer.size == 0 {
        return Err(failed("the encoder wrote nothing"));
    }
    // SAFETY: after a successful encode the memory writer holds `size` initialised bytes at
    // `mem`, owned by the writer until `WebPMemoryWriterClear` (in `Drop`).
    let out = unsafe { std::slice::from_raw_parts(job.writer.mem, job.writer.size) }.to_vec();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A smooth gradient with a hard edge: something lossy encoders have to work at.
    fn photo_like(w: u32, h: u32, layout: PixelLayout) -> Bitmap {
        let c = layout.channels();
        let mut data = Vec::with_capacity((w * h) as usize * c);
        for y in 0..h {
            for x in 0..w {
                let edge = if x > w / 2 { 200 } else { 30 };
                let px = [(x * 255 / w) as u8, (y * 255 / h) as u8, edge, (255 - (x + y) % 256) as u8];
                match layout {
                    PixelLayout::Gray => data.push(px[0]),
                    PixelLayout::GrayAlpha => data.extend([px[0], px[3]]),
                    PixelLayout::Rgb => data.extend(&px[..3]),
                    _ => data.extend(px),
                }
            }
        }
        Bitmap::new(w, h, layout, data).unwrap()
    }

    #[test]
    fn every_layout_but_cmyk_encodes_to_a_lossy_webp_of_its_size() {
        for layout in [PixelLayout::Gray, PixelLayout::GrayAlpha, PixelLayout::Rgb, PixelLayout::Rgba] {
            let out = encode(&photo_like(67, 45, layout), 80).unwrap();
            assert_eq!(&out[..4], b"RIFF");
            assert_eq!(&out[8..12], b"WEBP");
            let info = crate::probe(&out).unwrap();
            assert_eq!((info.width, info.height), (67, 45), "{layout:?}");
            assert_eq!(info.has_alpha, layout.has_alpha(), "{layout:?}");
            // Lossy: a VP8 chunk (behind VP8X and ALPH when there is alpha), never VP8L.
            assert!(out.windows(4).any(|w| w == b"VP8 "), "{layout:?}");
            assert!(!out.windows(4).any(|w| w == b"VP8L"), "{layout:?}");
        }
        let cmyk = Bitmap::new(2, 2, PixelLayout::Cmyk, vec![0; 16]).unwrap();
        assert!(matches!(encode(&cmyk, 80), Err(Error::Encode(_))));
    }

    #[test]
    fn sides_beyond_webps_limit_are_an_encode_error() {
        let wide = Bitmap::new(16_384, 1, PixelLayout::Gray, vec![0; 16_384]).unwrap();
        let err = encode(&wide, 80).unwrap_err();
        assert!(err.to_string().contains("larger than WebP's 16383x16383"), "{err}");
    }
}
