//! Warnings: damage that thumbing recovered from. An avatar made from a damaged file carries
//! the list of what was wrong and where; [`FailOn`](crate::FailOn) decides which damage is
//! refused instead.

use std::fmt;

/// What kind of damage a [`Warning`] reports.
///
/// ```
/// assert_eq!(thumbing::WarningKind::CorruptData.code(), "corrupt_data");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WarningKind {
    /// Damaged compressed data inside the image (a bad Huffman code or an impossible run in a
    /// JPEG scan, a scan that stops early at a marker): from there to the next restart marker,
    /// or to the end of the scan, the image is filled with flat grey, as libjpeg does.
    CorruptData,
    /// Bytes that belong to no marker were skipped (junk between JPEG markers).
    ExtraneousBytes,
    /// A checksum did not match (a PNG chunk's CRC); the data was used as it is.
    Checksum,
    /// Metadata that could not be read was ignored (a malformed EXIF block: the orientation
    /// is then taken as upright).
    Metadata,
    /// Data after the complete image was damaged or cut off and was ignored (extra bytes in
    /// a PNG's image data, a truncated chunk after it).
    TrailingData,
    /// The file ends before its image data does: the rest of the image is filled. Only
    /// [`FailOn::Never`](crate::FailOn::Never) accepts it; by default it is an error.
    Truncated,
}

impl WarningKind {
    /// A stable snake_case code: `corrupt_data`, `extraneous_bytes`, `checksum`, `metadata`,
    /// `trailing_data`, `truncated` (used by the command's JSON output, the bindings and the
    /// Lambda's object tag).
    ///
    /// ```
    /// assert_eq!(thumbing::WarningKind::Checksum.code(), "checksum");
    /// ```
    pub fn code(self) -> &'static str {
        match self {
            WarningKind::CorruptData => "corrupt_data",
            WarningKind::ExtraneousBytes => "extraneous_bytes",
            WarningKind::Checksum => "checksum",
            WarningKind::Metadata => "metadata",
            WarningKind::TrailingData => "trailing_data",
            WarningKind::Truncated => "truncated",
        }
    }
}

impl fmt::Display for WarningKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Damage that thumbing recovered from: what was wrong, and where.
///
/// ```
/// let w = thumbing::Warning::new(thumbing::WarningKind::Checksum, "png: CRC mismatch in IDAT chunk", Some(57));
/// assert_eq!(w.to_string(), "png: CRC mismatch in IDAT chunk (at byte 57)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Warning {
    /// The category.
    pub kind: WarningKind,
    /// What was wrong and what thumbing did about it, starting with the format
    /// (`jpeg: ...`, `png: ...`).
    pub message: String,
    /// Where in the input the damage was found, as a byte offset, when known.
    pub offset: Option<u64>,
}

impl Warning {
    /// A warning of `kind` at byte `offset` of the input.
    ///
    /// ```
    /// let w = thumbing::Warning::new(thumbing::WarningKind::Metadata, "jpeg: malformed EXIF", None);
    /// assert_eq!(w.offset, None);
    /// ```
    pub fn new(kind: WarningKind, message: impl Into<String>, offset: Option<u64>) -> Warning {
        Warning { kind, message: message.into(), offset }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.offset {
            Some(at) => write!(f, "{} (at byte {at})", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// The most warnings kept for one image. A hostile file can be damaged everywhere; past this
/// many, the rest are counted in one last warning.
pub(crate) const MAX_WARNINGS: usize = 16;

/// Collects the warnings of one decode, at most [`MAX_WARNINGS`].
#[derive(Debug, Default, Clone)]
pub(crate) struct Warnings {
    list: Vec<Warning>,
    dropped: usize,
}

impl Warnings {
    /// Records a warning (counted only, once the list is full).
    #[cold]
    pub fn push(&mut self, kind: WarningKind, message: impl Into<String>, offset: Option<usize>) {
        if self.list.len() < MAX_WARNINGS {
            self.list.push(Warning::new(kind, message, offset.map(|o| o as u64)));
        } else {
            self.dropped += 1;
        }
    }

    /// Appends the warnings of `other`.
    pub fn extend(&mut self, other: Warnings) {
        for w in other.list {
            if self.list.len() < MAX_WARNINGS {
                self.list.push(w);
            } else {
                self.dropped += 1;
            }
        }
        self.dropped += other.dropped;
    }

    pub fn iter(&self) -> impl Iterator<Item = &Warning> {
        self.list.iter()
    }

    /// The list, with one more warning that counts those left out.
    pub fn into_vec(mut self) -> Vec<Warning> {
        if self.dropped > 0 {
            let kind = self.list.last().map_or(WarningKind::CorruptData, |w| w.kind);
            self.list.push(Warning::new(
                kind,
                format!("{} more warnings like these were left out", self.dropped),
                None,
            ));
        }
        self.list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_capped() {
        let mut w = Warnings::default();
        for i in 0..100 {
            w.push(WarningKind::CorruptData, format!("damage {i}"), Some(i));
        }
        let list = w.into_vec();
        assert_eq!(list.len(), MAX_WARNINGS + 1);
        assert!(list.last().unwrap().message.contains("84 more"));
        assert_eq!(list[3].offset, Some(3));
    }
}
