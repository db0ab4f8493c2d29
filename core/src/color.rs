//! Colour management: embedded ICC profiles (Display P3, Adobe RGB, ProPhoto, CMYK press
//! profiles, gray) to sRGB with `moxcms`. Untagged images are taken to be sRGB already.
//!
//! The pipeline runs this stage on the resized output, not on the full-size decode: the
//! conversion is per pixel, so converting 512×512 pixels instead of 12 million gives the
//! same avatar (up to resampling in the source space, which is what sharp and libvips do
//! too) for a fraction of the time.

use moxcms::{ColorProfile, DataColorSpace, Layout, TransformOptions};

use crate::bitmap::{Bitmap, PixelLayout};

/// The largest ICC profile thumbing reads (real ones are a few kilobytes, rarely 1 MB). The
/// decoders stop collecting or inflating a profile at this size, so a 10 MB profile split over
/// JPEG segments or a zlib bomb in a PNG iCCP chunk costs at most this much memory.
pub(crate) const MAX_ICC_BYTES: usize = 4 << 20;

/// A parsed embedded profile, ready to convert pixels to sRGB.
#[derive(Debug)]
pub(crate) struct SourceProfile {
    profile: ColorProfile,
}

impl SourceProfile {
    /// Parses an ICC profile. Malformed or unusable profiles give `None`: the image is then
    /// treated as untagged, because a broken profile must not make a photo unusable.
    pub fn parse(icc: &[u8]) -> Option<SourceProfile> {
        // A real profile is at least a 128-byte header plus a tag table; cap the size so that
        // a hostile file cannot make us parse megabytes of tags.
        if icc.len() < 132 || icc.len() > MAX_ICC_BYTES {
            return None;
        }
        let profile = ColorProfile::new_from_slice(icc).ok()?;
        Some(SourceProfile { profile })
    }

    fn matches(&self, layout: PixelLayout) -> bool {
        match self.profile.color_space {
            DataColorSpace::Rgb => matches!(layout, PixelLayout::Rgb | PixelLayout::Rgba),
            DataColorSpace::Gray => layout.is_gray(),
            DataColorSpace::Cmyk => layout == PixelLayout::Cmyk,
            _ => false,
        }
    }
}

/// Converts `image` to sRGB. CMYK becomes RGB; gray stays gray; alpha is carried over.
pub(crate) fn to_srgb(image: Bitmap, profile: Option<&SourceProfile>) -> Bitmap {
    let profile = profile.filter(|p| p.matches(image.layout));
    match (image.layout, profile) {
        (PixelLayout::Cmyk, Some(p)) => transform(&image, p, Layout::Rgba, PixelLayout::Rgb, Layout::Rgb)
            .unwrap_or_else(|| naive_cmyk_to_rgb(&image)),
        (PixelLayout::Cmyk, None) => naive_cmyk_to_rgb(&image),
        (PixelLayout::Rgb, Some(p)) => {
            transform(&image, p, Layout::Rgb, PixelLayout::Rgb, Layout::Rgb).unwrap_or(image)
        }
        (PixelLayout::Rgba, Some(p)) => {
            transform(&image, p, Layout::Rgba, PixelLayout::Rgba, Layout::Rgba).unwrap_or(image)
        }
        (PixelLayout::Gray | PixelLayout::GrayAlpha, Some(p)) => gray_to_srgb_gray(image, p),
        (_, None) => image,
    }
}

fn transform(
    image: &Bitmap,
    profile: &SourceProfile,
    src_layout: Layout,
    out: PixelLayout,
    dst_layout: Layout,
) -> Option<Bitmap> {
    let srgb = ColorProfile::new_srgb();
    let t = profile.profile.create_transform_8bit(src_layout, &srgb, dst_layout, TransformOptions::default()).ok()?;
    let mut data = vec![0u8; image.width as usize * image.height as usize * out.channels()];
    t.transform(&image.data, &mut data).ok()?;
    Bitmap::new(image.width, image.height, out, data)
}

/// Gray profiles only carry a tone curve; converting through sRGB RGB and keeping one
/// channel maps it onto the sRGB tone curve while the image stays gray.
fn gray_to_srgb_gray(image: Bitmap, profile: &SourceProfile) -> Bitmap {
    let c = image.layout.channels();
    let lum: Vec<u8> = image.data.chunks_exact(c).map(|p| p[0]).collect();
    let Some(lum_img) = Bitmap::new(image.width, image.height, PixelLayout::Gray, lum) else {
        return image;
    };
    let Some(rgb) = transform(&lum_img, profile, Layout::Gray, PixelLayout::Rgb, Layout::Rgb) else {
        return image;
    };
    let mut out = image;
    for (px, rgb) in out.data.chunks_exact_mut(c).zip(rgb.data.chunks_exact(3)) {
        px[0] = rgb[1];
    }
    out
}

fn naive_cmyk_to_rgb(image: &Bitmap) -> Bitmap {
    let data = image
        .data
        .chunks_exact(4)
        .flat_map(|p| {
            let k = 255 - u32::from(p[3]);
            let f = |ink: u8| (((255 - u32::from(ink)) * k + 127) / 255) as u8;
            [f(p[0]), f(p[1]), f(p[2])]
        })
        .collect();
    Bitmap { width: image.width, height: image.height, layout: PixelLayout::Rgb, data }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_profiles_are_ignored() {
        assert!(SourceProfile::parse(b"").is_none());
        assert!(SourceProfile::parse(&[0u8; 500]).is_none());
        assert!(SourceProfile::parse(&vec![0xAB; 5 << 20]).is_none());
    }

    #[test]
    fn naive_cmyk() {
        let img = Bitmap::new(2, 1, PixelLayout::Cmyk, vec![0, 0, 0, 0, 255, 0, 0, 0]).unwrap();
        let rgb = to_srgb(img, None);
        assert_eq!(rgb.data, vec![255, 255, 255, 0, 255, 255]);
    }

    #[test]
    fn display_p3_red_is_out_of_srgb_gamut() {
        let icc = ColorProfile::new_display_p3().encode().unwrap();
        let p = SourceProfile::parse(&icc).unwrap();
        let img = Bitmap::new(1, 1, PixelLayout::Rgb, vec![255, 0, 0]).unwrap();
        let out = to_srgb(img, Some(&p));
        // P3 red is more saturated than sRGB red: it clips to full red with no green/blue,
        // while a P3 mid gray stays gray.
        assert_eq!(out.data[0], 255);
        assert!(out.data[1] < 10 && out.data[2] < 10, "{:?}", out.data);
        let gray = Bitmap::new(1, 1, PixelLayout::Rgb, vec![128, 128, 128]).unwrap();
        let g = to_srgb(gray, Some(&p)).data;
        assert!(g.iter().all(|&v| v.abs_diff(128) <= 1), "{g:?}");
    }
}
