//! thumbing's JPEG decoder: 8-bit baseline, extended and progressive frames, Huffman- or
//! arithmetic-coded, at any scale M/8, for a region of the image.
//!
//! - **Scale.** At M/8, each block of a component becomes M×M samples through a reduced
//!   inverse DCT of its low-frequency corner ([`idct`]); a component sampled at half the
//!   resolution gets a 2M×2M transform when that fits in a block, so it needs no upsampling
//!   (libjpeg does the same). Coefficients outside the corner are parsed but not kept.
//! - **Region.** Only the MCUs that the requested region touches, plus one MCU of context
//!   for the upsampling filter, go through the inverse DCT, upsampling and colour
//!   conversion. Blocks outside it are entropy-decoded without keeping anything (their AC
//!   coefficients are skipped, not decoded), and a scan stops being decoded once it is past
//!   the region's last row.
//! - **Sequential frames coded in one scan** are decoded MCU row by MCU row straight into
//!   the output stage ([`output`]), which converts each band of rows to pixels while it is
//!   still in the cache. Progressive frames, and sequential ones coded in several scans, keep
//!   the coefficients of the region's blocks (only those the scale uses), then run the same
//!   band-by-band output at the end; progressive scans whose coefficients the scale does not
//!   use are skipped without being decoded.
//!
//! Arithmetic-coded frames go through [`arithmetic`] at the entropy level, one dispatch per
//! scan, into stored coefficients; the rest is shared.
//!
//! Damaged or truncated Huffman-coded data is recovered from ([`super::recover`]), with
//! warnings in [`Output::warnings`]. Anything else (12-bit, lossless, hierarchical frames,
//! non-integer sampling ratios, unusable tables, damaged arithmetic-coded data) is
//! [`Unsupported`]: the caller then uses the general decoder, which also produces the error
//! the user sees.

use super::arithmetic;
use super::entropy::{self, AcBand, EntropyState, Keep, ScanUnits};
use super::huffman::{BitReader, HuffmanTable, Unsupported};
use super::idct;
use super::markers::{self, ComponentSpec, FrameHeader, Header, ScanHeader, Tables};
use super::output::{Assembler, Layout, Region, Transform};
use super::recover::{Intervals, Step};
use crate::bitmap::Bitmap;
use crate::warning::{WarningKind, Warnings};

/// What the caller wants from the decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Request {
    /// Decode at `scale`/8 of the stored size (1..=8).
    pub scale: usize,
    /// The output pixels wanted, in the scaled image's coordinates; `None` for all of it.
    pub region: Option<Region>,
}

/// A decoded region.
#[derive(Debug)]
pub(crate) struct Output {
    /// The region's pixels.
    pub bitmap: Bitmap,
    /// Where the region lies in the scaled image.
    pub region: Region,
    /// The damage recovered from.
    pub warnings: Warnings,
}

/// The size of an image of `width` × `height` decoded at `scale`/8: rounded up, as libjpeg
/// does.
pub(crate) fn scaled_size(width: usize, height: usize, scale: usize) -> (usize, usize) {
    ((width * scale).div_ceil(8), (height * scale).div_ceil(8))
}

/// Decodes `bytes`, whose markers up to the first scan `header` holds, as the request asks.
pub(crate) fn decode(bytes: &[u8], header: &Header<'_>, request: &Request) -> Result<Output, Unsupported> {
    if !(1..=8).contains(&request.scale) {
        return Err(Unsupported);
    }
    let mut tables = Tables::default();
    for &(marker, body) in &header.tables {
        tables.read(marker, body)?;
    }
    let (marker, body) = header.sof;
    let frame_header = FrameHeader::read(marker, body)?;
    let transform = transform(&frame_header.components, header.jfif, header.adobe_transform);
    let mut frame = Frame::new(frame_header, transform, request, bytes, header.first_scan)?;
    let mut pos = header.first_scan;
    loop {
        let Ok(segment) = markers::segment(bytes, pos) else {
            // The data ended after the last scan: a missing EOI is accepted.
            if frame.scans_seen > 0 && pos >= bytes.len() {
                break;
            }
            match bad_segment(bytes, pos, frame.scans_seen, &mut frame.warnings) {
                Some(next) => pos = next,
                None if frame.scans_seen > 0 => break,
                None => return Err(Unsupported),
            }
            continue;
        };
        pos = segment.end;
        match segment.marker {
            0xD9 => break,
            0xD8 | 0xD0..=0xD7 | 0x01 => {}
            0xDB | 0xC4 | 0xCC | 0xDD => tables.read(segment.marker, segment.body)?,
            0xDA => {
                let scan = ScanHeader::read(segment.body, &frame.header)?;
                match frame.scan(bytes, pos, &scan, &tables)? {
                    Some(next) => pos = next,
                    // A single-scan frame decoded as far as the region needs.
                    None => break,
                }
            }
            // A second frame (hierarchical), DNL.
            0xC0..=0xCF if !matches!(segment.marker, 0xC4 | 0xC8 | 0xCC) => return Err(Unsupported),
            0xDC | 0xDE | 0xDF => return Err(Unsupported),
            _ => {}
        }
    }
    if frame.scans_seen == 0 {
        return Err(Unsupported);
    }
    frame.finish()
}

/// Where no marker segment can be read between scans: bytes that are no marker
/// (libjpeg: "extraneous bytes before marker") are skipped to the next marker, a marker
/// with an impossible length is skipped, each with a warning. Returns where to go on;
/// `None` when the file ends first (a truncation, reported when a scan was decoded).
#[cold]
fn bad_segment(bytes: &[u8], pos: usize, scans: usize, warnings: &mut Warnings) -> Option<usize> {
    let marker = match (bytes.get(pos), bytes.get(pos + 1)) {
        (Some(0xFF), Some(&m)) if m != 0 && m != 0xFF => Some(m),
        _ => None,
    };
    let Some(marker) = marker else {
        let Some(next) = markers::next_marker(bytes, pos) else {
            // The file ends in a marker's first bytes, or in bytes that lead to no marker.
            if scans > 0 {
                warnings.push(
                    WarningKind::Truncated,
                    "jpeg: the file ends before the next marker: later scans are missing".to_string(),
                    Some(pos),
                );
            }
            return None;
        };
        warnings.push(
            WarningKind::ExtraneousBytes,
            format!("jpeg: {} extraneous bytes before marker 0x{:02X} skipped", next - pos, bytes[next + 1]),
            Some(pos),
        );
        return Some(next);
    };
    let len = bytes.get(pos + 2..pos + 4).map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])));
    match len {
        Some(len) if len >= 2 && pos + 2 + len <= bytes.len() => None, // readable: not damage
        Some(len) if len < 2 => {
            warnings.push(
                WarningKind::CorruptData,
                format!("jpeg: marker 0x{marker:02X} has the impossible length {len}; skipped"),
                Some(pos),
            );
            Some(markers::next_marker(bytes, pos + 2).unwrap_or(bytes.len()))
        }
        _ => {
            if scans > 0 {
                warnings.push(
                    WarningKind::Truncated,
                    format!("jpeg: the file ends inside the segment of marker 0x{marker:02X}: later scans are missing"),
                    Some(pos),
                );
            }
            None
        }
    }
}

/// How the components become pixels, as libjpeg decides it: a JFIF marker means YCbCr, an
/// Adobe marker says whether the components are transformed, and otherwise three components
/// with the ids 'R', 'G', 'B' are RGB.
fn transform(components: &[ComponentSpec], jfif: bool, adobe: Option<u8>) -> Transform {
    match components.len() {
        1 => Transform::Gray,
        3 if jfif => Transform::Ycc,
        3 => match adobe {
            Some(0) => Transform::Rgb,
            Some(_) => Transform::Ycc,
            None if components.iter().map(|c| c.id).eq(*b"RGB") => Transform::Rgb,
            None => Transform::Ycc,
        },
        _ => match adobe {
            Some(0) | None => Transform::Cmyk,
            Some(_) => Transform::Ycck,
        },
    }
}

/// A component as the decoder needs it.
struct Component {
    spec: ComponentSpec,
    /// Samples per block side the inverse DCT produces (1 to 8).
    size: usize,
    /// The coefficients kept: the transform's corner, at most 8×8.
    keep: Keep,
    /// Blocks a non-interleaved scan covers (the component's own size, rounded up to blocks).
    own_w: usize,
    own_h: usize,
    /// The region's blocks: columns `bx0..bx0 + region_w`, rows `by0..by0 + region_h`.
    bx0: usize,
    by0: usize,
    region_w: usize,
    region_h: usize,
    /// Quantisation table in natural order, latched at the component's first scan.
    quant: Option<[i32; 64]>,
    /// `keep.per_block` coefficients per region block (coefficient mode only).
    coefs: Vec<i16>,
    /// One bit per zigzag position per block of the padded grid: non-zero so far (only when
    /// refinement scans need it for coefficients that are not stored).
    history: Vec<u64>,
    /// Blocks per row and rows of blocks of the padded grid (the history's size).
    blocks_w: usize,
    blocks_h: usize,
}

impl Component {
    /// Where the stored coefficients of block (`bx`, `by`) start, when it is in the region.
    fn coefs_at(&self, bx: usize, by: usize) -> Option<usize> {
        let (x, y) = (bx.checked_sub(self.bx0)?, by.checked_sub(self.by0)?);
        (x < self.region_w && y < self.region_h).then(|| (y * self.region_w + x) * self.keep.per_block)
    }

    /// The stored coefficients of block (`bx`, `by`) with the layout they are kept in, or
    /// `scratch` outside the region (cleared first when `clear`: a sequential block is decoded
    /// onto zeros).
    fn block_coefs<'a>(
        &'a mut self,
        bx: usize,
        by: usize,
        scratch: &'a mut [i16],
        clear: bool,
    ) -> (&'a Keep, &'a mut [i16]) {
        let coefs = match self.coefs_at(bx, by) {
            Some(at) => &mut self.coefs[at..at + self.keep.per_block],
            None => {
                if clear {
                    scratch.fill(0);
                }
                scratch
            }
        };
        (&self.keep, coefs)
    }

    /// What a progressive scan decodes block (`bx`, `by`) into: the kept corner, its stored
    /// coefficients (`scratch` outside the region) and its record of non-zero coefficients
    /// when one is kept. Outside the region nothing is stored, so a refinement scan can only
    /// be followed there with that record (kept whenever a refinement scan is to be decoded).
    fn progressive_block<'a>(
        &'a mut self,
        bx: usize,
        by: usize,
        scratch: &'a mut [i16],
        refine: bool,
    ) -> Result<(&'a Keep, &'a mut [i16], Option<&'a mut u64>), Unsupported> {
        let at = self.coefs_at(bx, by);
        let history = self.history.get_mut(by * self.blocks_w + bx);
        if refine && at.is_none() && history.is_none() {
            return Err(Unsupported);
        }
        let coefs = match at {
            Some(at) => &mut self.coefs[at..at + self.keep.per_block],
            None => scratch,
        };
        Ok((&self.keep, coefs, history))
    }
}

/// The decoder's state once the frame header is known.
struct Frame {
    header: FrameHeader,
    transform: Transform,
    mcus_w: usize,
    mcus_h: usize,
    /// The MCU columns and rows that go through the inverse DCT and the output stage.
    mcu_cols: (usize, usize),
    mcu_rows: (usize, usize),
    components: Vec<Component>,
    region: Region,
    /// Where decoded samples go.
    assembler: Assembler,
    /// A sequential frame whose one scan carries every component: decoded straight to the
    /// output, with no coefficient storage.
    direct: bool,
    /// Which scans to decode (progressive at reduced scale), by scan number.
    plan: Option<Vec<bool>>,
    scans_seen: usize,
    /// The damage recovered from so far.
    warnings: Warnings,
}

/// The inverse DCT size and the upsampling factors (across, down) of a component sampled
/// `h`×`v` in a frame whose largest factors are `hmax`×`vmax`, decoded at scale `m`/8, as
/// libjpeg-turbo chooses them (`jdmaster.c`) but within 8 points: start at `m` and double
/// while the doubled size is at most 8 and still divides the component's share of the output
/// in both directions, so that up to 4/8 a subsampled component comes out of its transform at
/// the output resolution instead of being upsampled. (libjpeg-turbo also doubles to 10, 12 or
/// 14 points at 5/8 to 7/8; those transforms cost more than the upsampling they save.)
/// `None` for a non-integer ratio, which libjpeg refuses too.
fn transform_size(m: usize, (hmax, vmax): (usize, usize), h: usize, v: usize) -> Option<(usize, usize, usize)> {
    if !(m * hmax).is_multiple_of(h) || !(m * vmax).is_multiple_of(v) {
        return None;
    }
    let (across, down) = (m * hmax / h, m * vmax / v);
    let mut size = m;
    while 2 * size <= 8 && across % (2 * size) == 0 && down % (2 * size) == 0 {
        size *= 2;
    }
    (across % size == 0 && down % size == 0).then_some((size, across / size, down / size))
}

impl Frame {
    fn new(
        header: FrameHeader,
        transform: Transform,
        request: &Request,
        bytes: &[u8],
        pos: usize,
    ) -> Result<Frame, Unsupported> {
        let m = request.scale;
        let (hmax, vmax) = header.max_factors();
        let (width, height) = (header.width, header.height);
        let mcus_w = width.div_ceil(8 * hmax);
        let mcus_h = height.div_ceil(8 * vmax);
        let scaled = scaled_size(width, height, m);
        let full = Region { x0: 0, y0: 0, x1: scaled.0, y1: scaled.1 };
        let region = request.region.unwrap_or(full);
        let region = Region {
            x0: region.x0.min(scaled.0),
            y0: region.y0.min(scaled.1),
            x1: region.x1.min(scaled.0),
            y1: region.y1.min(scaled.1),
        };
        if region.x0 >= region.x1 || region.y0 >= region.y1 {
            return Err(Unsupported);
        }
        // Per component: the transform size, and the upsampling that brings it to the output.
        let mut sizes = Vec::with_capacity(header.components.len());
        for c in &header.components {
            sizes.push(transform_size(m, (hmax, vmax), c.h, c.v).ok_or(Unsupported)?);
        }
        // The upsampling filter reads one sample beyond each side of what it outputs.
        let context_h = usize::from(sizes.iter().any(|s| s.1 > 1));
        let context_v = usize::from(sizes.iter().any(|s| s.2 > 1));
        let (mcu_w, mcu_h) = (m * hmax, m * vmax);
        let mcu_cols =
            ((region.x0 / mcu_w).saturating_sub(context_h), (region.x1.div_ceil(mcu_w) + context_h).min(mcus_w));
        let mcu_rows =
            ((region.y0 / mcu_h).saturating_sub(context_v), (region.y1.div_ceil(mcu_h) + context_v).min(mcus_h));

        let mut components = Vec::with_capacity(header.components.len());
        let mut layouts = Vec::with_capacity(header.components.len());
        for (spec, &(size, rh, rv)) in header.components.iter().zip(&sizes) {
            let own_w = (width * spec.h).div_ceil(hmax).div_ceil(8);
            let own_h = (height * spec.v).div_ceil(vmax).div_ceil(8);
            let (bx0, by0) = (mcu_cols.0 * spec.h, mcu_rows.0 * spec.v);
            let region_w = (mcu_cols.1 - mcu_cols.0) * spec.h;
            let region_h = (mcu_rows.1 - mcu_rows.0) * spec.v;
            components.push(Component {
                spec: *spec,
                size,
                keep: Keep::new(size, size),
                own_w,
                own_h,
                bx0,
                by0,
                region_w,
                region_h,
                quant: None,
                coefs: Vec::new(),
                history: Vec::new(),
                blocks_w: mcus_w * spec.h,
                blocks_h: mcus_h * spec.v,
            });
            layouts.push(Layout {
                band_rows: spec.v * size,
                stride: region_w * size,
                first_col: bx0 * size,
                samples_w: (width * spec.h * size).div_ceil(hmax * 8),
                samples_h: (height * spec.v * size).div_ceil(vmax * 8),
                rh,
                rv,
                // libjpeg interpolates only when decoding at 2/8 or more.
                fancy: m > 1,
            });
        }
        let plan = if header.progressive { plan_scans(bytes, pos, &header, &mut components) } else { None };
        let assembler = Assembler::new(&layouts, transform, region, mcu_h, scaled.1);
        Ok(Frame {
            header,
            transform,
            mcus_w,
            mcus_h,
            mcu_cols,
            mcu_rows,
            components,
            region,
            assembler,
            direct: false,
            plan,
            scans_seen: 0,
            warnings: Warnings::default(),
        })
    }

    /// Decodes (or skips) one scan whose header ended at `pos`; returns where the next marker
    /// starts, or `None` when a single-scan frame has been decoded as far as it is needed.
    fn scan(
        &mut self,
        bytes: &[u8],
        pos: usize,
        scan: &ScanHeader,
        tables: &Tables,
    ) -> Result<Option<usize>, Unsupported> {
        let index = self.scans_seen;
        self.scans_seen += 1;
        if self.scans_seen > super::MAX_SCANS {
            return Err(Unsupported); // the general path reports it as too large
        }
        if !self.header.progressive {
            if index > 0 && self.direct {
                return Err(Unsupported);
            }
            // Arithmetic-coded scans always keep their coefficients (one path for them all).
            self.direct = index == 0 && scan.components.len() == self.components.len() && !self.header.arithmetic;
        }
        if let Some(plan) = &self.plan
            && !*plan.get(index).ok_or(Unsupported)?
        {
            return Ok(Some(markers::next_marker(bytes, pos).unwrap_or(bytes.len())));
        }
        // Latch the quantisation tables at each component's first scan.
        for &(c, _, _) in &scan.components {
            let component = &mut self.components[c];
            if component.quant.is_none() {
                let table = tables.quant[component.spec.quant].as_ref().ok_or(Unsupported)?;
                component.quant = Some(table.map(i32::from));
            }
            if !self.direct && component.coefs.is_empty() {
                component.coefs = vec![0; component.region_w * component.region_h * component.keep.per_block];
            }
        }
        let mut intervals = Intervals::new(tables.restart_interval, self.scans_seen);
        if self.header.arithmetic {
            let mut decoder = arithmetic::Decoder::new(bytes, pos);
            let complete = self.decode_arithmetic(&mut decoder, scan, tables, &mut intervals)?;
            let end = if complete { decoder.finish()? } else { decoder.position() };
            return Ok(Some(markers::next_marker(bytes, end).unwrap_or(bytes.len())));
        }
        let mut reader = BitReader::new(bytes, pos);
        if self.direct {
            return self.decode_direct(&mut reader, scan, tables, &mut intervals).map(|()| None);
        }
        let complete = self.decode_into_coefficients(&mut reader, scan, tables, &mut intervals)?;
        // Stopped past the region, or damaged: the rest of this scan's data is not needed
        // (or not usable); the next marker is searched from where the reader stands.
        let end = if complete { reader.finish()? } else { reader.position() };
        // A file that ends in the scan's data was reported by the scan's walk.
        Ok(Some(markers::next_marker(bytes, end).unwrap_or(bytes.len())))
    }

    /// A sequential scan with every component, MCU row by MCU row straight to the output.
    fn decode_direct(
        &mut self,
        reader: &mut BitReader<'_>,
        scan: &ScanHeader,
        tables: &Tables,
        intervals: &mut Intervals,
    ) -> Result<(), Unsupported> {
        let mut coded = Vec::with_capacity(scan.components.len());
        for &(c, dc, ac) in &scan.components {
            let component = &self.components[c];
            coded.push(Coded {
                c,
                dc: tables.dc[dc].as_ref().ok_or(Unsupported)?,
                ac: tables.ac[ac].as_ref().ok_or(Unsupported)?,
                quant: component.quant.ok_or(Unsupported)?,
                keep: component.keep.clone(),
                size: component.size,
                h: component.spec.h,
                v: component.spec.v,
            });
        }
        let mut predictors = [0i32; 4];
        let mut block: entropy::Block = [0; 65];
        let (col0, col1) = self.mcu_cols;
        let warnings = &mut self.warnings;
        for my in 0..self.mcu_rows.1 {
            let wanted = my >= self.mcu_rows.0;
            for mx in 0..self.mcus_w {
                let keep_mcu = wanted && (col0..col1).contains(&mx);
                let mut live = match intervals.next(reader, warnings) {
                    Step::Decode => true,
                    Step::Restarted => {
                        predictors = [0; 4];
                        true
                    }
                    Step::Lost => false,
                };
                if live {
                    let at = keep_mcu.then_some((mx - col0.min(mx), my));
                    let decoded = direct_mcu(reader, &coded, &mut predictors, &mut block, &mut self.assembler, at);
                    if decoded.is_err() {
                        intervals.damage(reader, warnings, (mx, my));
                        live = false;
                    }
                }
                if !live && keep_mcu {
                    grey_mcu(&coded, &mut block, &mut self.assembler, (mx - col0, my));
                }
            }
            // Data that ran out leaves the rest to zero padding: noticed at the end of the
            // row, and the rest of the interval (or image) is grey.
            if reader.overran() {
                intervals.ran_out(reader, warnings);
            }
            if wanted {
                self.assembler.push(my);
            }
        }
        Ok(())
    }

    /// A progressive scan, or a sequential scan of a frame coded in several scans, into the
    /// stored coefficients. Returns `false` when it stopped early, past the region's last
    /// row (the rest of the scan is not needed), `true` when it read the whole scan.
    fn decode_into_coefficients(
        &mut self,
        reader: &mut BitReader<'_>,
        scan: &ScanHeader,
        tables: &Tables,
        intervals: &mut Intervals,
    ) -> Result<bool, Unsupported> {
        let (units, stop) = self.units(scan);
        let warnings = &mut self.warnings;
        let mut scratch = [0i16; 64];
        if !self.header.progressive {
            let mut huffman = Vec::with_capacity(scan.components.len());
            for &(c, dc, ac) in &scan.components {
                huffman.push((
                    c,
                    tables.dc[dc].as_ref().ok_or(Unsupported)?,
                    tables.ac[ac].as_ref().ok_or(Unsupported)?,
                ));
            }
            let components = &mut self.components;
            let mut block: entropy::Block = [0; 65];
            return entropy::walk_scan(
                reader,
                &units,
                intervals,
                warnings,
                stop,
                |reader, state: &mut EntropyState, i, bx, by| {
                    let (c, dc, ac) = huffman[i];
                    let component = &mut components[c];
                    let keep = &component.keep;
                    let per_block = keep.per_block;
                    let Some(at) = component.coefs_at(bx, by) else {
                        return entropy::skip_sequential_block(reader, dc, ac, &mut state.predictors[i]);
                    };
                    clear(&mut block, keep);
                    entropy::decode_sequential_block(reader, dc, ac, &mut state.predictors[i], keep, &mut block)?;
                    for (dst, &natural) in component.coefs[at..at + per_block].iter_mut().zip(&keep.to_natural) {
                        *dst = block[usize::from(natural)].clamp(-32768, 32767) as i16;
                    }
                    Ok(())
                },
            );
        }
        if scan.ss == 0 {
            let mut dc_tables = Vec::with_capacity(scan.components.len());
            for &(c, dc, _) in &scan.components {
                dc_tables.push((c, if scan.ah == 0 { Some(tables.dc[dc].as_ref().ok_or(Unsupported)?) } else { None }));
            }
            let components = &mut self.components;
            return entropy::walk_scan(
                reader,
                &units,
                intervals,
                warnings,
                stop,
                |reader, state: &mut EntropyState, i, bx, by| {
                    let (c, table) = dc_tables[i];
                    let (_, coefs) = components[c].block_coefs(bx, by, &mut scratch, false);
                    match table {
                        Some(table) => entropy::dc_first(reader, table, &mut state.predictors[i], scan.al, coefs),
                        None => {
                            entropy::dc_refine(reader, scan.al, coefs);
                            Ok(())
                        }
                    }
                },
            );
        }
        let (c, _, ac) = scan.components[0];
        let band = AcBand { table: tables.ac[ac].as_ref().ok_or(Unsupported)?, ss: scan.ss, se: scan.se, al: scan.al };
        let component = &mut self.components[c];
        let refine = scan.ah != 0;
        entropy::walk_scan(reader, &units, intervals, warnings, stop, |reader, state: &mut EntropyState, _, bx, by| {
            let (keep, coefs, history) = component.progressive_block(bx, by, &mut scratch, refine)?;
            if refine {
                entropy::ac_refine(reader, &band, keep, &mut state.eob_run, coefs, history)
            } else {
                entropy::ac_first(reader, &band, keep, &mut state.eob_run, coefs, history)
            }
        })
    }

    /// An arithmetic-coded scan (sequential or progressive) into the stored coefficients, as
    /// [`decode_into_coefficients`](Self::decode_into_coefficients) does for Huffman data.
    fn decode_arithmetic(
        &mut self,
        decoder: &mut arithmetic::Decoder<'_>,
        scan: &ScanHeader,
        tables: &Tables,
        intervals: &mut Intervals,
    ) -> Result<bool, Unsupported> {
        let (units, stop) = self.units(scan);
        let warnings = &mut self.warnings;
        let coding: Vec<(usize, arithmetic::Coding)> = scan
            .components
            .iter()
            .map(|&(c, dc, ac)| (c, arithmetic::Coding::new(&tables.conditioning, dc, ac)))
            .collect();
        let mut scratch = [0i16; 64];
        let components = &mut self.components;
        if !self.header.progressive {
            return entropy::walk_scan(
                decoder,
                &units,
                intervals,
                warnings,
                stop,
                |decoder, state: &mut Box<_>, i, bx, by| {
                    let (c, coding) = &coding[i];
                    let (keep, coefs) = components[*c].block_coefs(bx, by, &mut scratch, true);
                    arithmetic::sequential_block(decoder, state, i, coding, keep, coefs)
                },
            );
        }
        if scan.ss == 0 {
            return entropy::walk_scan(
                decoder,
                &units,
                intervals,
                warnings,
                stop,
                |decoder, state: &mut Box<_>, i, bx, by| {
                    let (c, coding) = &coding[i];
                    let (_, coefs) = components[*c].block_coefs(bx, by, &mut scratch, false);
                    if scan.ah == 0 {
                        arithmetic::dc_first(decoder, state, i, coding, scan.al, coefs)
                    } else {
                        arithmetic::dc_refine(decoder, scan.al, coefs);
                        Ok(())
                    }
                },
            );
        }
        let (c, coding) = coding[0];
        let band = arithmetic::AcBand { ss: scan.ss, se: scan.se, al: scan.al };
        let component = &mut components[c];
        let refine = scan.ah != 0;
        entropy::walk_scan(decoder, &units, intervals, warnings, stop, |decoder, state: &mut Box<_>, _, bx, by| {
            let (keep, coefs, history) = component.progressive_block(bx, by, &mut scratch, refine)?;
            if refine {
                arithmetic::ac_refine(decoder, state, &coding, band, keep, coefs, history)
            } else {
                arithmetic::ac_first(decoder, state, &coding, band, keep, coefs, history)
            }
        })
    }

    /// The units a scan walks (MCUs when it carries several components, else the blocks of
    /// its one component), and the first row of units past the region's last row.
    fn units(&self, scan: &ScanHeader) -> (ScanUnits, usize) {
        if scan.components.len() > 1 {
            let factors = scan
                .components
                .iter()
                .map(|&(c, _, _)| (self.components[c].spec.h, self.components[c].spec.v))
                .collect();
            (ScanUnits::Mcus { w: self.mcus_w, h: self.mcus_h, factors }, self.mcu_rows.1)
        } else {
            let only = &self.components[scan.components[0].0];
            (ScanUnits::Blocks { w: only.own_w, h: only.own_h }, self.mcu_rows.1 * only.spec.v)
        }
    }

    /// Runs the inverse DCT over the stored coefficients (coefficient mode) and returns the
    /// region's pixels.
    fn finish(mut self) -> Result<Output, Unsupported> {
        if !self.direct {
            let mut block: entropy::Block = [0; 65];
            for my in self.mcu_rows.0..self.mcu_rows.1 {
                for c in 0..self.components.len() {
                    let component = &self.components[c];
                    let Some(quant) = component.quant else {
                        return Err(Unsupported); // a component that no scan carried
                    };
                    let keep = &component.keep;
                    let (band, stride) = self.assembler.band_mut(c, my);
                    let rows = (my - self.mcu_rows.0) * component.spec.v;
                    for by in 0..component.spec.v {
                        for x in 0..component.region_w {
                            let at = ((rows + by) * component.region_w + x) * keep.per_block;
                            let coefs = &component.coefs[at..at + keep.per_block];
                            clear(&mut block, keep);
                            for (&src, &natural) in coefs.iter().zip(&keep.to_natural) {
                                block[usize::from(natural)] = i32::from(src);
                            }
                            let any_ac = coefs[1..].iter().any(|&c| c != 0);
                            let size = component.size;
                            let out = by * size * stride + x * size;
                            idct::block(first64(&block), &quant, any_ac, size, size, &mut band[out..], stride);
                        }
                    }
                }
                self.assembler.push(my);
            }
        }
        let layout = self.transform.layout();
        let (w, h) = (self.region.width() as u32, self.region.height() as u32);
        let pixels = self.assembler.finish();
        let bitmap = Bitmap::new(w, h, layout, pixels).ok_or(Unsupported)?;
        Ok(Output { bitmap, region: self.region, warnings: self.warnings })
    }
}

/// A component of a scan decoded straight to the output.
struct Coded<'t> {
    c: usize,
    dc: &'t HuffmanTable,
    ac: &'t HuffmanTable,
    quant: [i32; 64],
    keep: Keep,
    size: usize,
    h: usize,
    v: usize,
}

/// One MCU of a sequential scan decoded straight to the output: into the bands at MCU
/// (column from the region's first, row) `at`, or skipped when `at` is `None`.
#[inline(always)]
fn direct_mcu(
    reader: &mut BitReader<'_>,
    coded: &[Coded<'_>],
    predictors: &mut [i32; 4],
    block: &mut entropy::Block,
    assembler: &mut Assembler,
    at: Option<(usize, usize)>,
) -> Result<(), Unsupported> {
    for (i, k) in coded.iter().enumerate() {
        let Some((mx, my)) = at else {
            for _ in 0..k.h * k.v {
                entropy::skip_sequential_block(reader, k.dc, k.ac, &mut predictors[i])?;
            }
            continue;
        };
        let (band, stride) = assembler.band_mut(k.c, my);
        for by in 0..k.v {
            for bx in 0..k.h {
                clear(block, &k.keep);
                let end = entropy::decode_sequential_block(reader, k.dc, k.ac, &mut predictors[i], &k.keep, block)?;
                let x = (mx * k.h + bx) * k.size;
                let at = by * k.size * stride + x;
                idct::block(first64(block), &k.quant, end > 1, k.size, k.size, &mut band[at..], stride);
            }
        }
    }
    Ok(())
}

/// A lost MCU of a sequential scan decoded straight to the output: every block with zero
/// coefficients (flat grey, as libjpeg fills damaged data).
#[cold]
#[inline(never)]
fn grey_mcu(coded: &[Coded<'_>], block: &mut entropy::Block, assembler: &mut Assembler, (mx, my): (usize, usize)) {
    block.fill(0);
    for k in coded {
        let (band, stride) = assembler.band_mut(k.c, my);
        for by in 0..k.v {
            for bx in 0..k.h {
                let at = by * k.size * stride + (mx * k.h + bx) * k.size;
                idct::block(first64(block), &k.quant, false, k.size, k.size, &mut band[at..], stride);
            }
        }
    }
}

/// The 64 coefficients of a block (without its sink).
#[inline(always)]
fn first64(block: &entropy::Block) -> &[i32; 64] {
    block[..64].try_into().unwrap_or_else(|_| unreachable!())
}

/// Zeroes the rows of a block the kept corner spans, with fixed-size stores for the common
/// sizes.
#[inline(always)]
fn clear(block: &mut entropy::Block, keep: &Keep) {
    match keep.span {
        1 => block[0] = 0,
        10 => block[..10].fill(0),
        28 => block[..28].fill(0),
        64 => block[..64].fill(0),
        n => block[..n].fill(0),
    }
}

/// Every scan header of a progressive frame, read ahead from `pos`; `None` when the
/// look-ahead fails.
fn scan_headers(bytes: &[u8], mut pos: usize, header: &FrameHeader) -> Option<Vec<ScanHeader>> {
    let mut scans = Vec::new();
    loop {
        let segment = markers::segment(bytes, pos).ok()?;
        pos = segment.end;
        match segment.marker {
            0xD9 => return Some(scans),
            0xDA => {
                scans.push(ScanHeader::read(segment.body, header).ok()?);
                if scans.len() > super::MAX_SCANS {
                    return None;
                }
                pos = markers::next_marker(bytes, pos)?;
            }
            _ => {}
        }
    }
}

/// Decides which scans of a progressive frame the kept coefficients need, and which
/// components must keep a record of their non-zero coefficients.
///
/// Working backwards: a scan is needed when its band meets the coefficients that matter,
/// which are the stored ones plus, for each needed refinement scan, its whole band (its bit
/// stream depends on which of those coefficients are already non-zero). A component with a
/// needed AC refinement scan keeps the record (blocks outside the region store nothing, and
/// the others not every coefficient). When the look-ahead fails every scan is decoded and
/// every component keeps the record.
fn plan_scans(bytes: &[u8], pos: usize, header: &FrameHeader, components: &mut [Component]) -> Option<Vec<bool>> {
    let mut history = |component: &mut Component| {
        if component.history.is_empty() {
            component.history = vec![0; component.blocks_w * component.blocks_h];
        }
    };
    let Some(scans) = scan_headers(bytes, pos, header) else {
        components.iter_mut().for_each(&mut history);
        return None;
    };
    let mut matters: Vec<u64> = components.iter().map(|c| c.keep.stored).collect();
    let mut plan = vec![true; scans.len()];
    for (scan, decode) in scans.iter().zip(plan.iter_mut()).rev() {
        if scan.ss == 0 {
            continue; // DC scans are always needed
        }
        let c = scan.components[0].0;
        let band = entropy::band(scan.ss, scan.se);
        *decode = band & matters[c] != 0;
        if *decode && scan.ah != 0 {
            matters[c] |= band;
            history(&mut components[c]);
        }
    }
    Some(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transform_sizes_and_upsampling_follow_libjpeg_turbo() {
        // 4:2:0 chroma: upsampled at full size, decoded at twice the luma's size below it.
        assert_eq!(transform_size(8, (2, 2), 1, 1), Some((8, 2, 2)));
        assert_eq!(transform_size(4, (2, 2), 1, 1), Some((8, 1, 1)));
        assert_eq!(transform_size(3, (2, 2), 1, 1), Some((6, 1, 1)));
        assert_eq!(transform_size(5, (2, 2), 1, 1), Some((5, 2, 2)));
        assert_eq!(transform_size(7, (2, 2), 2, 2), Some((7, 1, 1)));
        // 4:2:2 chroma: doubling needs both directions, so it is upsampled across.
        assert_eq!(transform_size(4, (2, 1), 1, 1), Some((4, 2, 1)));
        // Luma sampled below chroma.
        assert_eq!(transform_size(2, (2, 2), 1, 1), Some((4, 1, 1)));
        // Ratios of three and four.
        assert_eq!(transform_size(8, (3, 1), 1, 1), Some((8, 3, 1)));
        assert_eq!(transform_size(1, (4, 1), 1, 1), Some((1, 4, 1)));
        // A ratio of 4/3 is refused.
        assert_eq!(transform_size(8, (4, 1), 3, 1), None);
    }

    /// A small deterministic generator.
    fn xorshift(state: &mut u32) -> u32 {
        *state ^= *state << 13;
        *state ^= *state >> 17;
        *state ^= *state << 5;
        *state
    }

    /// JPEGs of every sampling layout, baseline and progressive, made by jpeg-encoder from a
    /// textured picture whose size is not a multiple of the MCU.
    fn generated() -> Vec<(String, Vec<u8>)> {
        use jpeg_encoder::{ColorType, Encoder, SamplingFactor};
        let (w, h) = (77u16, 45u16);
        let mut rgb = Vec::new();
        for y in 0..h as u32 {
            for x in 0..w as u32 {
                rgb.extend_from_slice(&[(x * 7 + y * 3) as u8, (x * x / 5 + y * 11) as u8, ((x ^ y) * 9) as u8]);
            }
        }
        let mut out = Vec::new();
        for (name, sampling) in [
            ("4:2:0", SamplingFactor::F_2_2),
            ("4:2:2", SamplingFactor::F_2_1),
            ("4:4:0", SamplingFactor::F_1_2),
            ("4:4:4", SamplingFactor::F_1_1),
        ] {
            for progressive in [false, true] {
                let mut bytes = Vec::new();
                let mut encoder = Encoder::new(&mut bytes, 90);
                encoder.set_sampling_factor(sampling);
                encoder.set_progressive(progressive);
                encoder.encode(&rgb, w, h, ColorType::Rgb).unwrap();
                out.push((format!("{name} progressive {progressive}"), bytes));
            }
        }
        out
    }

    #[test]
    fn regions_are_the_same_pixels_as_the_whole_image() {
        let mut files = generated();
        files.push(("landscape_6".into(), include_bytes!("../../../../fixtures/landscape_6.jpg").to_vec()));
        files.push(("progressive-cat".into(), include_bytes!("../../../../fixtures/progressive-cat.jpg").to_vec()));
        files.push(("arithmetic".into(), include_bytes!("../../../../fixtures/arithmetic.jpg").to_vec()));
        files.push((
            "arithmetic-progressive".into(),
            include_bytes!("../../../../fixtures/arithmetic-progressive.jpg").to_vec(),
        ));
        let mut state = 0x9E37_79B9;
        for (name, bytes) in &files {
            let header = super::super::read_header(bytes).unwrap();
            for scale in 1..=8 {
                let whole = decode(bytes, &header, &Request { scale, region: None })
                    .unwrap_or_else(|_| panic!("{name} {scale}/8"));
                let (w, h) = (whole.bitmap.width as usize, whole.bitmap.height as usize);
                let channels = whole.bitmap.layout.channels();
                for _ in 0..6 {
                    let x0 = xorshift(&mut state) as usize % w;
                    let y0 = xorshift(&mut state) as usize % h;
                    let x1 = x0 + 1 + xorshift(&mut state) as usize % (w - x0);
                    let y1 = y0 + 1 + xorshift(&mut state) as usize % (h - y0);
                    let region = Region { x0, y0, x1, y1 };
                    let part = decode(bytes, &header, &Request { scale, region: Some(region) }).unwrap();
                    assert_eq!(part.region, region);
                    assert_eq!((part.bitmap.width as usize, part.bitmap.height as usize), (x1 - x0, y1 - y0));
                    for y in y0..y1 {
                        let expected = &whole.bitmap.data[(y * w + x0) * channels..(y * w + x1) * channels];
                        let row = (y - y0) * (x1 - x0) * channels;
                        let got = &part.bitmap.data[row..row + (x1 - x0) * channels];
                        assert_eq!(got, expected, "{name} at {scale}/8, region {region:?}, row {y}");
                    }
                }
            }
        }
    }

    #[test]
    fn scaled_sizes_round_up() {
        assert_eq!(scaled_size(4608, 1976, 3), (1728, 741));
        assert_eq!(scaled_size(17, 9, 1), (3, 2));
        assert_eq!(scaled_size(17, 9, 8), (17, 9));
    }
}
