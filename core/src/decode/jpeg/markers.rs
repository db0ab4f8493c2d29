//! Marker segments (ITU-T T.81 Annex B): the one walk over a file's markers up to its first
//! scan ([`read_header`], which probing and decoding share), walking from one marker to the
//! next, and parsing the tables (DQT, DHT, DRI), the frame header (SOFn) and the scan headers
//! (SOS). Anything thumbing's decoder does not cover is [`Unsupported`].

use super::arithmetic::Conditioning;
use super::huffman::{HuffmanTable, Unsupported};
use crate::color::MAX_ICC_BYTES;
use crate::error::{Error, Result};
use crate::warning::{WarningKind, Warnings};

/// Natural (row-major) index of each zigzag position (T.81 Figure A.6), computed by walking
/// the anti-diagonals: odd diagonals run top-right to bottom-left, even ones the other way.
pub(crate) const ZIGZAG: [u8; 64] = {
    let mut table = [0u8; 64];
    let mut k = 0;
    let mut diagonal = 0;
    while diagonal < 15 {
        let first_row = if diagonal > 7 { diagonal - 7 } else { 0 };
        let last_row = if diagonal < 7 { diagonal } else { 7 };
        let mut i = 0;
        while i <= last_row - first_row {
            let row = if diagonal % 2 == 1 { first_row + i } else { last_row - i };
            table[k] = (row * 8 + (diagonal - row)) as u8;
            k += 1;
            i += 1;
        }
        diagonal += 1;
    }
    table
};

/// The kind of frame declared by the SOFn marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FrameKind {
    Baseline,
    Extended,
    Progressive,
    Lossless,
}

/// What the marker walk finds before the first scan: the one parse of a file's markers,
/// which the probe reports from and every decoder starts from.
#[derive(Debug, Clone)]
pub(crate) struct Header<'a> {
    pub kind: FrameKind,
    /// Arithmetic entropy coding (SOF9, SOF10) rather than Huffman coding.
    pub arithmetic: bool,
    pub precision: u8,
    pub width: u32,
    pub height: u32,
    pub components: u8,
    pub exif: Option<&'a [u8]>,
    /// ICC profile chunks from APP2 segments, as (sequence number, chunk count, data).
    pub icc_chunks: Vec<(u8, u8, &'a [u8])>,
    /// The frame header: its marker and body.
    pub sof: (u8, &'a [u8]),
    /// The table segments (DQT, DHT, DRI) before the first scan, in order: marker and body.
    pub tables: Vec<(u8, &'a [u8])>,
    /// Whether a JFIF (APP0) marker was seen: its components are YCbCr.
    pub jfif: bool,
    /// The transform flag of an Adobe (APP14) marker, when there is one.
    pub adobe_transform: Option<u8>,
    /// Where the first scan's SOS marker starts (the end of the data when there is none).
    pub first_scan: usize,
    /// The damage the walk recovered from: junk between markers, a malformed EXIF block.
    pub warnings: Warnings,
}

impl Header<'_> {
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

pub(super) fn corrupt(what: impl std::fmt::Display) -> Error {
    Error::corrupt("jpeg", what)
}

/// Walks the markers up to the first SOS. Reads only what the segment lengths allow.
pub(crate) fn read_header(bytes: &[u8]) -> Result<Header<'_>> {
    let mut frame = None;
    let mut exif = None;
    let mut icc_chunks = Vec::new();
    let mut tables = Vec::new();
    let (mut jfif, mut adobe_transform) = (false, None);
    let mut first_scan = bytes.len();
    let mut warnings = Warnings::default();
    let mut pos = 2; // after SOI
    loop {
        // Markers may be preceded by any number of 0xFF fill bytes.
        while bytes.get(pos) == Some(&0xFF) && bytes.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        let marker = match (bytes.get(pos), bytes.get(pos + 1)) {
            (Some(&0xFF), Some(&marker)) if marker != 0 => marker,
            (Some(_), Some(_)) => match skip_extraneous(bytes, pos, &mut warnings) {
                Some(next) => {
                    pos = next;
                    continue;
                }
                None => break,
            },
            _ => break,
        };
        let start = pos;
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
                let block = segment.get(6..).unwrap_or_default();
                if crate::orient::exif_is_malformed(block) {
                    warnings.push(
                        WarningKind::Metadata,
                        "jpeg: the EXIF block is malformed and was ignored (orientation taken as upright)",
                        Some(pos - segment.len()),
                    );
                }
                exif = Some(block);
            }
            0xE2 if segment.starts_with(b"ICC_PROFILE\0") && segment.len() > 14 => {
                icc_chunks.push((segment[12], segment[13], &segment[14..]));
            }
            0xE0 if segment.starts_with(b"JFIF\0") => jfif = true,
            0xEE if segment.starts_with(b"Adobe") => adobe_transform = segment.get(11).copied(),
            0xC4 | 0xCC | 0xDB | 0xDD => tables.push((marker, segment)),
            0xDA => {
                first_scan = start;
                break;
            }
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
        0xC1 | 0xC9 => FrameKind::Extended,
        0xC2 | 0xCA => FrameKind::Progressive,
        0xC3 => FrameKind::Lossless,
        0xCB => {
            return Err(Error::UnsupportedFormat("lossless arithmetic-coded JPEG is not supported".into()));
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
    Ok(Header {
        kind,
        arithmetic: matches!(marker, 0xC9 | 0xCA),
        precision,
        width,
        height,
        components,
        exif,
        icc_chunks,
        sof: (marker, sof),
        tables,
        jfif,
        adobe_transform,
        first_scan,
        warnings,
    })
}

/// Bytes where a marker should be (libjpeg: "extraneous bytes before marker"): skipped to
/// the next marker with a warning. Returns where it starts; `None` when none follows.
#[cold]
fn skip_extraneous(bytes: &[u8], pos: usize, warnings: &mut Warnings) -> Option<usize> {
    let mut at = pos;
    let next = loop {
        at = find_ff(bytes, at)?;
        while bytes.get(at + 1) == Some(&0xFF) {
            at += 1;
        }
        match bytes.get(at + 1) {
            Some(0x00) => at += 2,
            Some(_) => break at,
            None => return None,
        }
    };
    warnings.push(
        WarningKind::ExtraneousBytes,
        format!("jpeg: {} extraneous bytes before marker 0x{:02X} skipped", next - pos, bytes[next + 1]),
        Some(pos),
    );
    Some(next)
}

/// One marker segment: the marker byte and its body (without the length field).
pub(crate) struct Segment<'a> {
    pub marker: u8,
    pub body: &'a [u8],
    /// Where the next marker (or the entropy-coded data of a scan) starts.
    pub end: usize,
}

/// Reads the marker segment at `pos`, skipping fill bytes before it.
pub(crate) fn segment(bytes: &[u8], mut pos: usize) -> std::result::Result<Segment<'_>, Unsupported> {
    while bytes.get(pos) == Some(&0xFF) && bytes.get(pos + 1) == Some(&0xFF) {
        pos += 1;
    }
    if bytes.get(pos) != Some(&0xFF) {
        return Err(Unsupported);
    }
    let marker = *bytes.get(pos + 1).ok_or(Unsupported)?;
    pos += 2;
    // Markers without a length.
    if matches!(marker, 0xD0..=0xD9 | 0x01) {
        return Ok(Segment { marker, body: &[], end: pos });
    }
    let len = bytes.get(pos..pos + 2).map(|b| usize::from(u16::from_be_bytes([b[0], b[1]]))).ok_or(Unsupported)?;
    let body = bytes.get(pos + 2..pos + len).filter(|_| len >= 2).ok_or(Unsupported)?;
    Ok(Segment { marker, body, end: pos + len })
}

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
            match next_marker(bytes, pos) {
                Some(next) => pos = next,
                None => break,
            }
        }
    }
    scans
}

/// The position of the next marker at or after `pos` that ends entropy-coded data: an
/// `0xFF` not followed by a stuffed zero, a fill byte or a restart marker. `None` at the end.
pub(crate) fn next_marker(bytes: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        pos = find_ff(bytes, pos)?;
        match *bytes.get(pos + 1)? {
            0x00 | 0xD0..=0xD7 | 0xFF => pos += 1,
            _ => return Some(pos),
        }
    }
}

/// The position of the first `0xFF` byte at or after `pos`, eight bytes at a time (the
/// look-ahead over a progressive file's scans reads every byte of it).
pub(crate) fn find_ff(bytes: &[u8], pos: usize) -> Option<usize> {
    let rest = bytes.get(pos..)?;
    let mut chunks = rest.chunks_exact(8);
    for (i, chunk) in chunks.by_ref().enumerate() {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        // A byte of `!word` is zero exactly where `word` has 0xFF (the classic bit trick).
        let inverted = !word;
        let found = inverted.wrapping_sub(0x0101_0101_0101_0101) & !inverted & 0x8080_8080_8080_8080;
        if found != 0 {
            return Some(pos + i * 8 + (found.trailing_zeros() / 8) as usize);
        }
    }
    let tail = chunks.remainder();
    tail.iter().position(|&b| b == 0xFF).map(|at| pos + rest.len() - tail.len() + at)
}

/// The tables in force: quantisation tables (natural order), Huffman tables, arithmetic
/// conditioning and the restart interval. Later segments replace earlier ones.
#[derive(Default)]
pub(crate) struct Tables {
    pub quant: [Option<[u16; 64]>; 4],
    pub dc: [Option<HuffmanTable>; 4],
    pub ac: [Option<HuffmanTable>; 4],
    pub conditioning: Conditioning,
    pub restart_interval: u16,
}

impl Tables {
    /// Reads a DQT, DHT, DAC or DRI segment.
    pub fn read(&mut self, marker: u8, body: &[u8]) -> std::result::Result<(), Unsupported> {
        match marker {
            0xDB => self.read_dqt(body),
            0xC4 => self.read_dht(body),
            0xCC => self.conditioning.read_dac(body),
            0xDD => self.read_dri(body),
            _ => Err(Unsupported),
        }
    }

    /// DQT (T.81 B.2.4.1): one or more tables, 8- or 16-bit entries in zigzag order.
    pub fn read_dqt(&mut self, mut body: &[u8]) -> std::result::Result<(), Unsupported> {
        while let Some((&pq_tq, rest)) = body.split_first() {
            let (precision, id) = (pq_tq >> 4, usize::from(pq_tq & 15));
            let size = if precision == 0 { 64 } else { 128 };
            if precision > 1 || id > 3 || rest.len() < size {
                return Err(Unsupported);
            }
            let mut table = [0u16; 64];
            for (k, &natural) in ZIGZAG.iter().enumerate() {
                let q = if precision == 0 {
                    u16::from(rest[k])
                } else {
                    u16::from_be_bytes([rest[2 * k], rest[2 * k + 1]])
                };
                table[usize::from(natural)] = q;
            }
            if table.contains(&0) {
                return Err(Unsupported);
            }
            self.quant[id] = Some(table);
            body = &rest[size..];
        }
        Ok(())
    }

    /// DHT (T.81 B.2.4.2): one or more tables.
    pub fn read_dht(&mut self, mut body: &[u8]) -> std::result::Result<(), Unsupported> {
        while let Some((&tc_th, rest)) = body.split_first() {
            let (class, id) = (tc_th >> 4, usize::from(tc_th & 15));
            if class > 1 || id > 3 || rest.len() < 16 {
                return Err(Unsupported);
            }
            let counts: [u8; 16] = rest[..16].try_into().map_err(|_| Unsupported)?;
            let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
            let symbols = rest.get(16..16 + total).ok_or(Unsupported)?;
            let table = HuffmanTable::new(&counts, symbols)?;
            if class == 0 {
                self.dc[id] = Some(table);
            } else {
                self.ac[id] = Some(table);
            }
            body = &rest[16 + total..];
        }
        Ok(())
    }

    /// DRI (T.81 B.2.4.4).
    pub fn read_dri(&mut self, body: &[u8]) -> std::result::Result<(), Unsupported> {
        let b: [u8; 2] = body.try_into().map_err(|_| Unsupported)?;
        self.restart_interval = u16::from_be_bytes(b);
        Ok(())
    }
}

/// A component as declared by the frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ComponentSpec {
    pub id: u8,
    pub h: usize,
    pub v: usize,
    pub quant: usize,
}

/// The frame header (T.81 B.2.2), restricted to what the scaled decoder covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FrameHeader {
    pub progressive: bool,
    /// Arithmetic entropy coding.
    pub arithmetic: bool,
    pub width: usize,
    pub height: usize,
    pub components: Vec<ComponentSpec>,
}

impl FrameHeader {
    /// Parses SOF0 (baseline), SOF1 (extended sequential, Huffman), SOF2 (progressive,
    /// Huffman), SOF9 (sequential, arithmetic) or SOF10 (progressive, arithmetic) with 8-bit
    /// samples and one, three or four components with distinct ids and sampling factors 1
    /// to 4.
    pub fn read(marker: u8, body: &[u8]) -> std::result::Result<FrameHeader, Unsupported> {
        let (progressive, arithmetic) = match marker {
            0xC0 | 0xC1 => (false, false),
            0xC2 => (true, false),
            0xC9 => (false, true),
            0xCA => (true, true),
            _ => return Err(Unsupported),
        };
        if body.len() < 6 || body[0] != 8 {
            return Err(Unsupported);
        }
        let height = usize::from(u16::from_be_bytes([body[1], body[2]]));
        let width = usize::from(u16::from_be_bytes([body[3], body[4]]));
        let count = usize::from(body[5]);
        if width == 0 || height == 0 || !matches!(count, 1 | 3 | 4) || body.len() != 6 + 3 * count {
            return Err(Unsupported);
        }
        let mut components: Vec<ComponentSpec> = body[6..]
            .chunks_exact(3)
            .map(|c| ComponentSpec {
                id: c[0],
                h: usize::from(c[1] >> 4),
                v: usize::from(c[1] & 15),
                quant: usize::from(c[2]),
            })
            .collect();
        if components.iter().any(|c| c.quant > 3 || !(1..=4).contains(&c.h) || !(1..=4).contains(&c.v)) {
            return Err(Unsupported);
        }
        for (i, c) in components.iter().enumerate() {
            if components[..i].iter().any(|earlier| earlier.id == c.id) {
                return Err(Unsupported); // scans could not tell the components apart
            }
        }
        if count == 1 {
            // A lone component is always coded block by block; its factors do not matter.
            components[0].h = 1;
            components[0].v = 1;
        }
        Ok(FrameHeader { progressive, arithmetic, width, height, components })
    }

    /// The largest sampling factors.
    pub fn max_factors(&self) -> (usize, usize) {
        let h = self.components.iter().map(|c| c.h).max().unwrap_or(1);
        let v = self.components.iter().map(|c| c.v).max().unwrap_or(1);
        (h, v)
    }
}

/// A scan header (T.81 B.2.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ScanHeader {
    /// (index into the frame's components, DC table, AC table).
    pub components: Vec<(usize, usize, usize)>,
    pub ss: usize,
    pub se: usize,
    pub ah: u32,
    pub al: u32,
}

impl ScanHeader {
    /// Parses and checks an SOS body against the frame.
    pub fn read(body: &[u8], frame: &FrameHeader) -> std::result::Result<ScanHeader, Unsupported> {
        let count = usize::from(*body.first().ok_or(Unsupported)?);
        if count == 0 || count > frame.components.len() || body.len() != 1 + 2 * count + 3 {
            return Err(Unsupported);
        }
        let mut components = Vec::with_capacity(count);
        for c in body[1..1 + 2 * count].chunks_exact(2) {
            let index = frame.components.iter().position(|f| f.id == c[0]).ok_or(Unsupported)?;
            let (dc, ac) = (usize::from(c[1] >> 4), usize::from(c[1] & 15));
            // Components appear in frame order, each once.
            if dc > 3 || ac > 3 || components.last().is_some_and(|&(last, _, _)| last >= index) {
                return Err(Unsupported);
            }
            components.push((index, dc, ac));
        }
        let tail = &body[1 + 2 * count..];
        let (ss, se, ah, al) =
            (usize::from(tail[0]), usize::from(tail[1]), u32::from(tail[2] >> 4), u32::from(tail[2] & 15));
        let valid = if frame.progressive {
            let dc_scan = ss == 0 && se == 0;
            let ac_scan = ss >= 1 && ss <= se && se <= 63 && count == 1;
            (dc_scan || ac_scan) && ah <= 13 && al <= 13
        } else {
            ss == 0 && se == 63 && ah == 0 && al == 0
        };
        if !valid {
            return Err(Unsupported);
        }
        Ok(ScanHeader { components, ss, se, ah, al })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn header_walk_survives_garbage() {
        assert!(read_header(b"\xff\xd8").is_err());
        assert!(read_header(b"\xff\xd8\xff\xe1\x00\x01").is_err());
        assert!(read_header(b"\xff\xd8\xff\xc0\xff\xff").is_err());
        // SOF with zero width.
        let sof = b"\xff\xd8\xff\xc0\x00\x0b\x08\x00\x10\x00\x00\x01\x01\x11\x00";
        assert!(matches!(read_header(sof), Err(Error::Corrupt(_))));
        // Arithmetic coding is read; its lossless form is reported as unsupported, not corrupt.
        let sof9 = b"\xff\xd8\xff\xc9\x00\x0b\x08\x00\x10\x00\x10\x01\x01\x11\x00";
        let header = read_header(sof9).unwrap();
        assert!(header.arithmetic && header.kind == FrameKind::Extended);
        let sof11 = b"\xff\xd8\xff\xcb\x00\x0b\x08\x00\x10\x00\x10\x01\x01\x11\x00";
        assert!(matches!(read_header(sof11), Err(Error::UnsupportedFormat(_))));
    }

    #[test]
    fn icc_chunks_reassemble_in_order() {
        let h = Header {
            kind: FrameKind::Baseline,
            arithmetic: false,
            precision: 8,
            width: 1,
            height: 1,
            components: 3,
            exif: None,
            icc_chunks: vec![(2, 2, b"cd"), (1, 2, b"ab")],
            sof: (0xC0, &[]),
            tables: Vec::new(),
            jfif: false,
            adobe_transform: None,
            first_scan: 0,
            warnings: Warnings::default(),
        };
        assert_eq!(h.icc_profile().unwrap(), b"abcd");
        let missing = Header { icc_chunks: vec![(2, 2, b"cd")], ..h };
        assert!(missing.icc_profile().is_none());
    }

    #[test]
    fn the_header_collects_what_decoding_needs() {
        let bytes = include_bytes!("../../../../fixtures/landscape_6.jpg");
        let h = read_header(bytes).unwrap();
        assert_eq!((h.width, h.height, h.components), (200, 300, 3));
        assert!(h.jfif);
        assert!(h.tables.iter().any(|t| t.0 == 0xC4) && h.tables.iter().any(|t| t.0 == 0xDB));
        assert_eq!(&bytes[h.first_scan..h.first_scan + 2], &[0xFF, 0xDA]);
        assert!(h.exif.is_some());
    }

    #[test]
    fn zigzag_is_the_t81_order() {
        assert_eq!(&ZIGZAG[..10], &[0, 1, 8, 16, 9, 2, 3, 10, 17, 24]);
        assert_eq!(&ZIGZAG[60..], &[47, 55, 62, 63]);
        let mut seen = [false; 64];
        ZIGZAG.iter().for_each(|&n| seen[usize::from(n)] = true);
        assert!(seen.iter().all(|&s| s));
    }

    #[test]
    fn find_ff_finds_the_first_one() {
        for len in 0..40 {
            for at in 0..len {
                let mut bytes = vec![0x12u8; len];
                bytes[at] = 0xFF;
                if at + 3 < len {
                    bytes[at + 3] = 0xFF;
                }
                for from in 0..=at {
                    assert_eq!(find_ff(&bytes, from), Some(at), "len {len} at {at} from {from}");
                }
                assert_eq!(find_ff(&bytes, at + 4), None);
                if at + 3 < len {
                    assert_eq!(find_ff(&bytes, at + 1), Some(at + 3));
                }
            }
            assert_eq!(find_ff(&vec![0xFE; len], 0), None);
        }
        // 0x7F and 0x80 bytes around must not look like 0xFF to the word test.
        assert_eq!(find_ff(&[0x7F, 0x80, 0xFE, 0x01, 0x00, 0x7F, 0x80, 0x81, 0xFF], 0), Some(8));
    }

    #[test]
    fn next_marker_skips_stuffing_and_restarts() {
        let data = [1, 0xFF, 0x00, 2, 0xFF, 0xD3, 3, 0xFF, 0xFF, 0xDA, 0, 0];
        assert_eq!(next_marker(&data, 0), Some(8));
        assert_eq!(next_marker(&data[..8], 0), None);
    }

    #[test]
    fn frame_headers_outside_the_fast_path_are_unsupported() {
        let sof = |marker: u8, precision: u8, sampling: [u8; 3]| {
            let mut b = vec![precision, 0, 16, 0, 16, 3];
            for (i, s) in sampling.iter().enumerate() {
                b.extend_from_slice(&[i as u8 + 1, *s, 0]);
            }
            FrameHeader::read(marker, &b)
        };
        assert!(sof(0xC0, 8, [0x22, 0x11, 0x11]).is_ok());
        assert!(sof(0xC2, 8, [0x12, 0x11, 0x11]).is_ok());
        assert!(sof(0xC0, 12, [0x22, 0x11, 0x11]).is_err());
        assert!(sof(0xC3, 8, [0x11, 0x11, 0x11]).is_err());
        assert!(sof(0xC9, 8, [0x11, 0x11, 0x11]).unwrap().arithmetic);
        assert!(sof(0xCA, 8, [0x11, 0x11, 0x11]).unwrap().progressive);
        assert!(sof(0xCB, 8, [0x11, 0x11, 0x11]).is_err());
        assert!(sof(0xC0, 8, [0x51, 0x11, 0x11]).is_err());
        assert!(sof(0xC0, 8, [0x02, 0x11, 0x11]).is_err());
        // Luma sampled below chroma, and asymmetric factors, are decoded.
        assert_eq!(sof(0xC0, 8, [0x11, 0x22, 0x22]).unwrap().max_factors(), (2, 2));
        assert_eq!(sof(0xC0, 8, [0x12, 0x21, 0x11]).unwrap().max_factors(), (2, 2));
    }
}
