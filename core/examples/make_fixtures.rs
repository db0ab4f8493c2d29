//! Regenerates the generated files in `fixtures/` (see `fixtures/README.md`).
//!
//! ```text
//! cargo run -p thumbing --example make_fixtures -- ../shared/corpus fixtures
//! ```
//!
//! The orientation set is made from the corpus's `Landscape_1.jpg`: a 300×200 upright copy is
//! stored transformed for each EXIF orientation 1–8, with an EXIF block saying so, so every
//! file displays the same upright picture.

use std::path::PathBuf;

use thumbing::{Fit, Options, Orientation, PixelLayout};

fn exif_with_orientation(value: u16) -> Vec<u8> {
    let mut e = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01".to_vec();
    e.extend_from_slice(&value.to_be_bytes());
    e.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    e
}

fn inverse(o: Orientation) -> Orientation {
    match o {
        Orientation::Rotate90 => Orientation::Rotate270,
        Orientation::Rotate270 => Orientation::Rotate90,
        other => other,
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let corpus = PathBuf::from(args.next().unwrap_or_else(|| "../shared/corpus".into()));
    let out = PathBuf::from(args.next().unwrap_or_else(|| "fixtures".into()));
    let photo = std::fs::read(corpus.join("exif-orientation-examples/Landscape_1.jpg"))?;
    let upright = Options::new().fit(Fit::Inside).boxes([(300, 300)]).render(&photo)?.remove(0);
    assert_eq!(upright.layout, PixelLayout::Rgb);
    for value in 1..=8u16 {
        let o = Orientation::from_exif_value(value);
        let stored = inverse(o).apply(upright.clone());
        let mut jpeg = Vec::new();
        let mut enc = jpeg_encoder::Encoder::new(&mut jpeg, 90);
        enc.add_app_segment(1, exif_with_orientation(value))?;
        enc.encode(&stored.data, stored.width as u16, stored.height as u16, jpeg_encoder::ColorType::Rgb)?;
        std::fs::write(out.join(format!("landscape_{value}.jpg")), jpeg)?;
    }
    // A lossless WebP copy, 150x100.
    let webp =
        Options::new().fit(Fit::Inside).boxes([(150, 150)]).format(thumbing::OutputFormat::WebP).process(&photo)?;
    std::fs::write(out.join("landscape.webp"), &webp[0].data)?;
    // A 64x48 8-bit gray gradient.
    let (w, h) = (64u32, 48u32);
    let gray: Vec<u8> = (0..w * h).map(|i| ((i % w) * 255 / (w - 1)) as u8).collect();
    let mut png_bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut png_bytes, w, h);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut wr = enc.write_header()?;
        wr.write_image_data(&gray)?;
    }
    std::fs::write(out.join("gray.png"), png_bytes)?;
    // A decompression bomb: a valid header declaring 100000x100000 RGBA, and no pixels.
    let mut bomb = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        bomb.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        bomb.extend_from_slice(&body);
        bomb.extend_from_slice(&crc32(&body).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IEND", &[]);
    std::fs::write(out.join("bomb-100000x100000.png"), bomb)?;
    println!("fixtures written to {}", out.display());
    Ok(())
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}
