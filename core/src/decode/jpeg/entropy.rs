//! Entropy decoding of scans (ITU-T T.81 F.2 for sequential, G.1.2 for progressive), keeping
//! only the coefficients the output scale uses.
//!
//! A [`Scale`] says which coefficients are kept: at 1/N the N×N low-frequency corner, stored
//! per block in natural order within the corner (`v * N + u`). Coefficients outside it are
//! still decoded (the bit stream has to be parsed) but not stored; progressive refinement
//! scans need to know whether those were non-zero, which [`Component::history`] records when
//! the scan script requires it.

use super::huffman::{BitReader, END_OF_BLOCK_ADVANCE, HuffmanTable, Unsupported};
use super::markers::ZIGZAG;
use super::recover::{Intervals, SegmentReader, Step};
use crate::warning::Warnings;

/// Marks a zigzag position whose coefficient is not stored: the index of a [`Block`]'s sink.
const NOT_STORED: u8 = 64;

/// The coefficients of one block as sequential decoding fills them: 64 in natural order
/// (`v * 8 + u`), then a sink that takes the coefficients the scale does not keep (so that
/// storing needs no test).
pub(crate) type Block = [i32; 65];

/// Entries of [`Keep::slot`]: every position a decoding loop can reach, up to an end of
/// block found at position 63.
const SLOTS: usize = 64 + END_OF_BLOCK_ADVANCE;

/// Which coefficients of a component's blocks are kept: the `h`×`w` low-frequency corner
/// that a `w`×`h` inverse DCT uses (8×8 at full size and for the enlarged transforms of
/// subsampled components; at scale M/8 the M×M corner).
#[derive(Debug, Clone)]
pub(crate) struct Keep {
    /// Stored coefficients per block, `w * h`.
    pub per_block: usize,
    /// For each zigzag position, its slot in the stored corner (`v * w + u`), or
    /// [`NOT_STORED`]: the compact layout of coefficients kept between scans.
    pub slot: [u8; 64],
    /// For each zigzag position, its natural index (`v * 8 + u`) when it is kept, else
    /// [`NOT_STORED`] (also for the positions past 63 that a decoding loop's last step can
    /// reach): the layout of a [`Block`].
    pub natural: [u8; SLOTS],
    /// For each stored slot, its natural index.
    pub to_natural: [u8; 64],
    /// The rows of a [`Block`] the kept corner spans: `8 * (h - 1) + w` entries to clear.
    pub span: usize,
    /// Bit `k` set when zigzag position `k` is stored.
    pub stored: u64,
    /// The last stored zigzag position: later coefficients are skipped, not decoded.
    pub last: usize,
}

impl Keep {
    /// The zigzag positions of `band` (bits `ss..=se`) whose coefficient is already non-zero
    /// before a refinement scan: from the block's record `history` when it keeps one, else
    /// from its stored coefficients.
    #[inline]
    pub(crate) fn nonzero_in_band(&self, coefs: &[i16], history: Option<u64>, (ss, se): (usize, usize)) -> u64 {
        match history {
            Some(h) => h & band(ss, se),
            None => {
                let mut m = 0u64;
                for k in ss..=se {
                    if self.stored & (1 << k) != 0 && coefs[usize::from(self.slot[k])] != 0 {
                        m |= 1 << k;
                    }
                }
                m
            }
        }
    }

    /// The corner a `w`×`h` transform needs (each 1..=8).
    pub fn new(w: usize, h: usize) -> Keep {
        debug_assert!((1..=8).contains(&w) && (1..=8).contains(&h));
        let mut slot = [NOT_STORED; 64];
        let mut natural_slot = [NOT_STORED; SLOTS];
        let mut to_natural = [0u8; 64];
        let mut stored = 0u64;
        for (k, &natural) in ZIGZAG.iter().enumerate() {
            let (row, col) = (usize::from(natural) / 8, usize::from(natural) % 8);
            if row < h && col < w {
                slot[k] = (row * w + col) as u8;
                natural_slot[k] = natural;
                to_natural[row * w + col] = natural;
                stored |= 1 << k;
            }
        }
        let last = 63 - stored.leading_zeros() as usize;
        Keep { per_block: w * h, slot, natural: natural_slot, to_natural, span: 8 * (h - 1) + w, stored, last }
    }
}

/// Bits `ss..=se` of a zigzag-position mask.
pub(crate) fn band(ss: usize, se: usize) -> u64 {
    let high = if se >= 63 { u64::MAX } else { (1u64 << (se + 1)) - 1 };
    high & !((1u64 << ss) - 1)
}

/// What a scan carries over between blocks and resets at a restart marker.
#[derive(Default)]
pub(crate) struct EntropyState {
    pub predictors: [i32; 4],
    pub eob_run: u32,
}

/// The units a scan is coded in.
pub(crate) enum ScanUnits {
    /// Several components: `w` × `h` MCUs, each with `h × v` blocks of each component, in
    /// the order of `factors`.
    Mcus { w: usize, h: usize, factors: Vec<(usize, usize)> },
    /// One component: its `w` × `h` blocks, one at a time.
    Blocks { w: usize, h: usize },
}

/// Walks the blocks of a scan in coding order, handling restart intervals, up to (not
/// including) the unit row `stop`. `f` receives the reader, the state, the index of the
/// component within the scan and the block's position. Returns whether the whole scan was
/// walked and its data read to the end (`false`: it stopped at `stop`, or damage left the
/// reader inside the data; the caller looks for the next marker from the reader's position).
///
/// Damaged data ([`Intervals`]): a unit that fails to decode, or data that runs out, loses the
/// rest of its restart interval (left at zero) with a warning, and decoding resumes at the
/// next restart marker; without one, the rest of the scan is lost.
///
/// The same walk serves Huffman data (`R` = [`BitReader`], `S` = [`EntropyState`]) and
/// arithmetic data (the arithmetic decoder and its statistics); `S` is reset to its default
/// at each restart marker.
pub(crate) fn walk_scan<'a, R: SegmentReader<'a>, S: Default>(
    reader: &mut R,
    units: &ScanUnits,
    intervals: &mut Intervals,
    warnings: &mut Warnings,
    stop: usize,
    mut f: impl FnMut(&mut R, &mut S, usize, usize, usize) -> Result<(), Unsupported>,
) -> Result<bool, Unsupported> {
    let mut state = S::default();
    let (units_w, units_h) = match *units {
        ScanUnits::Mcus { w, h, .. } | ScanUnits::Blocks { w, h } => (w, h),
    };
    for uy in 0..units_h {
        if uy >= stop {
            return Ok(false);
        }
        for ux in 0..units_w {
            match intervals.next(reader, warnings) {
                Step::Decode => {}
                Step::Restarted => state = S::default(),
                Step::Lost if intervals.ended() => return Ok(false),
                Step::Lost => continue,
            }
            let decoded = match units {
                ScanUnits::Blocks { .. } => f(reader, &mut state, 0, ux, uy),
                ScanUnits::Mcus { factors, .. } => decode_mcu(reader, &mut state, factors, ux, uy, &mut f),
            };
            if decoded.is_err() {
                intervals.damage(reader, warnings, (ux, uy));
                if intervals.ended() {
                    return Ok(false);
                }
            }
        }
        // Data that ran out leaves the rest of the scan to zero padding: noticed at the end
        // of the row, so that a hostile file declaring hundreds of megapixels with almost
        // no data is not walked block by block.
        if reader.overran() {
            intervals.ran_out(reader, warnings);
            if intervals.ended() {
                return Ok(false);
            }
        }
    }
    Ok(!intervals.damaged())
}

/// The blocks of one MCU, component by component.
#[inline(always)]
fn decode_mcu<R, S>(
    reader: &mut R,
    state: &mut S,
    factors: &[(usize, usize)],
    ux: usize,
    uy: usize,
    f: &mut impl FnMut(&mut R, &mut S, usize, usize, usize) -> Result<(), Unsupported>,
) -> Result<(), Unsupported> {
    for (i, &(h, v)) in factors.iter().enumerate() {
        for by in 0..v {
            for bx in 0..h {
                f(reader, state, i, ux * h + bx, uy * v + by)?;
            }
        }
    }
    Ok(())
}

/// The DC difference of T.81 F.2.2.1, added to the predictor.
#[inline(always)]
fn decode_dc(reader: &mut BitReader<'_>, table: &HuffmanTable, predictor: &mut i32) -> Result<i32, Unsupported> {
    let diff = match reader.coefficient(table) {
        Some((_, diff)) => diff,
        None => {
            let size = reader.decode(table)?;
            if size > 11 {
                return Err(Unsupported);
            }
            reader.receive_extend(u32::from(size))
        }
    };
    // Real predictors stay within ±2048; the clamp keeps hostile data within `i16`, which
    // dequantisation relies on.
    *predictor = (*predictor + diff).clamp(i32::from(i16::MIN), i32::from(i16::MAX));
    Ok(*predictor)
}

/// One sequential block: fills `block` (natural order; the kept corner must be zero on entry)
/// and returns how far its coefficients reach: the zigzag position of its end of block (1 when
/// only the DC is there), or 64 when it has coefficients past the kept corner.
#[inline(always)]
pub(crate) fn decode_sequential_block(
    reader: &mut BitReader<'_>,
    dc: &HuffmanTable,
    ac: &HuffmanTable,
    predictor: &mut i32,
    keep: &Keep,
    block: &mut Block,
) -> Result<usize, Unsupported> {
    block[0] = decode_dc(reader, dc, predictor)?;
    let mut k = 1;
    // Up to the last stored position; the rest is skipped below.
    while k <= keep.last {
        let entry = reader.coefficient_entry(ac);
        if entry != 0 {
            // One look-up: move past the coefficient (an end of block moves past 127) and
            // store it, into the sink when it is not kept or is the zero of a run.
            reader.consume((entry & 0xFF) as u32);
            k += ((entry >> 8) & 0xFF) as usize;
            block[usize::from(keep.natural[k - 1])] = entry >> 16;
            continue;
        }
        let rs = reader.decode(ac)?;
        let (run, size) = (usize::from(rs >> 4), u32::from(rs & 15));
        if size == 0 {
            if run != 15 {
                return Ok(k); // end of block
            }
            k += 16;
            continue;
        }
        k += run;
        if k > 63 {
            return Err(Unsupported);
        }
        block[usize::from(keep.natural[k])] = reader.receive_extend(size);
        k += 1;
    }
    if k >= END_OF_BLOCK_ADVANCE {
        return Ok(k - END_OF_BLOCK_ADVANCE);
    }
    if k > 64 {
        return Err(Unsupported); // a run past the block's end
    }
    if k < 64 {
        reader.skip_block(ac, k)?;
    }
    Ok(64)
}

/// One sequential block whose coefficients are not needed: the DC difference (the
/// predictor carries it to the next block) and the AC codes skipped, not decoded.
#[inline]
pub(crate) fn skip_sequential_block(
    reader: &mut BitReader<'_>,
    dc: &HuffmanTable,
    ac: &HuffmanTable,
    predictor: &mut i32,
) -> Result<(), Unsupported> {
    decode_dc(reader, dc, predictor)?;
    reader.skip_block(ac, 1)
}

#[inline]
fn to_i16(v: i32) -> i16 {
    v.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
}

/// First DC scan of a progressive frame: the DC coefficient, shifted left by `al`.
pub(crate) fn dc_first(
    reader: &mut BitReader<'_>,
    table: &HuffmanTable,
    predictor: &mut i32,
    al: u32,
    coefs: &mut [i16],
) -> Result<(), Unsupported> {
    let dc = decode_dc(reader, table, predictor)?;
    coefs[0] = to_i16(dc << al);
    Ok(())
}

/// DC refinement: one more bit of the DC coefficient.
pub(crate) fn dc_refine(reader: &mut BitReader<'_>, al: u32, coefs: &mut [i16]) {
    if reader.bit() {
        coefs[0] |= 1 << al;
    }
}

/// A progressive AC scan's parameters.
pub(crate) struct AcBand<'a> {
    pub table: &'a HuffmanTable,
    pub ss: usize,
    pub se: usize,
    pub al: u32,
}

/// First AC scan over the band: coefficients shifted left by `al`, with end-of-band runs.
pub(crate) fn ac_first(
    reader: &mut BitReader<'_>,
    band: &AcBand<'_>,
    keep: &Keep,
    eob_run: &mut u32,
    coefs: &mut [i16],
    mut history: Option<&mut u64>,
) -> Result<(), Unsupported> {
    if *eob_run > 0 {
        *eob_run -= 1;
        return Ok(());
    }
    let mut k = band.ss;
    while k <= band.se {
        let (run, value) = match reader.coefficient(band.table) {
            Some((0, 0)) => break, // end of block
            Some((_, 0)) => {
                k += 16;
                continue;
            }
            Some(coefficient) => coefficient,
            None => {
                let rs = reader.decode(band.table)?;
                let (run, size) = (u32::from(rs >> 4), u32::from(rs & 15));
                if size == 0 {
                    if run < 15 {
                        *eob_run = (1 << run) - 1 + reader.bits(run);
                        break;
                    }
                    k += 16;
                    continue;
                }
                (run as usize, reader.receive_extend(size))
            }
        };
        k += run;
        if k > band.se {
            return Err(Unsupported);
        }
        let value = value << band.al;
        let slot = keep.slot[k];
        if slot != NOT_STORED {
            coefs[usize::from(slot)] = to_i16(value);
        }
        if let Some(h) = history.as_deref_mut() {
            *h |= 1 << k;
        }
        k += 1;
    }
    Ok(())
}

/// AC refinement (T.81 G.1.2.3): a correction bit for each coefficient of the band that is
/// already non-zero, and new coefficients of magnitude `1 << al` placed among the zero ones.
///
/// Which coefficients are non-zero so far is kept as a bit mask over zigzag positions (from
/// `history` when the scale keeps one, else from the stored coefficients), so that blocks in
/// an end-of-band run only visit their non-zero coefficients.
pub(crate) fn ac_refine(
    reader: &mut BitReader<'_>,
    band: &AcBand<'_>,
    keep: &Keep,
    eob_run: &mut u32,
    coefs: &mut [i16],
    history: Option<&mut u64>,
) -> Result<(), Unsupported> {
    let plus = 1i16 << band.al;
    let minus = -1i16 << band.al;
    let mut nonzero = keep.nonzero_in_band(coefs, history.as_deref().copied(), (band.ss, band.se));
    // Reads the correction bit of the non-zero coefficient at position k.
    let correct = |reader: &mut BitReader<'_>, coefs: &mut [i16], k: usize| {
        if reader.bit() {
            let slot = keep.slot[k];
            if slot != NOT_STORED {
                let c = &mut coefs[usize::from(slot)];
                if *c & plus == 0 {
                    *c = c.saturating_add(if *c >= 0 { plus } else { minus });
                }
            }
        }
    };
    let mut k = band.ss;
    if *eob_run == 0 {
        while k <= band.se {
            let rs = reader.decode(band.table)?;
            let (mut run, size) = (u32::from(rs >> 4), u32::from(rs & 15));
            let mut value = 0i16;
            if size != 0 {
                if size != 1 {
                    return Err(Unsupported);
                }
                value = if reader.bit() { plus } else { minus };
            } else if run != 15 {
                *eob_run = (1 << run) + reader.bits(run);
                break;
            }
            while k <= band.se {
                if nonzero & (1 << k) != 0 {
                    correct(reader, coefs, k);
                } else {
                    if run == 0 {
                        if value != 0 {
                            let slot = keep.slot[k];
                            if slot != NOT_STORED {
                                coefs[usize::from(slot)] = value;
                            }
                            nonzero |= 1 << k;
                        }
                        k += 1;
                        break;
                    }
                    run -= 1;
                }
                k += 1;
            }
        }
    }
    if *eob_run > 0 {
        if k <= band.se {
            let mut rest = nonzero & self::band(k, band.se);
            while rest != 0 {
                correct(reader, coefs, rest.trailing_zeros() as usize);
                rest &= rest - 1;
            }
        }
        *eob_run -= 1;
    }
    if let Some(h) = history {
        *h |= nonzero;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_the_low_frequency_corner() {
        let quarter = Keep::new(2, 2);
        // Zigzag 0, 1, 2, 4 are (0,0), (0,1), (1,0), (1,1).
        assert_eq!(quarter.stored, 0b10111);
        assert_eq!(&quarter.slot[..5], &[0, 1, 2, NOT_STORED, 3]);
        assert_eq!(Keep::new(1, 1).stored, 1);
        assert_eq!(Keep::new(8, 8).stored, u64::MAX);
        assert_eq!(Keep::new(8, 8).slot[2], 8, "zigzag 2 is row 1, column 0");
        assert_eq!(Keep::new(4, 4).stored.count_ones(), 16);
        // 8 across, 4 down (4:2:2 chroma at 1/2): zigzag 2 is (row 1, column 0), slot 8.
        let wide = Keep::new(8, 4);
        assert_eq!((wide.per_block, wide.slot[2], wide.stored.count_ones()), (32, 8, 32));
        assert_eq!(Keep::new(3, 3).last, 12, "(2, 2) is zigzag 12");
        // The natural layout: zigzag 2 is row 1, column 0 whatever the corner.
        assert_eq!((quarter.natural[2], quarter.natural[3], quarter.natural[100]), (8, NOT_STORED, NOT_STORED));
        assert_eq!(&quarter.to_natural[..4], &[0, 1, 8, 9]);
        assert_eq!(Keep::new(3, 3).span, 19);
        // The natural layout: zigzag 2 is row 1, column 0 whatever the corner.
        assert_eq!((quarter.natural[2], quarter.natural[3], quarter.natural[100]), (8, NOT_STORED, NOT_STORED));
        assert_eq!(&quarter.to_natural[..4], &[0, 1, 8, 9]);
        assert_eq!(Keep::new(3, 3).span, 19);
    }

    #[test]
    fn bands() {
        assert_eq!(band(0, 0), 1);
        assert_eq!(band(1, 5), 0b11_1110);
        assert_eq!(band(1, 63), u64::MAX - 1);
    }
}
