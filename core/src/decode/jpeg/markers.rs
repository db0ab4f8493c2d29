//! Marker segments for thumbing's decoder (ITU-T T.81 Annex B): walking from one marker to
//! the next, and parsing the tables (DQT, DHT, DRI), the frame header (SOFn) and the scan
//! headers (SOS). Anything the scaled decoder does not cover is [`Unsupported`].

use super::huffman::{HuffmanTable, Unsupported};

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

/// One marker segment: the marker byte and its body (without the length field).
pub(crate) struct Segment<'a> {
    pub marker: u8,
    pub body: &'a [u8],
    /// Where the next marker (or the entropy-coded data of a scan) starts.
    pub end: usize,
}

/// Reads the marker segment at `pos`, skipping fill bytes before it.
pub(crate) fn segment(bytes: &[u8], mut pos: usize) -> Result<Segment<'_>, Unsupported> {
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

/// The position of the next marker at or after `pos` that ends entropy-coded data: an
/// `0xFF` not followed by a stuffed zero, a fill byte or a restart marker. `None` at the end.
pub(crate) fn next_marker(bytes: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        pos += bytes.get(pos..)?.iter().position(|&b| b == 0xFF)?;
        match *bytes.get(pos + 1)? {
            0x00 | 0xD0..=0xD7 | 0xFF => pos += 1,
            _ => return Some(pos),
        }
    }
}

/// The tables in force: quantisation tables (natural order), Huffman tables and the restart
/// interval. Later segments replace earlier ones.
#[derive(Default)]
pub(crate) struct Tables {
    pub quant: [Option<[u16; 64]>; 4],
    pub dc: [Option<HuffmanTable>; 4],
    pub ac: [Option<HuffmanTable>; 4],
    pub restart_interval: u16,
}

impl Tables {
    /// DQT (T.81 B.2.4.1): one or more tables, 8- or 16-bit entries in zigzag order.
    pub fn read_dqt(&mut self, mut body: &[u8]) -> Result<(), Unsupported> {
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
    pub fn read_dht(&mut self, mut body: &[u8]) -> Result<(), Unsupported> {
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
    pub fn read_dri(&mut self, body: &[u8]) -> Result<(), Unsupported> {
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
    pub width: usize,
    pub height: usize,
    pub components: Vec<ComponentSpec>,
}

impl FrameHeader {
    /// Parses SOF0 (baseline), SOF1 (extended sequential, Huffman) or SOF2 (progressive,
    /// Huffman) with 8-bit samples and one, three or four components with distinct ids and
    /// sampling factors 1 to 4.
    pub fn read(marker: u8, body: &[u8]) -> Result<FrameHeader, Unsupported> {
        let progressive = match marker {
            0xC0 | 0xC1 => false,
            0xC2 => true,
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
        Ok(FrameHeader { progressive, width, height, components })
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
    pub fn read(body: &[u8], frame: &FrameHeader) -> Result<ScanHeader, Unsupported> {
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
    fn zigzag_is_the_t81_order() {
        assert_eq!(&ZIGZAG[..10], &[0, 1, 8, 16, 9, 2, 3, 10, 17, 24]);
        assert_eq!(&ZIGZAG[60..], &[47, 55, 62, 63]);
        let mut seen = [false; 64];
        ZIGZAG.iter().for_each(|&n| seen[usize::from(n)] = true);
        assert!(seen.iter().all(|&s| s));
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
        assert!(sof(0xC9, 8, [0x11, 0x11, 0x11]).is_err());
        assert!(sof(0xC0, 8, [0x51, 0x11, 0x11]).is_err());
        assert!(sof(0xC0, 8, [0x02, 0x11, 0x11]).is_err());
        // Luma sampled below chroma, and asymmetric factors, are decoded.
        assert_eq!(sof(0xC0, 8, [0x11, 0x22, 0x22]).unwrap().max_factors(), (2, 2));
        assert_eq!(sof(0xC0, 8, [0x12, 0x21, 0x11]).unwrap().max_factors(), (2, 2));
    }
}
