//! Colour management against known colour patches.

mod common;

use common::pixels;
use thumbing::{Options, OutputFormat};

/// A 4x4 PNG of one colour, tagged with `icc`.
fn tagged_png(rgb: [u8; 3], icc: Vec<u8>) -> Vec<u8> {
    let mut info = png::Info::with_size(4, 4);
    info.color_type = png::ColorType::Rgb;
    info.bit_depth = png::BitDepth::Eight;
    info.icc_profile = Some(icc.into());
    let mut out = Vec::new();
    {
        let encoder = png::Encoder::with_info(&mut out, info).unwrap();
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(&rgb.repeat(16)).unwrap();
    }
    out
}

fn avatar_colour(bytes: &[u8]) -> Vec<u8> {
    let px = Options::new().size(2).format(OutputFormat::Png).render(bytes).unwrap().remove(0);
    px.pixel(0, 0).to_vec()
}

#[test]
fn display_p3_is_converted_to_srgb() {
    let p3 = moxcms::ColorProfile::new_display_p3().encode().unwrap();
    // sRGB's pure red is (0.9175, 0.2003, 0.1386) in Display P3: tagged as P3, those values
    // must come out as sRGB red.
    let red = avatar_colour(&tagged_png([234, 51, 35], p3.clone()));
    assert!(red[0] >= 250 && red[1] <= 6 && red[2] <= 6, "P3 (234,51,35) became {red:?}, expected ~(255,0,0)");
    // Untagged, the same values are already sRGB and pass through unchanged.
    let untagged = tagged_png_without_profile([234, 51, 35]);
    assert_eq!(avatar_colour(&untagged), vec![234, 51, 35]);
    // Neutrals stay neutral.
    let gray = avatar_colour(&tagged_png([128, 128, 128], p3));
    assert!(gray.iter().all(|&v| v.abs_diff(128) <= 1), "{gray:?}");
}

fn tagged_png_without_profile(rgb: [u8; 3]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, 4, 4);
        encoder.set_color(png::ColorType::Rgb);
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(&rgb.repeat(16)).unwrap();
    }
    out
}

#[test]
fn corpus_style_fixtures_come_out_in_srgb() {
    // prophoto.png: one pixel tagged ProPhoto RGB. ProPhoto has a much wider gamut, so the
    // sRGB values must differ from the stored ones; the stored values are read untagged.
    let bytes = common::fixture("prophoto.png");
    let stored = {
        let mut decoder = png::Decoder::new(std::io::Cursor::new(&bytes));
        decoder.set_transformations(png::Transformations::normalize_to_color8());
        decoder.set_ignore_iccp_chunk(true);
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        reader.next_frame(&mut buf).unwrap();
        buf[..3].to_vec()
    };
    let converted = pixels(&bytes).pixel(0, 0)[..3].to_vec();
    assert_ne!(stored, converted, "ProPhoto pixel was not converted");
    // Converting the same value through moxcms independently gives the same sRGB colour.
    let profile = moxcms::ColorProfile::new_from_slice(&extract_iccp(&bytes)).unwrap();
    let t = profile
        .create_transform_8bit(
            moxcms::Layout::Rgb,
            &moxcms::ColorProfile::new_srgb(),
            moxcms::Layout::Rgb,
            Default::default(),
        )
        .unwrap();
    let mut expected = [0u8; 3];
    t.transform(&stored, &mut expected).unwrap();
    for (c, e) in converted.iter().zip(expected) {
        assert!(c.abs_diff(e) <= 1, "{converted:?} vs {expected:?}");
    }
}

fn extract_iccp(png_bytes: &[u8]) -> Vec<u8> {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let reader = decoder.read_info().unwrap();
    reader.info().icc_profile.as_ref().unwrap().to_vec()
}
