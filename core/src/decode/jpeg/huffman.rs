//! Huffman decoding of entropy-coded segments (ITU-T T.81 Annex C and F.2.2).
//!
//! [`HuffmanTable`] answers codes of up to [`LOOKUP_BITS`] bits with one table look-up and
//! longer ones with the MAXCODE/VALPTR walk of T.81 F.2.2.3. [`BitReader`] keeps a 64-bit
//! window of the entropy-coded data, refilled eight bytes at a time when they hold no `0xFF`
//! (the common case) and byte by byte otherwise, removing the `0xFF 0x00` stuffing and
//! stopping at markers.

/// Codes up to this length are decoded with a single look-up: 11 bits cover nearly every
/// code, and its magnitude bits, of camera photos.
const LOOKUP_BITS: u32 = 11;

/// Position of the zigzag advance in a skip entry.
const SKIP_ADVANCE_SHIFT: u32 = 5;
/// Set in a skip entry for an end of block.
const SKIP_END_OF_BLOCK: u16 = 1 << 15;

/// The run [`BitReader::coefficient`] reports for a ZRL symbol (sixteen zeros, no value).
pub(crate) const ZERO_RUN: i32 = 16;

/// The advance of an end of block in a coefficient entry: far enough past any position
/// (at most 63) that the decoding loop ends, and recognisable after it (at least 128).
pub(crate) const END_OF_BLOCK_ADVANCE: usize = 128;

/// Why the fast decoder gave up on a file. The caller falls back to the general decoder,
/// which produces the user-facing error (or decodes what the fast path does not cover).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unsupported;

/// A decoding table built from a DHT segment.
#[derive(Clone)]
pub(crate) struct HuffmanTable {
    /// Indexed by the next [`LOOKUP_BITS`] bits: `length << 8 | symbol`, or 0 when the code
    /// is longer than the look-up.
    lookup: Box<[u16; 1 << LOOKUP_BITS]>,
    /// Indexed the same way: when the code *and* the magnitude bits that follow it fit in the
    /// look-up, `value << 16 | advance << 8 | total length`; else 0. One look-up then decodes
    /// a whole coefficient (or DC difference). `advance` is how far the zigzag position moves
    /// past it: the run plus one; sixteen (value 0) for a run of sixteen zeros; and
    /// [`END_OF_BLOCK_ADVANCE`] (value 0) for an end of block, so that a decoding loop needs
    /// no test of the value.
    pub coefficients: Box<[i32; 1 << LOOKUP_BITS]>,
    /// Indexed the same way, for AC coefficients whose value is not needed: the
    /// coefficients whose codes start in the look-up window, as many as are complete in it
    /// (code plus magnitude bits; the first may extend past the window), stopping after an
    /// end of block. `advance << SKIP_ADVANCE_SHIFT | total length` (at most 26 bits), with
    /// [`SKIP_END_OF_BLOCK`] set when the last one is an end of block; 0 when the first code
    /// is longer than the look-up. `advance` is the sum of each run plus one (sixteen for a
    /// run of sixteen zeros).
    skip: Box<[u16; 1 << LOOKUP_BITS]>,
    /// Like `skip`, one coefficient only: for the end of a block, where the next
    /// coefficient may belong to the next block.
    skip_one: Box<[u16; 1 << LOOKUP_BITS]>,
    /// Largest code of each length (index 1..=16), -1 when there is none.
    max_code: [i32; 18],
    /// Added to a code of a given length to index `values`.
    value_offset: [i32; 17],
    values: [u8; 256],
}

impl std::fmt::Debug for HuffmanTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HuffmanTable").finish_non_exhaustive()
    }
}

impl HuffmanTable {
    /// Builds a table from the 16 code-length counts and the symbols of a DHT segment
    /// (T.81 C.2: canonical codes assigned in order of length).
    pub fn new(counts: &[u8; 16], symbols: &[u8]) -> Result<HuffmanTable, Unsupported> {
        let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
        if total == 0 || total > 256 || symbols.len() != total {
            return Err(Unsupported);
        }
        let mut table = HuffmanTable {
            lookup: Box::new([0; 1 << LOOKUP_BITS]),
            coefficients: Box::new([0; 1 << LOOKUP_BITS]),
            skip: Box::new([0; 1 << LOOKUP_BITS]),
            skip_one: Box::new([0; 1 << LOOKUP_BITS]),
            max_code: [-1; 18],
            value_offset: [0; 17],
            values: [0; 256],
        };
        table.values[..total].copy_from_slice(symbols);
        let mut code: u32 = 0;
        let mut index = 0usize;
        for length in 1..=16u32 {
            let count = u32::from(counts[length as usize - 1]);
            if count > 0 {
                table.value_offset[length as usize] = index as i32 - code as i32;
                for _ in 0..count {
                    // A code that no longer fits its length means the counts are impossible.
                    if code >= 1 << length {
                        return Err(Unsupported);
                    }
                    if length <= LOOKUP_BITS {
                        // Every LOOKUP_BITS-bit pattern that starts with this code.
                        let shift = LOOKUP_BITS - length;
                        let first = (code << shift) as usize;
                        let entry = (length as u16) << 8 | u16::from(symbols[index]);
                        table.lookup[first..first + (1 << shift)].fill(entry);
                    }
                    code += 1;
                    index += 1;
                }
                table.max_code[length as usize] = code as i32 - 1;
            }
            code <<= 1;
        }
        // Guard for the slow walk: it stops at length 17.
        table.max_code[17] = i32::MAX;
        for (bits, &entry) in table.lookup.iter().enumerate() {
            let (length, symbol) = (u32::from(entry >> 8), entry as u8);
            let (run, size) = (i32::from(symbol >> 4), u32::from(symbol & 15));
            if entry != 0 {
                table.skip_one[bits] = skip_entry(length, run, size);
            }
            if entry == 0 || length + size > LOOKUP_BITS {
                continue;
            }
            if size == 0 {
                // End of block (run 0) and the run of sixteen zeros (run 16); other
                // end-of-band runs need more bits and take the general path.
                match symbol {
                    0x00 => table.coefficients[bits] = (END_OF_BLOCK_ADVANCE as i32) << 8 | length as i32,
                    0xF0 => table.coefficients[bits] = ZERO_RUN << 8 | length as i32,
                    _ => {}
                }
                continue;
            }
            let raw = (bits as u32 >> (LOOKUP_BITS - length - size)) & ((1 << size) - 1);
            let value = extend(raw, size);
            table.coefficients[bits] = value << 16 | (run + 1) << 8 | (length + size) as i32;
        }
        // Chain complete coefficients within the window after the first.
        for bits in 0..1usize << LOOKUP_BITS {
            let mut entry = table.skip_one[bits];
            let mut used = u32::from(entry & 31);
            while entry != 0 && entry & SKIP_END_OF_BLOCK == 0 && used < LOOKUP_BITS {
                let rest = (bits << used) & ((1 << LOOKUP_BITS) - 1);
                let next = table.skip_one[rest];
                let next_length = u32::from(next & 31);
                if next == 0 || used + next_length > LOOKUP_BITS {
                    break;
                }
                used += next_length;
                let advance = (entry >> SKIP_ADVANCE_SHIFT & 127) + (next >> SKIP_ADVANCE_SHIFT & 127);
                entry = (next & SKIP_END_OF_BLOCK) | advance << SKIP_ADVANCE_SHIFT | used as u16;
            }
            table.skip[bits] = entry;
        }
        Ok(table)
    }
}

/// A `skip_one` entry for a code of `length` bits with symbol `run`/`size`.
fn skip_entry(length: u32, run: i32, size: u32) -> u16 {
    match (run, size) {
        (15, 0) => 16 << SKIP_ADVANCE_SHIFT | length as u16,
        (_, 0) => SKIP_END_OF_BLOCK | length as u16,
        _ => ((run + 1) as u16) << SKIP_ADVANCE_SHIFT | (length + size) as u16,
    }
}

/// T.81 F.2.2.1 EXTEND: an `size`-bit magnitude category value to a signed number.
#[inline]
fn extend(raw: u32, size: u32) -> i32 {
    let v = raw as i32;
    if size == 0 {
        0
    } else if v < 1 << (size - 1) {
        v - (1 << size) + 1
    } else {
        v
    }
}

/// Reads bits, most significant first, from one entropy-coded segment.
pub(crate) struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
    /// Valid bits are the top `bits` bits.
    window: u64,
    bits: u32,
    /// How many of the `bits` are zero padding added after the segment ended (a marker or
    /// the end of the data); consuming them means the data ran short.
    padding: u32,
    /// Set once a marker (or the end of the data) stops the refill.
    stopped: bool,
}

impl<'a> BitReader<'a> {
    /// Starts reading at `pos` in `data`.
    pub fn new(data: &'a [u8], pos: usize) -> BitReader<'a> {
        BitReader { data, pos, window: 0, bits: 0, padding: 0, stopped: false }
    }

    /// Tops the window up to at least 57 bits.
    #[inline]
    fn refill(&mut self) {
        if self.bits > 56 {
            return;
        }
        if !self.stopped
            && let Some(chunk) = self.data.get(self.pos..self.pos + 8)
        {
            let word = u64::from_be_bytes(chunk.try_into().unwrap_or_default());
            // Any 0xFF byte among the eight? (A zero byte of !word, by the classic bit trick.)
            let inverted = !word;
            let has_ff = inverted.wrapping_sub(0x0101_0101_0101_0101) & word & 0x8080_8080_8080_8080 != 0;
            if !has_ff {
                let take = (64 - self.bits) / 8; // whole bytes that fit, at least 1
                let new_bits = take * 8;
                let fresh = (word >> (64 - new_bits)) << (64 - new_bits - self.bits);
                self.window |= fresh;
                self.bits += new_bits;
                self.pos += take as usize;
                return;
            }
        }
        self.refill_slow();
    }

    #[cold]
    fn refill_slow(&mut self) {
        while self.bits <= 56 {
            let byte = if self.stopped {
                self.padding += 8;
                0
            } else {
                match self.data.get(self.pos) {
                    None => {
                        self.stopped = true;
                        continue;
                    }
                    Some(&0xFF) => match self.data.get(self.pos + 1) {
                        Some(0x00) => {
                            self.pos += 2;
                            0xFF
                        }
                        _ => {
                            // A marker: leave `pos` on it.
                            self.stopped = true;
                            continue;
                        }
                    },
                    Some(&b) => {
                        self.pos += 1;
                        b
                    }
                }
            };
            self.window |= u64::from(byte) << (56 - self.bits);
            self.bits += 8;
        }
    }

    /// The next `n` (1..=16) bits without consuming them.
    #[inline]
    fn peek(&mut self, n: u32) -> u32 {
        if self.bits < n {
            self.refill();
        }
        (self.window >> (64 - n)) as u32
    }

    #[inline]
    pub fn consume(&mut self, n: u32) {
        self.window <<= n;
        self.bits -= n;
    }

    /// Reads `n` (0..=16) bits as an unsigned number.
    #[inline]
    pub fn bits(&mut self, n: u32) -> u32 {
        if n == 0 {
            return 0;
        }
        let v = self.peek(n);
        self.consume(n);
        v
    }

    /// Reads one bit.
    #[inline]
    pub fn bit(&mut self) -> bool {
        self.bits(1) == 1
    }

    /// Reads an `n`-bit magnitude category value and sign-extends it (T.81 F.2.2.1 EXTEND).
    #[inline]
    pub fn receive_extend(&mut self, n: u32) -> i32 {
        extend(self.bits(n), n)
    }

    /// Decodes a whole coefficient (run and value) with one look-up when the table allows:
    /// returns `(run, value)`, with value 0 for an end of block (run 0) or a run of sixteen
    /// zeros (run [`ZERO_RUN`]); `None` (nothing consumed) when the general path is needed.
    #[inline]
    pub fn coefficient(&mut self, table: &HuffmanTable) -> Option<(usize, i32)> {
        let entry = self.coefficient_entry(table);
        if entry == 0 {
            return None;
        }
        self.consume((entry & 0xFF) as u32);
        let (advance, value) = (((entry >> 8) & 0xFF) as usize, entry >> 16);
        let run = match advance {
            END_OF_BLOCK_ADVANCE => 0,
            16 if value == 0 => ZERO_RUN as usize,
            _ => advance - 1,
        };
        Some((run, value))
    }

    /// The [`HuffmanTable::coefficients`] entry for the next bits, without consuming them
    /// (0: the general path is needed).
    #[inline(always)]
    pub fn coefficient_entry(&mut self, table: &HuffmanTable) -> i32 {
        if self.bits < 16 {
            self.refill();
        }
        table.coefficients[(self.window >> (64 - LOOKUP_BITS)) as usize]
    }

    /// Skips the rest of a sequential block's AC coefficients, from zigzag position `k`,
    /// without computing their values: one look-up for as many whole coefficients as the
    /// next [`LOOKUP_BITS`] bits hold, whatever their magnitudes.
    #[inline(always)]
    pub fn skip_block(&mut self, table: &HuffmanTable, mut k: usize) -> Result<(), Unsupported> {
        while k < 64 {
            if self.bits < 32 {
                self.refill();
            }
            let entry = table.skip[(self.window >> (64 - LOOKUP_BITS)) as usize];
            let advance = usize::from(entry >> SKIP_ADVANCE_SHIFT & 127);
            // The common case, on a branch that is nearly always taken (so the next look-up
            // does not wait for the test): codes within the look-up that stay in the block.
            if entry != 0 && k + advance < 64 {
                self.consume(u32::from(entry & 31));
                if entry & SKIP_END_OF_BLOCK != 0 {
                    return Ok(());
                }
                k += advance;
                continue;
            }
            if self.skip_one(table, &mut k)? {
                return Ok(());
            }
        }
        Ok(())
    }

    /// One coefficient of [`BitReader::skip_block`], for a code longer than the look-up or
    /// near the block's end; returns whether the block ended (end of block).
    #[cold]
    #[inline(never)]
    fn skip_one(&mut self, table: &HuffmanTable, k: &mut usize) -> Result<bool, Unsupported> {
        let entry = table.skip_one[(self.window >> (64 - LOOKUP_BITS)) as usize];
        if entry == 0 {
            // A code longer than the look-up.
            let rs = self.decode(table)?;
            let (run, size) = (usize::from(rs >> 4), u32::from(rs & 15));
            if size == 0 {
                if run != 15 {
                    return Ok(true);
                }
                *k += 16;
            } else {
                let _ = self.bits(size);
                *k += run + 1;
            }
        } else {
            self.consume(u32::from(entry & 31));
            if entry & SKIP_END_OF_BLOCK != 0 {
                return Ok(true);
            }
            *k += usize::from(entry >> SKIP_ADVANCE_SHIFT & 127);
        }
        if *k > 64 {
            return Err(Unsupported);
        }
        Ok(false)
    }

    /// Decodes one Huffman symbol.
    #[inline]
    pub fn decode(&mut self, table: &HuffmanTable) -> Result<u8, Unsupported> {
        if self.bits < 16 {
            self.refill();
        }
        let entry = table.lookup[(self.window >> (64 - LOOKUP_BITS)) as usize];
        if entry != 0 {
            self.consume(u32::from(entry >> 8));
            return Ok(entry as u8);
        }
        self.decode_long(table)
    }

    #[cold]
    fn decode_long(&mut self, table: &HuffmanTable) -> Result<u8, Unsupported> {
        let mut length = LOOKUP_BITS + 1;
        let mut code = (self.window >> (64 - length)) as i32;
        while code > table.max_code[length as usize] {
            length += 1;
            if length > 16 {
                return Err(Unsupported);
            }
            code = (self.window >> (64 - length)) as i32;
        }
        self.consume(length);
        let index = code + table.value_offset[length as usize];
        table.values.get(index as usize).copied().ok_or(Unsupported)
    }

    /// Where the next unread byte is (entropy-coded data only: a marker, once reached, stays
    /// unread).
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The whole input the reader reads from.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// Whether the reader consumed padding: the segment ended before the data did.
    pub fn overran(&self) -> bool {
        self.padding > self.bits
    }

    /// At a restart interval's end: drops the partial byte and expects `RSTn` next.
    pub fn restart(&mut self, expected: u8) -> Result<(), Unsupported> {
        self.refill();
        if self.overran() || self.bits - self.padding >= 8 {
            return Err(Unsupported);
        }
        let mut pos = self.pos;
        while self.data.get(pos) == Some(&0xFF) && self.data.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        if self.data.get(pos) != Some(&0xFF) || self.data.get(pos + 1) != Some(&(0xD0 + expected)) {
            return Err(Unsupported);
        }
        *self = BitReader::new(self.data, pos + 2);
        Ok(())
    }

    /// At the end of a scan: checks that the data did not run short and returns the position
    /// where the next marker search starts.
    pub fn finish(mut self) -> Result<usize, Unsupported> {
        self.refill();
        if self.overran() { Err(Unsupported) } else { Ok(self.pos) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The luminance DC table of T.81 Table K.3.
    fn dc_table() -> HuffmanTable {
        let counts = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
        HuffmanTable::new(&counts, &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]).unwrap()
    }

    #[test]
    fn canonical_codes_decode() {
        let table = dc_table();
        // K.3 codes: 0 -> 00, 1 -> 010, 5 -> 110, 6 -> 1110, 11 -> 111111110 (9 bits).
        // Bits: 00 010 110 1110 111111110, then padding ones.
        let bits = "00010110111011111111011111111111";
        let bytes: Vec<u8> = (0..4).map(|i| u8::from_str_radix(&bits[i * 8..i * 8 + 8], 2).unwrap()).collect();
        // 0xFF bytes in entropy data are stuffed.
        let mut stuffed = Vec::new();
        for b in bytes {
            stuffed.push(b);
            if b == 0xFF {
                stuffed.push(0);
            }
        }
        let mut r = BitReader::new(&stuffed, 0);
        for expected in [0, 1, 5, 6, 11] {
            assert_eq!(r.decode(&table).unwrap(), expected);
        }
        assert!(!r.overran());
    }

    #[test]
    fn long_codes_use_the_slow_walk() {
        // 1 code of length 1, then one of each length 2..=16: the 16-bit code is 1111111111111110.
        let mut counts = [1u8; 16];
        counts[15] = 2;
        let symbols: Vec<u8> = (0..17).collect();
        let table = HuffmanTable::new(&counts, &symbols).unwrap();
        let data = [0b1111_1111, 0x00, 0b1111_1110, 0b1111_1111, 0x00, 0b1111_1111, 0x00];
        let mut r = BitReader::new(&data, 0);
        assert_eq!(r.decode(&table).unwrap(), 15);
        assert_eq!(r.decode(&table).unwrap(), 16);
    }

    #[test]
    fn whole_coefficients_in_one_look_up() {
        // AC symbols: 0x01 (run 0, size 1) as code 0, 0x12 (run 1, size 2) as 10, EOB as 11.
        let table = HuffmanTable::new(&[1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], &[0x01, 0x12, 0x00]).unwrap();
        // 0 1 -> +1; 0 0 -> -1; 10 01 -> run 1, -2; 11 -> EOB.
        let data = [0b0100_1001, 0b1100_0000];
        let mut r = BitReader::new(&data, 0);
        assert_eq!(r.coefficient(&table), Some((0, 1)));
        assert_eq!(r.coefficient(&table), Some((0, -1)));
        assert_eq!(r.coefficient(&table), Some((1, -2)));
        assert_eq!(r.coefficient(&table), Some((0, 0)), "end of block");
    }

    #[test]
    fn skipping_a_block_consumes_what_decoding_it_does() {
        // 0x01 (run 0, size 1) as 0, 0x12 (run 1, size 2) as 10, EOB as 11.
        let table = HuffmanTable::new(&[1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], &[0x01, 0x12, 0x00]).unwrap();
        // +1, -1, (run 1, -2), EOB, then the marker bits 101.
        let data = [0b0100_1001, 0b1110_1000];
        let mut r = BitReader::new(&data, 0);
        r.skip_block(&table, 1).unwrap();
        assert_eq!(r.bits(3), 0b101, "stopped right after the end of block");
        // Without an end of block: the block ends at position 64. From position 61, +1 +1 +1
        // fill 61..=63; the next coefficient belongs to the next block and must not be taken.
        let data = [0b0101_0100, 0b1100_0000];
        let mut r = BitReader::new(&data, 0);
        r.skip_block(&table, 61).unwrap();
        assert_eq!(r.bits(2), 0b00, "the next block's first code is left unread");
        assert_eq!(r.bits(2), 0b11);
        // A run past the end of the block is damaged data.
        let data = [0b1001_0000];
        assert!(BitReader::new(&data, 0).skip_block(&table, 63).is_err());
    }

    #[test]
    fn impossible_counts_are_rejected() {
        assert!(HuffmanTable::new(&[3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], &[1, 2, 3]).is_err());
        assert!(HuffmanTable::new(&[0; 16], &[]).is_err());
        assert!(HuffmanTable::new(&[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], &[1, 2]).is_err());
    }

    #[test]
    fn extend_and_markers() {
        // 3 bits 010 = 2 -> -5; 3 bits 101 = 5 -> 5; then a marker stops the data.
        let data = [0b0101_0111, 0xFF, 0x00, 0xFF, 0xD9];
        let mut r = BitReader::new(&data, 0);
        assert_eq!(r.receive_extend(3), -5);
        assert_eq!(r.receive_extend(3), 5);
        assert_eq!(r.bits(10), 0b11_1111_1111);
        assert!(!r.overran());
        let _ = r.bits(8);
        assert!(r.overran());
    }

    #[test]
    fn restart_markers_reset_the_reader() {
        let data = [0b1010_0000, 0xFF, 0xD0, 0b1100_0000, 0xFF, 0xD9];
        let mut r = BitReader::new(&data, 0);
        assert_eq!(r.bits(3), 0b101);
        r.restart(0).unwrap();
        assert_eq!(r.bits(2), 0b11);
        assert!(r.restart(1).is_err(), "RST1 expected, EOI found");
    }
}
