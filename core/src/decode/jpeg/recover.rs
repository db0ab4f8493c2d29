//! Recovery from damaged entropy-coded data, as libjpeg does it: from the point of damage to
//! the next restart marker (or to the end of the scan when there is none), blocks are left
//! with zero coefficients, which is flat grey in a sequential scan and "nothing more" in a
//! progressive one; decoding resumes after the restart marker, skipping the intervals whose
//! markers were lost. Each piece of damage is a [`Warning`](crate::Warning).
//!
//! Everything here runs once per restart interval or on damage, never per block: the
//! decoding loops test one flag per MCU.

use super::arithmetic;
use super::huffman::{BitReader, Unsupported};
use super::markers::find_ff;
use crate::warning::{WarningKind, Warnings};

/// What the restart-interval bookkeeping needs of an entropy decoder: Huffman's
/// [`BitReader`] and the arithmetic [`Decoder`](arithmetic::Decoder) alike.
pub(crate) trait SegmentReader<'a> {
    /// The whole input.
    fn data(&self) -> &'a [u8];
    /// The first byte not read (a marker, once reached, stays unread).
    fn position(&self) -> usize;
    /// Whether the data ran short: the segment (or the file) ended before the data did.
    fn overran(&self) -> bool;
    /// At an interval's end: expects `RSTn` next and starts reading the next interval after it.
    fn restart(&mut self, expected: u8) -> Result<(), Unsupported>;
    /// Starts afresh at `pos` (just past a restart marker found by a resynchronisation, or on
    /// the marker or end that ends the scan).
    fn start_at(&mut self, pos: usize);
}

impl<'a> SegmentReader<'a> for BitReader<'a> {
    fn data(&self) -> &'a [u8] {
        BitReader::data(self)
    }
    fn position(&self) -> usize {
        BitReader::position(self)
    }
    #[inline(always)]
    fn overran(&self) -> bool {
        BitReader::overran(self)
    }
    fn restart(&mut self, expected: u8) -> Result<(), Unsupported> {
        BitReader::restart(self, expected)
    }
    fn start_at(&mut self, pos: usize) {
        *self = BitReader::new(self.data(), pos);
    }
}

impl<'a> SegmentReader<'a> for arithmetic::Decoder<'a> {
    fn data(&self) -> &'a [u8] {
        arithmetic::Decoder::data(self)
    }
    fn position(&self) -> usize {
        arithmetic::Decoder::position(self)
    }
    /// The arithmetic decoder reads a little past each segment's end by design (zeros at a
    /// marker); reading past the end of the file is what counts.
    fn overran(&self) -> bool {
        self.ran_past_end()
    }
    fn restart(&mut self, expected: u8) -> Result<(), Unsupported> {
        arithmetic::Decoder::restart(self, expected)
    }
    fn start_at(&mut self, pos: usize) {
        *self = arithmetic::Decoder::new(self.data(), pos);
    }
}

/// What to do with the next unit (MCU, or block of a one-component scan).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Decode it.
    Decode,
    /// Decode it after resetting the predictors and end-of-band run: a restart marker was
    /// just passed.
    Restarted,
    /// It is lost: leave it at zero.
    Lost,
}

/// The restart-interval bookkeeping of one scan, and its damage.
pub(crate) struct Intervals {
    interval: usize,
    count: usize,
    /// The restart marker number expected at the next boundary.
    expected: u8,
    /// The current interval is damaged: its remaining units are lost.
    damaged: bool,
    /// After a resynchronisation that lost whole intervals: how many boundaries to pass
    /// before decoding resumes (the reader already stands after the restart marker found).
    resume_in: usize,
    /// No restart marker follows the damage: the rest of the scan is lost.
    ended: bool,
    /// The scan's number (from 1), for the messages.
    scan: usize,
}

impl Intervals {
    pub fn new(restart_interval: u16, scan: usize) -> Intervals {
        Intervals {
            interval: usize::from(restart_interval),
            count: 0,
            expected: 0,
            damaged: false,
            resume_in: 0,
            ended: false,
            scan,
        }
    }

    /// Before each unit: passes restart markers at interval boundaries and says whether
    /// the unit is to be decoded.
    #[inline(always)]
    pub fn next<'a>(&mut self, reader: &mut impl SegmentReader<'a>, warnings: &mut Warnings) -> Step {
        let mut step = Step::Decode;
        if self.interval > 0 && self.count == self.interval {
            self.count = 0;
            if !self.damaged && reader.overran() {
                // The interval's data ran out: a truncated file (or a marker too early) is
                // reported as such, not as a missing restart marker.
                self.ran_out(reader, warnings);
            }
            step = if !self.damaged && reader.restart(self.expected).is_ok() {
                self.expected = (self.expected + 1) & 7;
                Step::Restarted
            } else {
                self.boundary_after_damage(reader, warnings)
            };
        }
        self.count += 1;
        if self.damaged { Step::Lost } else { step }
    }

    /// Whether the rest of the scan is lost (no restart marker followed the damage).
    #[inline(always)]
    pub fn ended(&self) -> bool {
        self.ended
    }

    /// Whether the scan has damage that its data did not recover from before its end (the
    /// reader then stands somewhere inside the data, not at its end).
    pub fn damaged(&self) -> bool {
        self.damaged
    }

    /// A unit failed to decode: the rest of its interval (or scan) is lost.
    #[cold]
    #[inline(never)]
    pub fn damage<'a>(&mut self, reader: &impl SegmentReader<'a>, warnings: &mut Warnings, unit: (usize, usize)) {
        if self.damaged {
            return;
        }
        if reader.overran() {
            // It failed on the padding after the data: the data ran out.
            return self.ran_out(reader, warnings);
        }
        self.damaged = true;
        let rest = if self.interval > 0 { "the rest of its restart interval" } else { "the rest of the scan" };
        warnings.push(
            WarningKind::CorruptData,
            format!(
                "jpeg: corrupt data in scan {} at unit ({}, {}) (a code or coefficient run that cannot be): {rest} is left \
                 grey",
                self.scan, unit.0, unit.1
            ),
            Some(reader.position()),
        );
        if self.interval == 0 {
            self.ended = true;
        }
    }

    /// The reader ran out of data (a marker or the end of the file came before the scan's
    /// data did): the rest of the interval (or scan) is lost. Called at the end of a row of
    /// units when [`BitReader::overran`] says so.
    #[cold]
    #[inline(never)]
    pub fn ran_out<'a>(&mut self, reader: &impl SegmentReader<'a>, warnings: &mut Warnings) {
        if self.damaged {
            return;
        }
        self.damaged = true;
        let at = reader.position();
        if at >= reader.data().len() {
            warnings.push(
                WarningKind::Truncated,
                format!("jpeg: the file ends inside the data of scan {}: the rest of the image is grey", self.scan),
                Some(at),
            );
        } else {
            warnings.push(
                WarningKind::CorruptData,
                format!("jpeg: premature end of the data of scan {}: the rest is left grey", self.scan),
                Some(at),
            );
        }
        if self.interval == 0 {
            self.ended = true;
        }
    }

    /// At an interval boundary after damage, or where the expected restart marker was not
    /// found: finds the next restart marker and works out how many intervals were lost.
    #[cold]
    #[inline(never)]
    fn boundary_after_damage<'a>(&mut self, reader: &mut impl SegmentReader<'a>, warnings: &mut Warnings) -> Step {
        if self.ended {
            return Step::Lost;
        }
        if self.resume_in > 0 {
            self.resume_in -= 1;
            if self.resume_in == 0 {
                self.damaged = false;
                return Step::Restarted;
            }
            return Step::Lost;
        }
        if !self.damaged {
            warnings.push(
                WarningKind::CorruptData,
                format!(
                    "jpeg: restart marker RST{} of scan {} is missing or preceded by extra bytes",
                    self.expected, self.scan
                ),
                Some(reader.position()),
            );
            self.damaged = true;
        }
        let Some(found) = resync(reader) else {
            self.ended = true;
            return Step::Lost;
        };
        let lost = usize::from(found.wrapping_sub(self.expected) & 7);
        self.expected = (found + 1) & 7;
        if lost == 0 {
            self.damaged = false;
            Step::Restarted
        } else {
            self.resume_in = lost;
            Step::Lost
        }
    }
}

/// Moves `reader` just past the next restart marker and returns its number (0-7); `None`
/// when another marker or the end of the data comes first, the reader then standing on it.
fn resync<'a>(reader: &mut impl SegmentReader<'a>) -> Option<u8> {
    let data = reader.data();
    let mut pos = reader.position();
    loop {
        let Some(at) = find_ff(data, pos) else {
            reader.start_at(data.len());
            return None;
        };
        match data.get(at + 1) {
            Some(&m @ 0xD0..=0xD7) => {
                reader.start_at(at + 2);
                return Some(m - 0xD0);
            }
            Some(0x00 | 0xFF) => pos = at + 1,
            _ => {
                reader.start_at(at);
                return None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lost_intervals_are_counted_from_the_marker_found() {
        // Interval of one unit; the data of interval 0 is damaged and RST0, RST1 are gone:
        // the next marker is RST2, so intervals 1 and 2 are lost and decoding resumes at 3.
        let data = [0x12, 0x34, 0xFF, 0xD2, 0x56, 0xFF, 0xD3, 0x78];
        let mut reader = BitReader::new(&data, 0);
        let mut warnings = Warnings::default();
        let mut intervals = Intervals::new(1, 1);
        assert_eq!(intervals.next(&mut reader, &mut warnings), Step::Decode);
        intervals.damage(&reader, &mut warnings, (0, 0));
        assert_eq!(intervals.next(&mut reader, &mut warnings), Step::Lost, "interval 1");
        assert_eq!(intervals.next(&mut reader, &mut warnings), Step::Lost, "interval 2");
        assert_eq!(intervals.next(&mut reader, &mut warnings), Step::Restarted, "interval 3");
        assert_eq!(reader.position(), 4);
        assert_eq!(warnings.iter().count(), 1);
        assert!(!intervals.damaged());
    }

    #[test]
    fn damage_without_restart_markers_ends_the_scan() {
        let data = [0x12, 0x34, 0xFF, 0xD9];
        let mut reader = BitReader::new(&data, 0);
        let mut warnings = Warnings::default();
        let mut intervals = Intervals::new(0, 1);
        intervals.next(&mut reader, &mut warnings);
        intervals.damage(&reader, &mut warnings, (3, 4));
        assert!(intervals.ended());
        let w = warnings.into_vec();
        assert_eq!(w[0].kind, WarningKind::CorruptData);
        assert!(w[0].message.contains("unit (3, 4)"), "{}", w[0].message);
    }

    #[test]
    fn resync_stops_at_other_markers() {
        let data = [0x12, 0xFF, 0x00, 0xFF, 0xFF, 0xDA, 0xFF, 0xD0];
        let mut reader = BitReader::new(&data, 0);
        assert_eq!(resync(&mut reader), None);
        assert_eq!(reader.position(), 4);
    }
}
