//! The scaled ("shrink-on-load") decoder: 8-bit Huffman-coded baseline and progressive JPEGs
//! to RGB8 or L8 at 1/1, 1/2, 1/4 or 1/8 of their size, straight from the DCT coefficients.
//!
//! - Baseline frames whose single scan carries every component are decoded MCU by MCU into
//!   the scaled component planes: no coefficient storage.
//! - Progressive frames (and sequential ones coded one component per scan) keep only the
//!   coefficients the scale uses, then run the reduced inverse DCT once at the end. Scans
//!   whose band the scale does not use are skipped without entropy decoding, unless a later
//!   refinement scan needs to know which of their coefficients were non-zero.
//! - Chroma is upsampled and converted to RGB at the reduced size.
//!
//! Anything else (arithmetic coding, 12-bit, lossless, CMYK, RGB-coded, unusual sampling,
//! damaged or truncated data) is [`Unsupported`], and the caller decodes the file with the
//! general decoder instead, which also reports errors.

use super::color::{self, Plane};
use super::huffman::{BitReader, Unsupported};
use super::idct;
use super::markers::{self, FrameHeader, ScanHeader, Tables};
use super::scan::{self, AcBand, Component, Scale, ScanUnits};
use crate::bitmap::{Bitmap, PixelLayout};

/// Output size at `1/denominator` scale: rounded up, as libjpeg does.
pub(crate) fn scaled_size(width: u32, height: u32, denominator: u32) -> (u32, u32) {
    (width.div_ceil(denominator), height.div_ceil(denominator))
}

/// The decoder's state once the frame header is known.
struct Frame {
    header: FrameHeader,
    mcus_w: usize,
    mcus_h: usize,
    components: Vec<Component>,
    planes: Vec<Plane>,
    /// Baseline single-scan frames go straight to the planes.
    direct: bool,
    /// Which scans to decode (progressive at reduced scale), by scan number.
    plan: Option<Vec<bool>>,
    /// Per component: whether the non-zero history of coefficients that are not stored must
    /// be kept, for refinement scans.
    history: Vec<bool>,
    scans_seen: usize,
}

/// Decodes `bytes` at `1/denominator` scale.
pub(crate) fn decode(bytes: &[u8], denominator: u32) -> Result<Bitmap, Unsupported> {
    let scale = Scale::new(denominator).ok_or(Unsupported)?;
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return Err(Unsupported);
    }
    let mut tables = Tables::default();
    let mut frame: Option<Frame> = None;
    let mut adobe_transform = None;
    let mut pos = 2;
    loop {
        let Ok(segment) = markers::segment(bytes, pos) else {
            // The data ended (or is not a marker) after the last scan: accept a missing EOI
            // only once every scan was decoded cleanly.
            if frame.as_ref().is_some_and(|f| f.scans_seen > 0) && pos >= bytes.len() {
                break;
            }
            return Err(Unsupported);
        };
        pos = segment.end;
        match segment.marker {
            0xD9 => break,
            0xD8 | 0xD0..=0xD7 | 0x01 => {}
            0xDB => tables.read_dqt(segment.body)?,
            0xC4 => tables.read_dht(segment.body)?,
            0xDD => tables.read_dri(segment.body)?,
            0xEE if segment.body.starts_with(b"Adobe") => adobe_transform = segment.body.get(11).copied(),
            0xC0..=0xCF if !matches!(segment.marker, 0xC4 | 0xC8 | 0xCC) => {
                if frame.is_some() {
                    return Err(Unsupported);
                }
                let header = FrameHeader::read(segment.marker, segment.body)?;
                // Adobe's transform 0 means the three components are RGB, not YCbCr.
                if header.components.len() == 3 && adobe_transform == Some(0) {
                    return Err(Unsupported);
                }
                frame = Some(Frame::new(header, &scale, bytes, pos)?);
            }
            0xDA => {
                let frame = frame.as_mut().ok_or(Unsupported)?;
                let scan = ScanHeader::read(segment.body, &frame.header)?;
                pos = frame.scan(bytes, pos, &scan, &tables, &scale)?;
            }
            0xDC | 0xDE | 0xDF => return Err(Unsupported), // DNL, hierarchical
            _ => {}
        }
    }
    let mut frame = frame.ok_or(Unsupported)?;
    if frame.scans_seen == 0 {
        return Err(Unsupported);
    }
    frame.finish(&scale, denominator)
}

impl Frame {
    fn new(header: FrameHeader, scale: &Scale, bytes: &[u8], pos: usize) -> Result<Frame, Unsupported> {
        let (hmax, vmax) = header.max_factors();
        let mcus_w = header.width.div_ceil(8 * hmax);
        let mcus_h = header.height.div_ceil(8 * vmax);
        let mut components = Vec::with_capacity(header.components.len());
        let mut planes = Vec::with_capacity(header.components.len());
        for spec in &header.components {
            let (blocks_w, blocks_h) = (mcus_w * spec.h, mcus_h * spec.v);
            let own_w = (header.width * spec.h).div_ceil(hmax).div_ceil(8);
            let own_h = (header.height * spec.v).div_ceil(vmax).div_ceil(8);
            components.push(Component {
                h: spec.h,
                v: spec.v,
                blocks_w,
                blocks_h,
                own_w,
                own_h,
                quant: None,
                coefs: Vec::new(),
                history: Vec::new(),
            });
            let (stride, rows) = (blocks_w * scale.n, blocks_h * scale.n);
            planes.push(Plane { data: vec![0; stride * rows], stride, rows });
        }
        let count = header.components.len();
        let (plan, history) = if header.progressive && scale.n < 8 {
            match plan_scans(bytes, pos, &header, scale) {
                Some((plan, history)) => (Some(plan), history),
                // The look-ahead failed: decode every scan, keeping all history.
                None => (None, vec![true; count]),
            }
        } else {
            (None, vec![false; count])
        };
        Ok(Frame { header, mcus_w, mcus_h, components, planes, direct: false, plan, history, scans_seen: 0 })
    }

    /// Decodes (or skips) one scan whose header ended at `pos`; returns where the next marker
    /// starts.
    fn scan(
        &mut self,
        bytes: &[u8],
        pos: usize,
        scan: &ScanHeader,
        tables: &Tables,
        scale: &Scale,
    ) -> Result<usize, Unsupported> {
        let index = self.scans_seen;
        self.scans_seen += 1;
        if !self.header.progressive {
            if index > 0 && self.direct {
                return Err(Unsupported);
            }
            self.direct = index == 0 && scan.components.len() == self.components.len();
        }
        if let Some(plan) = &self.plan
            && !*plan.get(index).ok_or(Unsupported)?
        {
            return markers::next_marker(bytes, pos).ok_or(Unsupported);
        }
        // Latch the quantisation tables at each component's first scan.
        for &(c, _, _) in &scan.components {
            let component = &mut self.components[c];
            if component.quant.is_none() {
                let table = tables.quant[self.header.components[c].quant].as_ref().ok_or(Unsupported)?;
                let mut quant = [0i32; 64];
                for (k, &slot) in scale.slot.iter().enumerate() {
                    if usize::from(slot) < 64 {
                        quant[usize::from(slot)] = i32::from(table[usize::from(markers::ZIGZAG[k])]);
                    }
                }
                component.quant = Some(quant);
            }
            if !self.direct && component.coefs.is_empty() {
                component.coefs = vec![0; component.blocks_w * component.blocks_h * scale.per_block];
            }
        }
        let mut reader = BitReader::new(bytes, pos);
        if self.direct {
            self.decode_direct(&mut reader, scan, tables, scale)?;
        } else {
            self.decode_into_coefficients(&mut reader, scan, tables, scale)?;
        }
        let end = reader.finish()?;
        markers::next_marker(bytes, end).ok_or(Unsupported)
    }

    /// The units a scan walks: MCUs when it carries several components, else the blocks of
    /// its one component.
    fn units(&self, scan: &ScanHeader) -> ScanUnits {
        if scan.components.len() > 1 {
            let factors =
                scan.components.iter().map(|&(c, _, _)| (self.components[c].h, self.components[c].v)).collect();
            ScanUnits::Mcus { w: self.mcus_w, h: self.mcus_h, factors }
        } else {
            let only = &self.components[scan.components[0].0];
            ScanUnits::Blocks { w: only.own_w, h: only.own_h }
        }
    }

    /// A baseline scan with every component: each block straight to its plane.
    fn decode_direct(
        &mut self,
        reader: &mut BitReader<'_>,
        scan: &ScanHeader,
        tables: &Tables,
        scale: &Scale,
    ) -> Result<(), Unsupported> {
        let units = self.units(scan);
        let mut huffman = Vec::with_capacity(scan.components.len());
        for &(c, dc, ac) in &scan.components {
            let dc = tables.dc[dc].as_ref().ok_or(Unsupported)?;
            let ac = tables.ac[ac].as_ref().ok_or(Unsupported)?;
            huffman.push((c, dc, ac));
        }
        let quants: Vec<[i32; 64]> =
            scan.components.iter().map(|&(c, _, _)| self.components[c].quant.unwrap_or([0; 64])).collect();
        let n = scale.n;
        let planes = &mut self.planes;
        let mut block = [0i32; 64];
        scan::walk_scan(reader, &units, tables.restart_interval, |reader, state, i, bx, by| {
            let (c, dc, ac) = huffman[i];
            clear(&mut block, scale.per_block);
            let any_ac = scan::decode_sequential_block(reader, dc, ac, &mut state.predictors[i], scale, &mut block)?;
            let plane = &mut planes[c];
            let offset = by * n * plane.stride + bx * n;
            write_block(&mut block, &quants[i], any_ac, n, &mut plane.data[offset..], plane.stride);
            Ok(())
        })
    }

    /// A progressive scan, or a sequential scan of a frame coded one component per scan.
    fn decode_into_coefficients(
        &mut self,
        reader: &mut BitReader<'_>,
        scan: &ScanHeader,
        tables: &Tables,
        scale: &Scale,
    ) -> Result<(), Unsupported> {
        let units = self.units(scan);
        let per_block = scale.per_block;
        let restart = tables.restart_interval;
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
            let mut block = [0i32; 64];
            return scan::walk_scan(reader, &units, restart, |reader, state, i, bx, by| {
                let (c, dc, ac) = huffman[i];
                block[..per_block].fill(0);
                scan::decode_sequential_block(reader, dc, ac, &mut state.predictors[i], scale, &mut block)?;
                let component = &mut components[c];
                let at = (by * component.blocks_w + bx) * per_block;
                for (dst, &src) in component.coefs[at..at + per_block].iter_mut().zip(&block) {
                    *dst = src.clamp(-32768, 32767) as i16;
                }
                Ok(())
            });
        }
        if scan.ss == 0 {
            let mut dc_tables = Vec::with_capacity(scan.components.len());
            for &(c, dc, _) in &scan.components {
                dc_tables.push((c, if scan.ah == 0 { Some(tables.dc[dc].as_ref().ok_or(Unsupported)?) } else { None }));
            }
            let components = &mut self.components;
            return scan::walk_scan(reader, &units, restart, |reader, state, i, bx, by| {
                let (c, table) = dc_tables[i];
                let component = &mut components[c];
                let at = (by * component.blocks_w + bx) * per_block;
                let coefs = &mut component.coefs[at..at + per_block];
                match table {
                    Some(table) => scan::dc_first(reader, table, &mut state.predictors[i], scan.al, coefs),
                    None => {
                        scan::dc_refine(reader, scan.al, coefs);
                        Ok(())
                    }
                }
            });
        }
        let (c, _, ac) = scan.components[0];
        let band = AcBand { table: tables.ac[ac].as_ref().ok_or(Unsupported)?, ss: scan.ss, se: scan.se, al: scan.al };
        let component = &mut self.components[c];
        if self.history[c] && component.history.is_empty() {
            component.history = vec![0; component.blocks_w * component.blocks_h];
        }
        let refine = scan.ah != 0;
        scan::walk_scan(reader, &units, restart, |reader, state, _, bx, by| {
            let block = by * component.blocks_w + bx;
            let coefs = &mut component.coefs[block * per_block..(block + 1) * per_block];
            let history = component.history.get_mut(block);
            if refine {
                scan::ac_refine(reader, &band, scale, &mut state.eob_run, coefs, history)
            } else {
                scan::ac_first(reader, &band, scale, &mut state.eob_run, coefs, history)
            }
        })
    }

    /// Runs the inverse DCT over stored coefficients, then converts the planes to pixels.
    fn finish(&mut self, scale: &Scale, denominator: u32) -> Result<Bitmap, Unsupported> {
        let n = scale.n;
        if !self.direct {
            for (component, plane) in self.components.iter().zip(self.planes.iter_mut()) {
                let Some(quant) = component.quant else {
                    return Err(Unsupported); // a component that no scan carried
                };
                let mut block = [0i32; 64];
                for by in 0..component.blocks_h {
                    for bx in 0..component.blocks_w {
                        let at = (by * component.blocks_w + bx) * scale.per_block;
                        let coefs = &component.coefs[at..at + scale.per_block];
                        let mut any_ac = false;
                        for (dst, &src) in block.iter_mut().zip(coefs) {
                            *dst = i32::from(src);
                        }
                        if coefs[1..].iter().any(|&c| c != 0) {
                            any_ac = true;
                        }
                        let offset = by * n * plane.stride + bx * n;
                        write_block(&mut block, &quant, any_ac, n, &mut plane.data[offset..], plane.stride);
                    }
                }
            }
        }
        let (w, h) = scaled_size(self.header.width as u32, self.header.height as u32, denominator);
        let size = (w as usize, h as usize);
        if self.planes.len() == 1 {
            let mut data = vec![0; size.0 * size.1];
            color::plane_to_gray(&self.planes[0], size, &mut data);
            return Bitmap::new(w, h, PixelLayout::Gray, data).ok_or(Unsupported);
        }
        let mut data = vec![0; size.0 * size.1 * 3];
        let factors = self.header.max_factors();
        color::planes_to_rgb(&self.planes[0], &self.planes[1], &self.planes[2], factors, size, &mut data);
        Bitmap::new(w, h, PixelLayout::Rgb, data).ok_or(Unsupported)
    }
}

/// Zeroes the first `per_block` coefficients, with fixed-size stores.
#[inline(always)]
fn clear(block: &mut [i32; 64], per_block: usize) {
    match per_block {
        1 => block[0] = 0,
        4 => block[..4].fill(0),
        16 => block[..16].fill(0),
        _ => block.fill(0),
    }
}

/// Dequantises a block (in stored-slot order) and writes its `n`×`n` pixels.
#[inline]
fn write_block(block: &mut [i32; 64], quant: &[i32; 64], any_ac: bool, n: usize, out: &mut [u8], stride: usize) {
    if !any_ac {
        let value = idct::dc_value(idct::dequantise(block[0], quant[0]));
        idct::fill(value, n, out, stride);
        return;
    }
    match n {
        8 => idct::idct8(&dequantised::<64>(block, quant), out, stride),
        4 => idct::idct4(&dequantised::<16>(block, quant), out, stride),
        2 => idct::idct2(&dequantised::<4>(block, quant), out, stride),
        _ => out[0] = idct::dc_value(idct::dequantise(block[0], quant[0])),
    }
}

/// The first `K` coefficients of a block, dequantised.
#[inline(always)]
fn dequantised<const K: usize>(block: &[i32; 64], quant: &[i32; 64]) -> [i32; K] {
    std::array::from_fn(|i| idct::dequantise(block[i], quant[i]))
}

/// Reads ahead over every scan header of a progressive frame and decides which scans the
/// scale needs. Working backwards: a scan is needed when its band meets the coefficients
/// that matter, which are the stored ones plus, for each needed refinement scan, its whole
/// band (its bit stream depends on which of those coefficients are already non-zero).
/// Also says, per component, whether a needed refinement scan covers coefficients that are
/// not stored (whose non-zero history must then be kept). `None` when the look-ahead fails.
fn plan_scans(bytes: &[u8], mut pos: usize, header: &FrameHeader, scale: &Scale) -> Option<(Vec<bool>, Vec<bool>)> {
    let mut scans = Vec::new();
    loop {
        let segment = markers::segment(bytes, pos).ok()?;
        pos = segment.end;
        match segment.marker {
            0xD9 => break,
            0xDA => {
                let scan = ScanHeader::read(segment.body, header).ok()?;
                scans.push(scan);
                pos = markers::next_marker(bytes, pos)?;
            }
            _ => {}
        }
    }
    let mut matters = vec![scale.stored; header.components.len()];
    let mut history = vec![false; header.components.len()];
    let mut plan = vec![true; scans.len()];
    for (scan, decode) in scans.iter().zip(plan.iter_mut()).rev() {
        if scan.ss == 0 {
            continue; // DC scans are always needed
        }
        let c = scan.components[0].0;
        let band = scan::band(scan.ss, scan.se);
        *decode = band & matters[c] != 0;
        if *decode && scan.ah != 0 {
            matters[c] |= band;
            history[c] |= band & !scale.stored != 0;
        }
    }
    Some((plan, history))
}
