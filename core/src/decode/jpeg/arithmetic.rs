//! Arithmetic entropy decoding (ITU-T T.81 Annex D, the QM-coder; F.1.4 for sequential
//! frames, SOF9; G.1.3 for progressive ones, SOF10), producing the same coefficients, in the
//! same layouts, as the Huffman path of [`entropy`](super::entropy), so that everything after
//! the entropy decoding (region, scale, inverse DCT, colour) is shared.
//!
//! Each binary decision is decoded with an adaptive probability estimate (a "statistics
//! bin": an index into the state machine of Table D.2 and the more probable symbol), chosen
//! by its context. The bins live in statistics areas, one per DC and one per AC table of the
//! scan, reset at the start of every scan and at every restart marker, as are the DC
//! predictions. Unlike Huffman coding nothing can be skipped: every decision changes the
//! estimates of the ones after it, so coefficients the scale does not keep are decoded and
//! dropped.
//!
//! Damaged data never panics: every decision is a few bounded integer operations, runs and
//! magnitudes are checked against the block, and data that runs out is fed as zero bytes (as
//! T.81 D.2.6 says at a marker) and reported as truncated past the end of the file.

use super::entropy::Keep;
use super::huffman::Unsupported;

/// The conditioning parameters of the DAC segment (T.81 B.2.4.3): for each DC table the
/// bounds L and U that classify the previous DC difference (F.1.4.4.1.2), and for each AC
/// table Kx, the last position coded with the low-frequency magnitude bins (F.1.4.4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Conditioning {
    /// (L, U) per DC table.
    pub dc: [(u8, u8); 4],
    /// Kx per AC table.
    pub ac: [u8; 4],
}

impl Default for Conditioning {
    /// T.81's defaults (Table F.1 note): L = 0, U = 1, Kx = 5.
    fn default() -> Conditioning {
        Conditioning { dc: [(0, 1); 4], ac: [5; 4] }
    }
}

impl Conditioning {
    /// Reads a DAC segment: pairs of (class and table, value).
    pub fn read_dac(&mut self, body: &[u8]) -> Result<(), Unsupported> {
        if !body.len().is_multiple_of(2) {
            return Err(Unsupported);
        }
        for pair in body.chunks_exact(2) {
            let (class, table, value) = (pair[0] >> 4, usize::from(pair[0] & 15), pair[1]);
            if table > 3 {
                return Err(Unsupported);
            }
            match class {
                0 => {
                    let (l, u) = (value & 15, value >> 4);
                    if l > u {
                        return Err(Unsupported);
                    }
                    self.dc[table] = (l, u);
                }
                1 if (1..=63).contains(&value) => self.ac[table] = value,
                _ => return Err(Unsupported),
            }
        }
        Ok(())
    }
}

/// One row of T.81 Table D.2: the LPS probability estimate Qe, the next state after an MPS
/// and after an LPS, and whether an LPS swaps the meaning of MPS and LPS.
struct QeState {
    qe: u16,
    next_mps: u8,
    next_lps: u8,
    switch: bool,
}

const fn q(qe: u16, next_lps: u8, next_mps: u8, switch: u8) -> QeState {
    QeState { qe, next_mps, next_lps, switch: switch == 1 }
}

/// T.81 Table D.2, in the standard's column order (Qe, Next_Index_LPS, Next_Index_MPS,
/// Switch_MPS).
#[rustfmt::skip]
const QE_TABLE: [QeState; 113] = [
    q(0x5A1D, 1, 1, 1), q(0x2586, 14, 2, 0), q(0x1114, 16, 3, 0), q(0x080B, 18, 4, 0),
    q(0x03D8, 20, 5, 0), q(0x01DA, 23, 6, 0), q(0x00E5, 25, 7, 0), q(0x006F, 28, 8, 0),
    q(0x0036, 30, 9, 0), q(0x001A, 33, 10, 0), q(0x000D, 35, 11, 0), q(0x0006, 9, 12, 0),
    q(0x0003, 10, 13, 0), q(0x0001, 12, 13, 0), q(0x5A7F, 15, 15, 1), q(0x3F25, 36, 16, 0),
    q(0x2CF2, 38, 17, 0), q(0x207C, 39, 18, 0), q(0x17B9, 40, 19, 0), q(0x1182, 42, 20, 0),
    q(0x0CEF, 43, 21, 0), q(0x09A1, 45, 22, 0), q(0x072F, 46, 23, 0), q(0x055C, 48, 24, 0),
    q(0x0406, 49, 25, 0), q(0x0303, 51, 26, 0), q(0x0240, 52, 27, 0), q(0x01B1, 54, 28, 0),
    q(0x0144, 56, 29, 0), q(0x00F5, 57, 30, 0), q(0x00B7, 59, 31, 0), q(0x008A, 60, 32, 0),
    q(0x0068, 62, 33, 0), q(0x004E, 63, 34, 0), q(0x003B, 32, 35, 0), q(0x002C, 33, 9, 0),
    q(0x5AE1, 37, 37, 1), q(0x484C, 64, 38, 0), q(0x3A0D, 65, 39, 0), q(0x2EF1, 67, 40, 0),
    q(0x261F, 68, 41, 0), q(0x1F33, 69, 42, 0), q(0x19A8, 70, 43, 0), q(0x1518, 72, 44, 0),
    q(0x1177, 73, 45, 0), q(0x0E74, 74, 46, 0), q(0x0BFB, 75, 47, 0), q(0x09F8, 77, 48, 0),
    q(0x0861, 78, 49, 0), q(0x0706, 79, 50, 0), q(0x05CD, 48, 51, 0), q(0x04DE, 50, 52, 0),
    q(0x040F, 50, 53, 0), q(0x0363, 51, 54, 0), q(0x02D4, 52, 55, 0), q(0x025C, 53, 56, 0),
    q(0x01F8, 54, 57, 0), q(0x01A4, 55, 58, 0), q(0x0160, 56, 59, 0), q(0x0125, 57, 60, 0),
    q(0x00F6, 58, 61, 0), q(0x00CB, 59, 62, 0), q(0x00AB, 61, 63, 0), q(0x008F, 61, 32, 0),
    q(0x5B12, 65, 65, 1), q(0x4D04, 80, 66, 0), q(0x412C, 81, 67, 0), q(0x37D8, 82, 68, 0),
    q(0x2FE8, 83, 69, 0), q(0x293C, 84, 70, 0), q(0x2379, 86, 71, 0), q(0x1EDF, 87, 72, 0),
    q(0x1AA9, 87, 73, 0), q(0x174E, 72, 74, 0), q(0x1424, 72, 75, 0), q(0x119C, 74, 76, 0),
    q(0x0F6B, 74, 77, 0), q(0x0D51, 75, 78, 0), q(0x0BB6, 77, 79, 0), q(0x0A40, 77, 48, 0),
    q(0x5832, 80, 81, 1), q(0x4D1C, 88, 82, 0), q(0x438E, 89, 83, 0), q(0x3BDD, 90, 84, 0),
    q(0x34EE, 91, 85, 0), q(0x2EAE, 92, 86, 0), q(0x299A, 93, 87, 0), q(0x2516, 86, 71, 0),
    q(0x5570, 88, 89, 1), q(0x4CA9, 95, 90, 0), q(0x44D9, 96, 91, 0), q(0x3E22, 97, 92, 0),
    q(0x3824, 99, 93, 0), q(0x32B4, 99, 94, 0), q(0x2E17, 93, 86, 0), q(0x56A8, 95, 96, 1),
    q(0x4F46, 101, 97, 0), q(0x47E5, 102, 98, 0), q(0x41CF, 103, 99, 0), q(0x3C3D, 104, 100, 0),
    q(0x375E, 99, 93, 0), q(0x5231, 105, 102, 0), q(0x4C0F, 106, 103, 0), q(0x4639, 107, 104, 0),
    q(0x415E, 103, 99, 0), q(0x5627, 105, 106, 1), q(0x50E7, 108, 107, 0), q(0x4B85, 109, 103, 0),
    q(0x5597, 110, 109, 0), q(0x504F, 111, 107, 0), q(0x5A10, 110, 111, 1), q(0x5522, 112, 109, 0),
    q(0x59EB, 112, 111, 1),
];

/// The bit of a statistics bin that holds its more probable symbol; the low seven bits are
/// its state in [`QE_TABLE`]. A zeroed bin is T.81's initial state: index 0, MPS 0.
const MPS: u8 = 0x80;

/// Zero bytes fed past the end of the file before the data counts as truncated. The decoder
/// reads at most a few bytes beyond the last one the encoder wrote; a file that merely lacks
/// its EOI stays within this.
const PAST_END_ALLOWANCE: u32 = 8;

/// The QM decoder of T.81 D.2 over one entropy-coded segment.
pub(crate) struct Decoder<'a> {
    data: &'a [u8],
    /// The next byte to read.
    pos: usize,
    /// The code register: `Cx` in bits 16..32, the byte being shifted in below it.
    c: u32,
    /// The interval register (0x10000 stands for T.81's initial 0).
    a: u32,
    /// Bits of the last byte read still to shift into `Cx`.
    ct: u32,
    /// A marker was reached: from here on zero bytes are fed and `pos` stays on it.
    at_marker: bool,
    /// Zero bytes fed because the file ended.
    past_end: u32,
}

impl<'a> Decoder<'a> {
    /// INITDEC (T.81 Figure D.24) at `pos`.
    pub fn new(data: &'a [u8], pos: usize) -> Decoder<'a> {
        let mut decoder = Decoder { data, pos, c: 0, a: 0x10000, ct: 0, at_marker: false, past_end: 0 };
        decoder.byte_in();
        decoder.c <<= 8;
        decoder.byte_in();
        decoder.c <<= 8;
        decoder
    }

    /// BYTE_IN (Figure D.25): the next data byte into the low half of `c`, undoing the
    /// stuffing of 0xFF; zeros once a marker or the end of the data is reached.
    #[inline]
    fn byte_in(&mut self) {
        if self.at_marker {
            return;
        }
        match self.data.get(self.pos) {
            Some(&0xFF) => match self.data.get(self.pos + 1) {
                Some(&0) => {
                    self.c += 0xFF << 8;
                    self.pos += 2;
                }
                Some(_) => self.at_marker = true,
                // The file ends in the first byte of a stuffed 0xFF or of a marker.
                None => {
                    self.pos = self.data.len();
                    self.past_end += 1;
                }
            },
            Some(&b) => {
                self.c += u32::from(b) << 8;
                self.pos += 1;
            }
            None => self.past_end += 1,
        }
    }

    /// DECODE (Figure D.20) of one binary decision with the estimate of `bin`, which it
    /// updates (D.2.5).
    #[inline]
    pub fn decode(&mut self, bin: &mut u8) -> bool {
        let state = &QE_TABLE[usize::from(*bin & !MPS).min(QE_TABLE.len() - 1)];
        let mps = *bin & MPS != 0;
        let qe = u32::from(state.qe);
        // `a` is at least 0x8000 here and Qe at most 0x5B12.
        self.a -= qe;
        let decision;
        if self.c >> 16 < self.a {
            if self.a >= 0x8000 {
                return mps;
            }
            // Cond_MPS_exchange (Figure D.22).
            if self.a < qe {
                decision = !mps;
                *bin = lps_state(state, mps);
            } else {
                decision = mps;
                *bin = state.next_mps | (*bin & MPS);
            }
        } else {
            // Cond_LPS_exchange (Figure D.21): `Cx >= A`, so the subtraction cannot wrap.
            self.c -= self.a << 16;
            if self.a < qe {
                decision = mps;
                *bin = state.next_mps | (*bin & MPS);
            } else {
                decision = !mps;
                *bin = lps_state(state, mps);
            }
            self.a = qe;
        }
        // RENORM_D (Figure D.23).
        while self.a < 0x8000 {
            if self.ct == 0 {
                self.byte_in();
                self.ct = 8;
            }
            self.a <<= 1;
            self.c <<= 1;
            self.ct -= 1;
        }
        decision
    }

    /// A decision coded with the fixed estimate Qe = 0x5A1D (signs, and the bits of
    /// refinement scans: T.81 F.1.4.4.1.3, G.1.3.3), which does not adapt.
    #[inline]
    pub fn decode_fixed(&mut self) -> bool {
        let mut fixed = 0u8;
        self.decode(&mut fixed)
    }

    /// Whether the decoder has read past the end of the file: a scan's data always ends at a
    /// marker, so the file is truncated (the decisions of the last bytes may still be whole).
    pub fn ran_past_end(&self) -> bool {
        self.past_end > 0
    }

    /// Whether the data ran well past the end of the file (a truncated file).
    pub fn truncated(&self) -> bool {
        self.past_end > PAST_END_ALLOWANCE
    }

    /// The whole input the decoder reads from.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// Where the next marker search starts: the first byte not read.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// At a restart interval's end: expects `RSTn` (the data of the interval may end a few
    /// bytes before it) and starts decoding the next interval after it.
    pub fn restart(&mut self, expected: u8) -> Result<(), Unsupported> {
        if self.truncated() {
            return Err(Unsupported);
        }
        let mut pos = self.pos;
        // On to the marker: an 0xFF not followed by a stuffed zero.
        loop {
            match (self.data.get(pos), self.data.get(pos + 1)) {
                (Some(0xFF), Some(0x00)) => pos += 2,
                (Some(0xFF), Some(0xFF)) => pos += 1,
                (Some(0xFF), Some(_)) => break,
                (Some(_), _) => pos += 1,
                (None, _) => return Err(Unsupported),
            }
        }
        if self.data.get(pos + 1) != Some(&(0xD0 + expected)) {
            return Err(Unsupported);
        }
        *self = Decoder::new(self.data, pos + 2);
        Ok(())
    }

    /// At the end of a scan: checks that the data did not run short and returns where the
    /// next marker search starts.
    pub fn finish(self) -> Result<usize, Unsupported> {
        if self.truncated() { Err(Unsupported) } else { Ok(self.pos) }
    }
}

/// The bin after an LPS: the next state, with MPS and LPS swapped when the state says so.
#[inline]
fn lps_state(state: &QeState, mps: bool) -> u8 {
    let mps = mps != state.switch;
    state.next_lps | if mps { MPS } else { 0 }
}

/// Statistics bins of one DC table: S0, SS, SP, SN for each of the five classes of the
/// previous difference at 0, 4, 8, 12, 16 (Table F.4), X1..X15 at 20, M2..M15 at 35.
const DC_BINS: usize = 64;
/// Statistics bins of one AC table: SE, S0, SN/SP for each position (three from
/// `3 * (k - 1)`), then X2..X15 and M2..M15 for positions up to Kx at 189, past it at 217
/// (Table F.5).
const AC_BINS: usize = 256;

/// What a scan carries from block to block: the statistics areas of its tables, and per
/// component of the scan its DC prediction and the class of its previous DC difference.
/// All of it is reset at the start of the scan and at each restart marker.
pub(crate) struct ScanState {
    dc: [[u8; DC_BINS]; 4],
    ac: [[u8; AC_BINS]; 4],
    predictors: [i32; 4],
    dc_context: [usize; 4],
}

impl Default for ScanState {
    fn default() -> ScanState {
        ScanState { dc: [[0; DC_BINS]; 4], ac: [[0; AC_BINS]; 4], predictors: [0; 4], dc_context: [0; 4] }
    }
}

/// The tables and conditioning a scan component is coded with.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Coding {
    /// DC and AC table numbers (statistics areas).
    pub dc: usize,
    pub ac: usize,
    /// The DC table's (L, U) and the AC table's Kx.
    pub bounds: (u8, u8),
    pub kx: usize,
}

impl Coding {
    /// The coding of a scan component with tables `dc` and `ac` (each 0..=3).
    pub fn new(conditioning: &Conditioning, dc: usize, ac: usize) -> Coding {
        Coding { dc, ac, bounds: conditioning.dc[dc], kx: usize::from(conditioning.ac[ac]) }
    }
}

/// The magnitude of a non-zero value past its first decision (Figures F.23 and F.24):
/// the magnitude category through the `x` bins (`x`, `x + 1`, ...), then the bits below its
/// top bit through the matching `M` bin 14 further on. Returns `|v| - 1`.
#[inline]
fn decode_magnitude(decoder: &mut Decoder<'_>, bins: &mut [u8], mut m: i32, mut x: usize) -> Result<i32, Unsupported> {
    while decoder.decode(&mut bins[x]) {
        m <<= 1;
        if m >= 0x8000 {
            return Err(Unsupported); // more than 15 bits: not a DCT coefficient
        }
        x += 1;
    }
    let bin = &mut bins[x + 14];
    let mut value = m;
    let mut bit = m >> 1;
    while bit != 0 {
        if decoder.decode(bin) {
            value |= bit;
        }
        bit >>= 1;
    }
    Ok(value)
}

/// A DC difference (T.81 F.1.4.4.1), conditioned on the class of the component's previous
/// difference, which it updates.
#[inline]
fn dc_difference(
    decoder: &mut Decoder<'_>,
    bins: &mut [u8; DC_BINS],
    context: &mut usize,
    (l, u): (u8, u8),
) -> Result<i32, Unsupported> {
    let s0 = *context;
    if !decoder.decode(&mut bins[s0]) {
        *context = 0;
        return Ok(0);
    }
    let negative = decoder.decode(&mut bins[s0 + 1]);
    let sign_bin = s0 + 2 + usize::from(negative);
    // |v| - 1, through X1 at 20 when it is not zero.
    let magnitude = if decoder.decode(&mut bins[sign_bin]) { decode_magnitude(decoder, bins, 1, 20)? } else { 0 };
    // The class of this difference for the next one (Table F.3, with |v| - 1 compared as
    // its top bit: zero up to 2^(L-1), large above 2^U).
    let top = if magnitude == 0 { 0 } else { 1 << (31 - magnitude.leading_zeros()) };
    let class = if top < (1 << l) >> 1 {
        0
    } else if top > (1 << u) >> 1 {
        12
    } else {
        4
    };
    *context = if class == 0 { 0 } else { class + 4 * usize::from(negative) };
    let v = magnitude + 1;
    Ok(if negative { -v } else { v })
}

/// The next DC value of a component: its difference added to the prediction, kept within
/// `i16` (which dequantisation relies on) whatever the data says.
#[inline]
fn dc_value(decoder: &mut Decoder<'_>, state: &mut ScanState, i: usize, coding: &Coding) -> Result<i32, Unsupported> {
    let diff = dc_difference(decoder, &mut state.dc[coding.dc], &mut state.dc_context[i], coding.bounds)?;
    let predictor = &mut state.predictors[i];
    *predictor = (*predictor + diff).clamp(i32::from(i16::MIN), i32::from(i16::MAX));
    Ok(*predictor)
}

#[inline]
fn to_i16(v: i32) -> i16 {
    v.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
}

/// Stores the coefficient at zigzag position `k` when the scale keeps it.
#[inline]
fn store(keep: &Keep, coefs: &mut [i16], k: usize, value: i32) {
    if keep.stored & (1 << k) != 0 {
        coefs[usize::from(keep.slot[k])] = to_i16(value);
    }
}

/// The AC coefficients of positions `ss..=se` (F.1.4.4.2, and G.1.3.2 for the first scan of
/// a progressive band): each value shifted left by `al` and handed to `put` with its
/// position. An end of block ends the band early.
#[inline]
fn ac_values(
    decoder: &mut Decoder<'_>,
    bins: &mut [u8; AC_BINS],
    kx: usize,
    (ss, se, al): (usize, usize, u32),
    mut put: impl FnMut(usize, i32),
) -> Result<(), Unsupported> {
    let mut k = ss;
    while k <= se {
        let mut at = 3 * (k - 1);
        if decoder.decode(&mut bins[at]) {
            break; // end of block
        }
        while !decoder.decode(&mut bins[at + 1]) {
            // A zero coefficient.
            at += 3;
            k += 1;
            if k > se {
                return Err(Unsupported);
            }
        }
        let negative = decoder.decode_fixed();
        // |v| - 1: 0 or 1 through the position's own bin (SP/SN, then X1), else its
        // category through X2.. (low or high frequencies) and its bits.
        let first = at + 2;
        let magnitude = if !decoder.decode(&mut bins[first]) {
            0
        } else if !decoder.decode(&mut bins[first]) {
            1
        } else {
            decode_magnitude(decoder, bins, 2, if k <= kx { 189 } else { 217 })?
        };
        let v = magnitude + 1;
        put(k, (if negative { -v } else { v }) << al);
        k += 1;
    }
    Ok(())
}

/// One block of a sequential scan (T.81 F.1.4): the DC difference and the AC coefficients,
/// stored where the scale keeps them (`coefs` must be zero on entry).
#[inline]
pub(crate) fn sequential_block(
    decoder: &mut Decoder<'_>,
    state: &mut ScanState,
    i: usize,
    coding: &Coding,
    keep: &Keep,
    coefs: &mut [i16],
) -> Result<(), Unsupported> {
    let dc = dc_value(decoder, state, i, coding)?;
    coefs[0] = to_i16(dc);
    ac_values(decoder, &mut state.ac[coding.ac], coding.kx, (1, 63, 0), |k, v| store(keep, coefs, k, v))
}

/// First DC scan of a progressive frame (G.1.3.1): the DC value shifted left by `al`.
#[inline]
pub(crate) fn dc_first(
    decoder: &mut Decoder<'_>,
    state: &mut ScanState,
    i: usize,
    coding: &Coding,
    al: u32,
    coefs: &mut [i16],
) -> Result<(), Unsupported> {
    let dc = dc_value(decoder, state, i, coding)?;
    coefs[0] = to_i16(dc << al);
    Ok(())
}

/// DC refinement: one more bit, with the fixed estimate.
#[inline]
pub(crate) fn dc_refine(decoder: &mut Decoder<'_>, al: u32, coefs: &mut [i16]) {
    if decoder.decode_fixed() {
        coefs[0] |= 1 << al;
    }
}

/// A progressive AC scan's band and bit position.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AcBand {
    pub ss: usize,
    pub se: usize,
    pub al: u32,
}

/// First AC scan over the band (G.1.3.2). `history` records which positions became non-zero
/// when refinement scans need it.
#[inline]
pub(crate) fn ac_first(
    decoder: &mut Decoder<'_>,
    state: &mut ScanState,
    coding: &Coding,
    band: AcBand,
    keep: &Keep,
    coefs: &mut [i16],
    mut history: Option<&mut u64>,
) -> Result<(), Unsupported> {
    let bins = &mut state.ac[coding.ac];
    ac_values(decoder, bins, coding.kx, (band.ss, band.se, band.al), |k, v| {
        store(keep, coefs, k, v);
        if let Some(h) = history.as_deref_mut() {
            *h |= 1 << k;
        }
    })
}

/// AC refinement (G.1.3.3): for each position of the band, a correction bit when the
/// coefficient is already non-zero, else whether it becomes ±`1 << al`; an end of block is
/// coded only past the last position that was non-zero before this scan.
///
/// Which coefficients are non-zero comes from `history` when the scale keeps one, else from
/// the stored coefficients (the band is then within the kept corner).
#[inline]
pub(crate) fn ac_refine(
    decoder: &mut Decoder<'_>,
    state: &mut ScanState,
    coding: &Coding,
    band: AcBand,
    keep: &Keep,
    coefs: &mut [i16],
    history: Option<&mut u64>,
) -> Result<(), Unsupported> {
    let bins = &mut state.ac[coding.ac];
    let plus = 1i16 << band.al;
    let minus = -1i16 << band.al;
    let mut nonzero = keep.nonzero_in_band(coefs, history.as_deref().copied(), (band.ss, band.se));
    // EOBx: the last position already non-zero (0 when none is).
    let last = if nonzero == 0 { 0 } else { 63 - nonzero.leading_zeros() as usize };
    let mut k = band.ss;
    while k <= band.se {
        let mut at = 3 * (k - 1);
        if k > last && decoder.decode(&mut bins[at]) {
            break; // end of block
        }
        loop {
            if nonzero & (1 << k) != 0 {
                if decoder.decode(&mut bins[at + 2]) && keep.stored & (1 << k) != 0 {
                    let c = &mut coefs[usize::from(keep.slot[k])];
                    if *c & plus == 0 {
                        *c = c.saturating_add(if *c >= 0 { plus } else { minus });
                    }
                }
                break;
            }
            if decoder.decode(&mut bins[at + 1]) {
                let value = if decoder.decode_fixed() { minus } else { plus };
                if keep.stored & (1 << k) != 0 {
                    coefs[usize::from(keep.slot[k])] = value;
                }
                nonzero |= 1 << k;
                break;
            }
            at += 3;
            k += 1;
            if k > band.se {
                return Err(Unsupported);
            }
        }
        k += 1;
    }
    if let Some(h) = history {
        *h |= nonzero;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{decoder, read_header};
    use super::*;

    /// Arithmetic-coded JPEGs made by libjpeg-turbo's `cjpeg -arithmetic` (75×50, quality
    /// 90): sequential 4:2:0 with a restart marker after every MCU, and progressive 4:2:2.
    const FILES: [(&str, &[u8]); 2] = [
        ("sequential", include_bytes!("../../../../fixtures/arithmetic.jpg")),
        ("progressive", include_bytes!("../../../../fixtures/arithmetic-progressive.jpg")),
    ];

    fn decode(bytes: &[u8], scale: usize) -> Result<decoder::Output, Unsupported> {
        let header = read_header(bytes).map_err(|_| Unsupported)?;
        decoder::decode(bytes, &header, &decoder::Request { scale, region: None })
    }

    #[test]
    fn dac_segments_set_the_conditioning() {
        let mut conditioning = Conditioning::default();
        assert_eq!(conditioning.dc[0], (0, 1));
        assert_eq!(conditioning.ac[3], 5);
        // DC table 1: L = 2, U = 5; AC table 2: Kx = 20.
        conditioning.read_dac(&[0x01, 0x52, 0x12, 20]).unwrap();
        assert_eq!((conditioning.dc[1], conditioning.ac[2]), ((2, 5), 20));
        assert_eq!((conditioning.dc[0], conditioning.ac[0]), ((0, 1), 5), "other tables keep theirs");
        // L above U, Kx of 0 or 64, a fifth table, a class 2, an odd length.
        for bad in [&[0x00, 0x25][..], &[0x10, 0], &[0x10, 64], &[0x04, 0x10], &[0x20, 1], &[0x00]] {
            assert!(Conditioning::default().read_dac(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_fixed_estimate_does_not_adapt_and_bins_stay_in_the_table() {
        // Whatever the data, every bin stays a valid state and decoding goes on.
        let data: Vec<u8> = (0..64u32).map(|i| (i * 37 + 11) as u8).collect();
        let mut decoder = Decoder::new(&data, 0);
        let mut bins = [0u8; 4];
        for i in 0..4000 {
            let _ = decoder.decode(&mut bins[i % 4]);
            let _ = decoder.decode_fixed();
            assert!(bins.iter().all(|&b| usize::from(b & !MPS) < QE_TABLE.len()));
        }
        assert!(decoder.truncated(), "4000 decisions need more than 64 bytes");
        // A stuffed 0xFF is data; a marker stops the reading and stays unread.
        let mut decoder = Decoder::new(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD9], 0);
        let mut bin = 0;
        for _ in 0..100 {
            decoder.decode(&mut bin);
        }
        assert_eq!(decoder.position(), 4);
        assert!(!decoder.truncated());
    }

    #[test]
    fn libjpeg_turbo_files_decode_at_every_scale() {
        for (name, bytes) in FILES {
            for scale in 1..=8 {
                let out = decode(bytes, scale).unwrap_or_else(|_| panic!("{name} at {scale}/8"));
                let expected = decoder::scaled_size(75, 50, scale);
                let bitmap = &out.bitmap;
                assert_eq!((bitmap.width as usize, bitmap.height as usize), expected, "{name} at {scale}/8");
                // A photo, not a flat field.
                let (min, max) = bitmap.data.iter().fold((255, 0), |(lo, hi), &v| (v.min(lo), v.max(hi)));
                assert!(max - min > 100, "{name} at {scale}/8 is flat: {min}..{max}");
            }
        }
    }

    /// A small deterministic generator.
    fn next(state: &mut u32) -> u32 {
        *state ^= *state << 13;
        *state ^= *state >> 17;
        *state ^= *state << 5;
        *state
    }

    #[test]
    fn damaged_data_fails_cleanly() {
        let mut state = 0x2545_F491;
        for (name, bytes) in FILES {
            let header = read_header(bytes).unwrap();
            let data_start = header.first_scan;
            // Truncated anywhere in a scan: an error at every scale, or (a progressive file
            // cut between two scans) the picture of the scans before with a `truncated`
            // warning, as Huffman-coded ones give; never a panic or a silent picture.
            for cut in (data_start..bytes.len() - 8).step_by(7) {
                if bytes[cut] == 0xFF {
                    continue;
                }
                for scale in [8, 3, 1] {
                    let (reported, what) = match decode(&bytes[..cut], scale) {
                        Err(_) => (true, String::new()),
                        Ok(out) => (
                            out.warnings.iter().any(|w| w.kind == crate::WarningKind::Truncated),
                            format!("{:?}", out.warnings.iter().collect::<Vec<_>>()),
                        ),
                    };
                    assert!(reported, "{name} cut at {cut} of {} at {scale}/8: {what}", bytes.len());
                }
            }
            // Bytes flipped, inserted markers, zeroed runs: a result or an error, never a
            // panic.
            for round in 0..400 {
                let mut damaged = bytes.to_vec();
                for _ in 0..1 + round % 3 {
                    let at = data_start + next(&mut state) as usize % (damaged.len() - data_start);
                    match round % 4 {
                        0 => damaged[at] ^= 1 << (next(&mut state) % 8),
                        1 => damaged[at] = next(&mut state) as u8,
                        2 => damaged.splice(at..at, [0xFF, 0xD0 + (next(&mut state) % 8) as u8]).for_each(drop),
                        _ => damaged[at..(at + 16).min(bytes.len())].fill(0),
                    }
                }
                for scale in [8, 5, 2] {
                    let _ = decode(&damaged, scale);
                }
            }
        }
    }
}
