//! Generators of hostile inputs: files built byte by byte to break parsers, each small enough
//! to make in milliseconds. Shared by `hostile.rs` (categories and time) and `memory.rs`
//! (allocation bounds).

use thumbing::{Options, OutputFormat};

/// One generated file and what thumbing must do with it.
pub struct Case {
    pub name: String,
    pub bytes: Vec<u8>,
    pub expect: Expect,
}

/// The outcome a hostile input must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// An avatar of the requested size.
    Avatar,
    /// An error of this category.
    Error(thumbing::ErrorKind),
    /// Either an avatar or an error of this category (the format leaves it open).
    AvatarOr(thumbing::ErrorKind),
}

fn case(name: impl Into<String>, bytes: Vec<u8>, expect: Expect) -> Case {
    Case { name: name.into(), bytes, expect }
}

// ---------------------------------------------------------------------------------------------
// Byte-level helpers

/// CRC-32 (ISO 3309, as PNG uses it), bit by bit: slow, obviously right, fine for tests.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A PNG chunk: length, type, data, CRC.
pub fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 12);
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc_input = kind.to_vec();
    crc_input.extend_from_slice(data);
    out.extend_from_slice(&crc32(&crc_input).to_be_bytes());
    out
}

/// A `width` × `height` 8-bit gray PNG with a gentle gradient, encoded by the `png` crate.
pub fn png_gray(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().expect("png header");
    let data: Vec<u8> = (0..width as usize * height as usize).map(|i| (i % 251) as u8).collect();
    writer.write_image_data(&data).expect("png data");
    writer.finish().expect("png end");
    out
}

/// Inserts `chunks` right after a PNG's IHDR (before PLTE and IDAT, where metadata goes).
pub fn png_insert_after_ihdr(png: &[u8], chunks: &[u8]) -> Vec<u8> {
    let at = 8 + 25; // signature, then IHDR: length, type, 13 bytes, CRC
    [&png[..at], chunks, &png[at..]].concat()
}

/// Rewrites a PNG's IHDR width and height (and fixes its CRC), leaving the image data alone.
pub fn png_with_size(png: &[u8], width: u32, height: u32) -> Vec<u8> {
    let mut out = png.to_vec();
    out[16..20].copy_from_slice(&width.to_be_bytes());
    out[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32(&out[12..29]);
    out[29..33].copy_from_slice(&crc.to_be_bytes());
    out
}

/// A zlib stream that inflates to `1 + 258 * runs` zero bytes: one literal, then `runs`
/// copies of the longest match at distance 1, in a fixed-Huffman block. 13 bits per 258 bytes
/// of output, so a few hundred kilobytes declare over a hundred megabytes.
pub fn zlib_zeros(runs: usize) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u32,
        n: u32,
    }
    impl Bits {
        fn put(&mut self, value: u32, count: u32) {
            // DEFLATE packs fields from the least significant bit.
            for i in 0..count {
                self.acc |= ((value >> i) & 1) << self.n;
                self.n += 1;
                if self.n == 8 {
                    self.out.push(self.acc as u8);
                    (self.acc, self.n) = (0, 0);
                }
            }
        }
        fn code(&mut self, code: u32, len: u32) {
            // ... but Huffman codes from their most significant bit.
            for i in (0..len).rev() {
                self.put((code >> i) & 1, 1);
            }
        }
    }
    let mut bits = Bits { out: vec![0x78, 0x01], acc: 0, n: 0 };
    bits.put(1, 1); // BFINAL
    bits.put(1, 2); // BTYPE = fixed Huffman
    bits.code(0x30, 8); // literal 0
    for _ in 0..runs {
        bits.code(0xC5, 8); // length code 285: 258 bytes
        bits.code(0, 5); // distance code 0: distance 1
    }
    bits.code(0, 7); // end of block
    if bits.n > 0 {
        bits.out.push(bits.acc as u8);
    }
    let total = 1 + 258 * runs as u64;
    let adler = ((total % 65521) << 16) | 1;
    bits.out.extend_from_slice(&(adler as u32).to_be_bytes());
    bits.out
}

/// A zlib stream holding `data` in stored (uncompressed) blocks.
pub fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let chunks: Vec<&[u8]> = if data.is_empty() { vec![&[][..]] } else { data.chunks(65535).collect() };
    for (i, block) in chunks.iter().enumerate() {
        out.push(u8::from(i + 1 == chunks.len()));
        let len = block.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    out.extend_from_slice(&((b << 16) | a).to_be_bytes());
    out
}

/// A `width` × `height` gray JPEG from the `jpeg-encoder` crate, with APP segments added.
pub fn jpeg_gray(width: u16, height: u16, progressive: bool, app: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 75);
    encoder.set_progressive(progressive);
    for (nr, data) in app {
        encoder.add_app_segment(*nr, data.clone()).expect("app segment");
    }
    let data: Vec<u8> = (0..usize::from(width) * usize::from(height)).map(|i| (i % 7 * 30) as u8).collect();
    encoder.encode(&data, width, height, jpeg_encoder::ColorType::Luma).expect("jpeg");
    out
}

/// A flat (single-colour) gray JPEG: its scans are almost empty, so it stays small at any size.
pub fn jpeg_flat(width: u16, height: u16, progressive: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 75);
    encoder.set_progressive(progressive);
    let data = vec![128u8; usize::from(width) * usize::from(height)];
    encoder.encode(&data, width, height, jpeg_encoder::ColorType::Luma).expect("jpeg");
    out
}

/// The JPEG segments as (offset of the marker, marker, offset just past the segment, where
/// entropy-coded data after an SOS is counted as part of that SOS).
pub fn jpeg_segments(jpeg: &[u8]) -> Vec<(usize, u8, usize)> {
    let mut out = Vec::new();
    let mut pos = 2;
    while pos + 4 <= jpeg.len() && jpeg[pos] == 0xFF {
        let marker = jpeg[pos + 1];
        if marker == 0xD9 {
            out.push((pos, marker, pos + 2));
            break;
        }
        let len = usize::from(u16::from_be_bytes([jpeg[pos + 2], jpeg[pos + 3]]));
        let mut end = pos + 2 + len;
        if marker == 0xDA {
            // Entropy-coded data runs to the next marker that is not a stuffed 0xFF00 or RSTn.
            while end + 1 < jpeg.len()
                && !(jpeg[end] == 0xFF && jpeg[end + 1] != 0 && !(0xD0..=0xD7).contains(&jpeg[end + 1]))
            {
                end += 1;
            }
        }
        out.push((pos, marker, end));
        pos = end;
    }
    out
}

/// A JPEG APP segment's bytes, as the encoder would write them, for splicing.
pub fn jpeg_segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0xFF, marker];
    out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// Inserts segments right after SOI.
pub fn jpeg_insert_after_soi(jpeg: &[u8], segments: &[u8]) -> Vec<u8> {
    [&jpeg[..2], segments, &jpeg[2..]].concat()
}

/// A TIFF/EXIF block (little-endian) from raw bytes after the 8-byte header pointing at `ifd0`.
pub fn exif_le(ifd0: u32, body: &[u8]) -> Vec<u8> {
    let mut out = b"Exif\0\0II*\0".to_vec();
    out.extend_from_slice(&ifd0.to_le_bytes());
    out.extend_from_slice(body);
    out
}

/// One little-endian IFD entry.
pub fn ifd_entry(tag: u16, kind: u16, count: u32, value: u32) -> Vec<u8> {
    [tag.to_le_bytes().as_slice(), &kind.to_le_bytes(), &count.to_le_bytes(), &value.to_le_bytes()].concat()
}

/// A valid ICC profile (Display P3) to corrupt.
pub fn icc_display_p3() -> Vec<u8> {
    moxcms::ColorProfile::new_display_p3().encode().expect("icc")
}

/// An ICC profile split into JPEG APP2 segments (at most 255 of them).
pub fn jpeg_icc_segments(icc: &[u8], chunk: usize) -> Vec<u8> {
    let chunks: Vec<&[u8]> = icc.chunks(chunk).collect();
    let count = chunks.len().min(255) as u8;
    let mut out = Vec::new();
    for (i, c) in chunks.iter().enumerate() {
        let mut payload = b"ICC_PROFILE\0".to_vec();
        payload.push((i + 1).min(255) as u8);
        payload.push(count);
        payload.extend_from_slice(c);
        out.extend(jpeg_segment(0xE2, &payload));
    }
    out
}

/// A GIF89a of a `sw` × `sh` logical screen holding one frame of `fw` × `fh` at (`left`,
/// `top`), whose image data is a single pixel: complete for a 1×1 frame, truncated otherwise.
pub fn gif_frame(sw: u16, sh: u16, left: u16, top: u16, fw: u16, fh: u16) -> Vec<u8> {
    let mut out = b"GIF89a".to_vec();
    out.extend_from_slice(&sw.to_le_bytes());
    out.extend_from_slice(&sh.to_le_bytes());
    out.extend_from_slice(&[0x80, 0, 0]); // global colour table of 2 entries
    out.extend_from_slice(&[0, 0, 0, 255, 255, 255]);
    out.push(0x2C); // image descriptor
    for v in [left, top, fw, fh] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.push(0);
    // LZW, minimum code size 2: clear (4), index 1, end (5), packed in 3-bit codes.
    out.extend_from_slice(&[2, 2, 0x4C, 0x01, 0]);
    out.push(0x3B);
    out
}

/// A lossless WebP made by thumbing itself from a small PNG.
pub fn webp_lossless(width: u32, height: u32) -> Vec<u8> {
    let png = png_gray(width, height);
    Options::new()
        .boxes([(width, height)])
        .format(OutputFormat::WebPLossless)
        .process(&png)
        .expect("webp")
        .remove(0)
        .data
}

/// Wraps a simple-format WebP's image chunk in an extended (VP8X) file declaring its own
/// canvas size.
pub fn webp_with_vp8x(simple: &[u8], canvas_w: u32, canvas_h: u32) -> Vec<u8> {
    let image_chunk = &simple[12..];
    let mut vp8x = b"VP8X".to_vec();
    vp8x.extend_from_slice(&10u32.to_le_bytes());
    vp8x.extend_from_slice(&[0, 0, 0, 0]);
    vp8x.extend_from_slice(&(canvas_w - 1).to_le_bytes()[..3]);
    vp8x.extend_from_slice(&(canvas_h - 1).to_le_bytes()[..3]);
    let body = [b"WEBP".as_slice(), &vp8x, image_chunk].concat();
    [b"RIFF".as_slice(), &(body.len() as u32).to_le_bytes(), &body].concat()
}

// ---------------------------------------------------------------------------------------------
// The cases

/// The SOF segment of a JPEG: (offset of its marker, marker).
fn jpeg_sof(jpeg: &[u8]) -> usize {
    jpeg_segments(jpeg).iter().find(|s| matches!(s.1, 0xC0..=0xC2)).expect("SOF").0
}

/// A JPEG whose frame header declares `width` × `height` over the data of a small image.
fn jpeg_with_size(width: u16, height: u16) -> Vec<u8> {
    let mut jpeg = jpeg_gray(8, 8, false, &[]);
    let sof = jpeg_sof(&jpeg);
    jpeg[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    jpeg[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    jpeg
}

/// A JPEG whose last scan is repeated until the file has `scans` scans.
fn jpeg_many_scans(base: &[u8], scans: usize) -> Vec<u8> {
    let segments = jpeg_segments(base);
    let sos: Vec<_> = segments.iter().filter(|s| s.1 == 0xDA).collect();
    let last = sos.last().expect("SOS");
    let repeat = &base[last.0..last.2];
    let mut out = base[..last.2].to_vec();
    for _ in sos.len()..scans {
        out.extend_from_slice(repeat);
    }
    out.extend_from_slice(&base[last.2..]);
    out
}

/// Everything `hostile.rs` feeds to the pipeline.
pub fn cases() -> Vec<Case> {
    use thumbing::ErrorKind::{Corrupt, TooLarge, UnsupportedFormat};
    // Extreme aspect ratios at the format's largest side.
    let mut cases = vec![
        case("png 1x65535", png_gray(1, 65535), Expect::Avatar),
        case("png 65535x1", png_gray(65535, 1), Expect::Avatar),
        case("jpeg 1x65535", jpeg_gray(1, 65535, false, &[]), Expect::Avatar),
        case("jpeg 65535x1", jpeg_gray(65535, 1, false, &[]), Expect::Avatar),
        case("progressive jpeg 65535x1", jpeg_gray(65535, 1, true, &[]), Expect::Avatar),
    ];

    // Zero width or height, per format.
    let small_png = png_gray(4, 4);
    cases.push(case("png width 0", png_with_size(&small_png, 0, 4), Expect::Error(Corrupt)));
    cases.push(case("png height 0", png_with_size(&small_png, 4, 0), Expect::Error(Corrupt)));
    cases.push(case("jpeg width 0", jpeg_with_size(0, 8), Expect::Error(Corrupt)));
    // Height 0 is legal JPEG (the height comes later, in a DNL marker) but not supported.
    cases.push(case("jpeg height 0", jpeg_with_size(8, 0), Expect::Error(UnsupportedFormat)));
    cases.push(case("gif screen 0x0", gif_frame(0, 0, 0, 0, 1, 1), Expect::Error(Corrupt)));
    cases.push(case("gif screen 0x5", gif_frame(0, 5, 0, 0, 1, 1), Expect::Error(Corrupt)));
    let mut vp8 = b"RIFF\0\0\0\0WEBPVP8 \x0a\0\0\0".to_vec();
    vp8.extend_from_slice(&[0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0, 0, 8, 0]); // key frame, width 0
    let riff_len = (vp8.len() - 8) as u32;
    vp8[4..8].copy_from_slice(&riff_len.to_le_bytes());
    cases.push(case("webp lossy width 0", vp8, Expect::Error(Corrupt)));

    // Many chunks, bombs and lies in PNG.
    let base = png_gray(16, 16);
    let tiny: Vec<u8> = (0..100_000).flat_map(|_| png_chunk(b"tiNy", &[])).collect();
    cases.push(case("png 100000 empty ancillary chunks", png_insert_after_ihdr(&base, &tiny), Expect::Avatar));
    let texts: Vec<u8> = (0..100_000).flat_map(|_| png_chunk(b"tEXt", b"k\0v")).collect();
    cases.push(case("png 100000 tEXt chunks", png_insert_after_ihdr(&base, &texts), Expect::Avatar));
    let exifs: Vec<u8> = (0..100_000).flat_map(|_| png_chunk(b"eXIf", b"MM\0*\0\0\0\x08\0\0")).collect();
    cases.push(case("png 100000 eXIf chunks", png_insert_after_ihdr(&base, &exifs), Expect::AvatarOr(Corrupt)));
    let bomb = zlib_zeros(400_000); // ~650 kB inflating to 103 MB
    let ztxt = png_chunk(b"zTXt", &[b"Comment\0\0".as_slice(), &bomb].concat());
    cases.push(case("png zTXt zlib bomb (103 MB)", png_insert_after_ihdr(&base, &ztxt), Expect::Avatar));
    let itxt = png_chunk(b"iTXt", &[b"Comment\0\x01\0\0\0".as_slice(), &bomb].concat());
    cases.push(case("png iTXt zlib bomb (103 MB)", png_insert_after_ihdr(&base, &itxt), Expect::Avatar));
    let iccp = png_chunk(b"iCCP", &[b"bomb\0\0".as_slice(), &bomb].concat());
    cases.push(case("png iCCP zlib bomb (103 MB)", png_insert_after_ihdr(&base, &iccp), Expect::Avatar));
    let iccp_small = png_chunk(b"iCCP", &[b"bomb\0\0".as_slice(), &zlib_zeros(20_000)].concat());
    cases.push(case("png iCCP zlib bomb (5 MB)", png_insert_after_ihdr(&base, &iccp_small), Expect::Avatar));
    let mut huge_len = base.clone();
    huge_len.splice(33..33, [0x7F, 0xFF, 0xFF, 0xF0, b't', b'i', b'N', b'y']);
    cases.push(case("png chunk declaring 2 GiB", huge_len, Expect::Error(Corrupt)));
    let mut huge_iccp = base.clone();
    huge_iccp.splice(33..33, [0x7F, 0xFF, 0xFF, 0xF0, b'i', b'C', b'C', b'P', b'x', 0, 0]);
    cases.push(case("png iCCP declaring 2 GiB", huge_iccp, Expect::Error(Corrupt)));
    let mut over = base.clone();
    over.splice(33..33, [0xFF, 0xFF, 0xFF, 0xFF, b'e', b'X', b'I', b'f']);
    cases.push(case("png eXIf declaring 4 GiB", over, Expect::Error(Corrupt)));
    let idats: Vec<u8> = (0..100_000).flat_map(|_| png_chunk(b"IDAT", &[])).collect();
    let first_idat = base.windows(4).position(|w| w == b"IDAT").expect("IDAT") - 4;
    let mut many_idat = base.clone();
    many_idat.splice(first_idat..first_idat, idats);
    cases.push(case("png 100000 empty IDAT chunks", many_idat, Expect::Avatar));
    cases.push(case(
        "png 100000x100000 of 16x16 data",
        png_with_size(&base, 100_000, 100_000),
        Expect::Error(TooLarge),
    ));
    cases.push(case("png 10000x10000 of 16x16 data", png_with_size(&base, 10_000, 10_000), Expect::Error(Corrupt)));

    // Scans, scans, scans: each scan of a flat 1024x1024 image is ~8 kB and a pass over
    // 16384 blocks.
    let progressive = jpeg_flat(1024, 1024, true);
    cases.push(case("progressive jpeg, 3000 scans", jpeg_many_scans(&progressive, 3000), Expect::Error(TooLarge)));
    cases.push(case("progressive jpeg, 100 scans", jpeg_many_scans(&progressive, 100), Expect::AvatarOr(Corrupt)));
    // 12-bit frames go to the other decoder (jpeg-decoder), which has no scan limit of its own.
    let mut twelve_bit = progressive.clone();
    let sof = jpeg_sof(&twelve_bit);
    twelve_bit[sof + 4] = 12;
    cases.push(case(
        "12-bit progressive jpeg, 3000 scans",
        jpeg_many_scans(&twelve_bit, 3000),
        Expect::Error(TooLarge),
    ));
    let baseline = jpeg_flat(1024, 1024, false);
    cases.push(case("baseline jpeg, 3000 scans", jpeg_many_scans(&baseline, 3000), Expect::Error(TooLarge)));

    // EXIF: loops, offsets and counts out of range.
    let orientation6 = ifd_entry(0x0112, 3, 1, 6);
    let looped = [&1u16.to_le_bytes()[..], &orientation6, &8u32.to_le_bytes()].concat(); // next IFD = itself
    let exif_cases = [
        ("exif IFD0 pointing at itself", exif_le(8, &looped)),
        ("exif IFD0 beyond the end", exif_le(0xFFFF_FFF0, &[])),
        ("exif 65535 entries in 10 bytes", exif_le(8, &[0xFF, 0xFF, 0x12, 0x01, 3, 0, 1, 0, 0, 0])),
        (
            "exif orientation with count 2^32-1 and far offset",
            exif_le(8, &[&1u16.to_le_bytes()[..], &ifd_entry(0x0112, 3, u32::MAX, 0xFFFF_FF00), &[0; 4]].concat()),
        ),
        (
            "exif orientation of type LONG 2^32-1",
            exif_le(8, &[&1u16.to_le_bytes()[..], &ifd_entry(0x0112, 4, 1, u32::MAX), &[0; 4]].concat()),
        ),
        ("exif with a truncated header", b"Exif\0\0II*".to_vec()),
    ];
    for (name, exif) in exif_cases {
        let jpeg = jpeg_insert_after_soi(&jpeg_gray(64, 48, false, &[]), &jpeg_segment(0xE1, &exif));
        cases.push(case(format!("jpeg {name}"), jpeg, Expect::Avatar));
        let png = png_insert_after_ihdr(&base, &png_chunk(b"eXIf", &exif[6..]));
        cases.push(case(format!("png {name}"), png, Expect::Avatar));
    }

    // ICC profiles: huge, or malformed.
    let photo = jpeg_gray(64, 48, false, &[]);
    let mut huge_icc = icc_display_p3();
    huge_icc.resize(10 << 20, 0);
    huge_icc[0..4].copy_from_slice(&(10u32 << 20).to_be_bytes());
    cases.push(case(
        "jpeg 10 MB ICC in 161 APP2 segments",
        jpeg_insert_after_soi(&photo, &jpeg_icc_segments(&huge_icc, 65519)),
        Expect::Avatar,
    ));
    let icc = icc_display_p3();
    let mut tag_count = icc.clone();
    tag_count[128..132].copy_from_slice(&u32::MAX.to_be_bytes());
    let mut truncated = icc[..140].to_vec();
    truncated[128..132].copy_from_slice(&20u32.to_be_bytes());
    let mut far_tag = icc.clone();
    far_tag[136..140].copy_from_slice(&0xFFFF_FF00u32.to_be_bytes()); // first tag's offset
    far_tag[140..144].copy_from_slice(&0x00FF_FFFFu32.to_be_bytes()); // ... and size
    let mut size_lie = icc.clone();
    size_lie[0..4].copy_from_slice(&u32::MAX.to_be_bytes());
    for (name, icc) in [
        ("absurd tag count", tag_count),
        ("truncated tag table", truncated),
        ("tag far beyond the end", far_tag),
        ("declared size 4 GiB", size_lie),
    ] {
        let jpeg = jpeg_insert_after_soi(&photo, &jpeg_icc_segments(&icc, 65519));
        cases.push(case(format!("jpeg ICC with {name}"), jpeg, Expect::Avatar));
        let rgb = Options::new().boxes([(16, 16)]).format(OutputFormat::Png).process(&webp_lossless(16, 16));
        let png = rgb.expect("rgb png").remove(0).data;
        let iccp = png_chunk(b"iCCP", &[b"icc\0\0".as_slice(), &zlib_stored(&icc)].concat());
        cases.push(case(format!("png ICC with {name}"), png_insert_after_ihdr(&png, &iccp), Expect::Avatar));
    }

    // GIF: a huge logical screen around a tiny frame, and the other way round.
    cases.push(case("gif 65535x65535 screen, 1x1 frame", gif_frame(65535, 65535, 0, 0, 1, 1), Expect::Error(TooLarge)));
    cases.push(case("gif 4000x4000 screen, 1x1 frame", gif_frame(4000, 4000, 3999, 3999, 1, 1), Expect::Avatar));
    cases.push(case("gif 16x16 screen, frame far outside", gif_frame(16, 16, 65000, 65000, 1, 1), Expect::Avatar));
    cases.push(case("gif 1x1 screen, 65535x65535 frame", gif_frame(1, 1, 0, 0, 65535, 65535), Expect::Error(TooLarge)));
    cases.push(case("gif 1x1 screen, 10000x10000 frame", gif_frame(1, 1, 0, 0, 10000, 10000), Expect::Error(Corrupt)));
    cases.push(case("gif 16x16 screen, 0x0 frame", gif_frame(16, 16, 0, 0, 0, 0), Expect::AvatarOr(Corrupt)));

    // WebP: the VP8X canvas disagrees with the bitstream.
    let webp = webp_lossless(16, 16);
    cases.push(case("webp canvas larger than bitstream", webp_with_vp8x(&webp, 100, 100), Expect::Error(Corrupt)));
    cases.push(case("webp canvas smaller than bitstream", webp_with_vp8x(&webp, 4, 4), Expect::Error(Corrupt)));
    cases.push(case("webp canvas 10000x10000", webp_with_vp8x(&webp, 10000, 10000), Expect::Error(Corrupt)));
    cases.push(case("webp canvas 16777216^2", webp_with_vp8x(&webp, 1 << 24, 1 << 24), Expect::Error(TooLarge)));
    // Metadata chunks whose declared length runs far past the end of the file.
    for kind in [b"ICCP", b"EXIF"] {
        let mut lie = webp_with_vp8x(&webp, 16, 16);
        lie.extend_from_slice(kind);
        lie.extend_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
        lie.extend_from_slice(&[0; 16]);
        lie[4..8].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
        let name = format!("webp {} chunk declaring 4 GiB", String::from_utf8_lossy(kind));
        cases.push(case(name, lie, Expect::AvatarOr(Corrupt)));
    }
    cases
}
