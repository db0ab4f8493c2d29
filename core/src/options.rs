//! [`Options`]: everything the pipeline can be told, with its defaults and its validation;
//! and the option vocabulary ([`OptionWord`]): the words every interface of thumbing accepts
//! for the options that take one. The pipeline itself ([`Options::process`],
//! [`Options::render`]) is in `pipeline.rs`.

use std::fmt;
use std::str::FromStr;

use crate::crop::{self, Crop, Fit};
use crate::decode::{FailOn, ImageFormat, ImageInfo};
use crate::encode::{OutputFormat, PngCompression};
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::resize::Filter;

/// The largest output side thumbing produces.
pub const MAX_OUTPUT_SIDE: u32 = 16_384;

/// The default of [`Options::shrink_on_load_margin`]: the JPEG decoded at M/8 must still
/// cover the crop window with at least 1.5 times the output's pixels in each direction.
///
/// Chosen by measurement: the DCT-domain reduction treats each 8×8 block on its own, and the
/// resampler needs some room to smooth over the block edges. With 1.5, thumbing's 512-pixel
/// avatars score an SSIM against an exact float reference at or above sharp's and Pillow's on
/// every photo of the benchmark set (ties within 0.0001, the spread between two encodes of
/// the same pixels, on two of the fourteen); at 1.25 three photos fall 0.0002–0.0004 below.
/// libvips, behind sharp, leaves a margin of 2 with its power-of-two scales.
pub const SHRINK_ON_LOAD_MARGIN: f64 = 1.5;

/// Everything the pipeline can be told: output sizes, fit and crop, format and quality,
/// limits. Build it with the chained setters; every setter has a sensible default, so
/// `Options::new()` makes a 512×512 centre-cropped JPEG at quality 80.
///
/// ```
/// use thumbing::{Crop, Options, OutputFormat};
/// let options = Options::new().sizes([512, 256, 128]).crop(Crop::Smart).quality(85);
/// let avatars = options.process(include_bytes!("../../fixtures/landscape_1.jpg"))?;
/// assert_eq!(avatars.len(), 3);
/// assert_eq!((avatars[2].width, avatars[2].height), (128, 128));
/// assert_eq!(avatars[0].format, OutputFormat::Jpeg);
/// # Ok::<(), thumbing::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub(crate) sizes: Vec<(u32, u32)>,
    pub(crate) fit: Fit,
    pub(crate) crop: Crop,
    pub(crate) filter: Filter,
    pub(crate) format: OutputFormat,
    pub(crate) quality: u8,
    pub(crate) progressive: bool,
    pub(crate) png_compression: PngCompression,
    pub(crate) background: [u8; 3],
    pub(crate) limits: Limits,
    pub(crate) fail_on: FailOn,
    pub(crate) shrink_on_load: bool,
    pub(crate) shrink_margin: f64,
    pub(crate) memory_budget: Option<u64>,
    pub(crate) bands: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            sizes: vec![(512, 512)],
            fit: Fit::Cover,
            crop: Crop::Centre,
            filter: Filter::Lanczos3,
            format: OutputFormat::Jpeg,
            quality: 80,
            progressive: false,
            png_compression: PngCompression::Balanced,
            background: [255, 255, 255],
            limits: Limits::default(),
            fail_on: FailOn::Truncated,
            shrink_on_load: true,
            shrink_margin: SHRINK_ON_LOAD_MARGIN,
            memory_budget: None,
            bands: true,
        }
    }
}

impl Options {
    /// The defaults: one 512×512 cover crop, centred, Lanczos3, JPEG quality 80.
    ///
    /// ```
    /// assert_eq!(thumbing::Options::new(), thumbing::Options::default());
    /// ```
    pub fn new() -> Options {
        Options::default()
    }

    /// One square output of `size` × `size` pixels.
    ///
    /// ```
    /// let o = thumbing::Options::new().size(256);
    /// assert_eq!(o.output_sizes(), &[(256, 256)]);
    /// ```
    pub fn size(self, size: u32) -> Options {
        self.sizes([size])
    }

    /// Several square outputs from one decode, in the given order.
    ///
    /// ```
    /// let o = thumbing::Options::new().sizes([512, 128]);
    /// assert_eq!(o.output_sizes(), &[(512, 512), (128, 128)]);
    /// ```
    pub fn sizes(mut self, sizes: impl IntoIterator<Item = u32>) -> Options {
        self.sizes = sizes.into_iter().map(|s| (s, s)).collect();
        self
    }

    /// Outputs of arbitrary width × height boxes (for non-square thumbnails).
    ///
    /// ```
    /// let o = thumbing::Options::new().boxes([(640, 360)]);
    /// assert_eq!(o.output_sizes(), &[(640, 360)]);
    /// ```
    pub fn boxes(mut self, boxes: impl IntoIterator<Item = (u32, u32)>) -> Options {
        self.sizes = boxes.into_iter().collect();
        self
    }

    /// The requested output boxes, as (width, height).
    ///
    /// ```
    /// assert_eq!(thumbing::Options::new().output_sizes(), &[(512, 512)]);
    /// ```
    pub fn output_sizes(&self) -> &[(u32, u32)] {
        &self.sizes
    }

    /// How the image fits the box (default [`Fit::Cover`]).
    ///
    /// ```
    /// let o = thumbing::Options::new().fit(thumbing::Fit::Inside);
    /// # let _ = o;
    /// ```
    pub fn fit(mut self, fit: Fit) -> Options {
        self.fit = fit;
        self
    }

    /// Where a cover crop is placed (default [`Crop::Centre`]).
    ///
    /// ```
    /// let o = thumbing::Options::new().crop(thumbing::Crop::Focal { x: 0.5, y: 0.3 });
    /// # let _ = o;
    /// ```
    pub fn crop(mut self, crop: Crop) -> Options {
        self.crop = crop;
        self
    }

    /// The resampling filter (default [`Filter::Lanczos3`]).
    ///
    /// ```
    /// let o = thumbing::Options::new().filter(thumbing::Filter::Mitchell);
    /// # let _ = o;
    /// ```
    pub fn filter(mut self, filter: Filter) -> Options {
        self.filter = filter;
        self
    }

    /// The output format (default [`OutputFormat::Jpeg`]). Lossy WebP and AVIF need their
    /// cargo features (`webp` on by default, `avif` opt-in): without them [`Options::validate`] fails with
    /// [`Error::InvalidOptions`] naming the feature.
    ///
    /// ```
    /// let o = thumbing::Options::new().format(thumbing::OutputFormat::WebP);
    /// # let _ = o;
    /// ```
    pub fn format(mut self, format: OutputFormat) -> Options {
        self.format = format;
        self
    }

    /// Quality of the lossy formats, 1–100 (default 80): JPEG (below 90, chroma is
    /// subsampled 4:2:0), lossy WebP (libwebp's scale, as `cwebp -q`) and AVIF (ravif's
    /// scale, made to track JPEG's). PNG and lossless WebP ignore it.
    ///
    /// ```
    /// let o = thumbing::Options::new().quality(90);
    /// # let _ = o;
    /// ```
    pub fn quality(mut self, quality: u8) -> Options {
        self.quality = quality;
        self
    }

    /// Progressive JPEG output (default off: baseline decodes fastest for small images).
    ///
    /// ```
    /// let o = thumbing::Options::new().progressive(true);
    /// # let _ = o;
    /// ```
    pub fn progressive(mut self, progressive: bool) -> Options {
        self.progressive = progressive;
        self
    }

    /// PNG compression effort (default [`PngCompression::Balanced`]).
    ///
    /// ```
    /// let o = thumbing::Options::new().png_compression(thumbing::PngCompression::Fast);
    /// # let _ = o;
    /// ```
    pub fn png_compression(mut self, level: PngCompression) -> Options {
        self.png_compression = level;
        self
    }

    /// The colour that transparent areas are flattened onto for JPEG output, and that
    /// [`Fit::Contain`] pads with (default white).
    ///
    /// ```
    /// let o = thumbing::Options::new().background([0, 0, 0]);
    /// # let _ = o;
    /// ```
    pub fn background(mut self, rgb: [u8; 3]) -> Options {
        self.background = rgb;
        self
    }

    /// Input limits (default [`Limits::default`]).
    ///
    /// ```
    /// let o = thumbing::Options::new().limits(thumbing::Limits::default().with_max_pixels(50_000_000));
    /// # let _ = o;
    /// ```
    pub fn limits(mut self, limits: Limits) -> Options {
        self.limits = limits;
        self
    }

    /// Shorthand for replacing only the pixel limit.
    ///
    /// ```
    /// let o = thumbing::Options::new().max_pixels(24_000_000);
    /// # let _ = o;
    /// ```
    pub fn max_pixels(mut self, max_pixels: u64) -> Options {
        self.limits.max_pixels = max_pixels;
        self
    }

    /// Shorthand for replacing only the input-size limit.
    ///
    /// ```
    /// let o = thumbing::Options::new().max_input_bytes(10 << 20);
    /// # let _ = o;
    /// ```
    pub fn max_input_bytes(mut self, max_input_bytes: usize) -> Options {
        self.limits.max_input_bytes = max_input_bytes;
        self
    }

    /// The most memory, in bytes, that decoding and resampling one image may take (default:
    /// no budget). [`Options::estimate_memory`] works it out from the headers, for the way
    /// thumbing will decode that file (in bands of rows where it can: PNG that is neither
    /// interlaced nor animated; JPEG region by region at the reduced scale; the whole image
    /// otherwise), and an image that needs more is refused with [`Error::TooLarge`] before
    /// any pixel memory is allocated. The input bytes and the encoded outputs are not
    /// counted.
    ///
    /// A server sets it to what one job may use: with the bands a 512-pixel avatar of a
    /// 100-megapixel PNG needs a few megabytes, while an interlaced one needs the whole
    /// decoded image.
    ///
    /// ```
    /// let png = include_bytes!("../../fixtures/gray.png");
    /// assert!(thumbing::Options::new().memory_budget(64 << 20).process(png).is_ok());
    /// let err = thumbing::Options::new().memory_budget(1_000).process(png).unwrap_err();
    /// assert_eq!(err.kind(), thumbing::ErrorKind::TooLarge);
    /// ```
    pub fn memory_budget(mut self, bytes: u64) -> Options {
        self.memory_budget = Some(bytes);
        self
    }

    /// The memory budget, if one is set ([`Options::memory_budget`]).
    ///
    /// ```
    /// assert_eq!(thumbing::Options::new().memory_budget_bytes(), None);
    /// assert_eq!(thumbing::Options::new().memory_budget(1 << 30).memory_budget_bytes(), Some(1 << 30));
    /// ```
    pub fn memory_budget_bytes(&self) -> Option<u64> {
        self.memory_budget
    }

    /// How damaged input is treated (default [`FailOn::Truncated`]: recoverable damage gives
    /// an avatar with [`Avatar::warnings`](crate::Avatar::warnings), a truncated file is an
    /// error; [`FailOn::Warning`] refuses any damage).
    ///
    /// ```
    /// let o = thumbing::Options::new().fail_on(thumbing::FailOn::Warning);
    /// # let _ = o;
    /// ```
    pub fn fail_on(mut self, fail_on: FailOn) -> Options {
        self.fail_on = fail_on;
        self
    }

    /// Whether JPEGs may be decoded at a reduced scale M/8 (M from 1 to 7) straight from the
    /// DCT coefficients when the outputs are small enough (default on), like libjpeg's
    /// scaled decoding behind sharp and Pillow's `draft`. The scale is the smallest that
    /// leaves every output's crop window at least [`Options::shrink_on_load_margin`] times
    /// the output's size; several sizes share one decode at the scale the largest of them
    /// needs. Files the scaled decoder does not cover are decoded at full size as before.
    ///
    /// ```
    /// let photo = include_bytes!("../../fixtures/landscape_1.jpg");
    /// let fast = thumbing::Options::new().size(32).render(photo)?.remove(0);
    /// let full = thumbing::Options::new().size(32).shrink_on_load(false).render(photo)?.remove(0);
    /// assert_eq!((fast.width, fast.height), (full.width, full.height));
    /// # Ok::<(), thumbing::Error>(())
    /// ```
    pub fn shrink_on_load(mut self, enabled: bool) -> Options {
        self.shrink_on_load = enabled;
        self
    }

    /// Decode and resample in bands of rows where the file allows (default on): a PNG that
    /// is neither interlaced nor animated goes row by row through the resampler, so the
    /// decoded image is never held whole and a 512-pixel avatar of a 100-megapixel PNG takes
    /// a few megabytes instead of hundreds. The pixels are exactly those of the whole-image
    /// path, which `false` brings back (for comparison and measurement). Interlaced and
    /// animated PNG, WebP and GIF are always decoded whole; JPEG is decoded only in the region
    /// and at the scale the outputs need, band by band inside the decoder. Smart crops
    /// ([`Crop::Smart`]) look at the whole image first, so they decode it whole too.
    ///
    /// ```
    /// let png = include_bytes!("../../fixtures/with-alpha.png");
    /// let bands = thumbing::Options::new().size(48).render(png)?;
    /// let whole = thumbing::Options::new().size(48).bands(false).render(png)?;
    /// assert_eq!(bands, whole);
    /// # Ok::<(), thumbing::Error>(())
    /// ```
    pub fn bands(mut self, enabled: bool) -> Options {
        self.bands = enabled;
        self
    }

    /// How much reduction shrink-on-load leaves to the resampling filter (default
    /// [`SHRINK_ON_LOAD_MARGIN`]): the crop window, decoded at M/8, must still be at least
    /// `margin` times the output in each direction. A lower margin (down to 1) decodes
    /// smaller and faster at some cost in sharpness; a higher one the reverse. Must be a
    /// finite number of at least 1 ([`Options::validate`]).
    ///
    /// ```
    /// let info = thumbing::probe(include_bytes!("../../fixtures/landscape_1.jpg"))?;
    /// let side = info.upright_size().0.min(info.upright_size().1);
    /// let options = thumbing::Options::new().size(side / 8);
    /// assert_eq!(options.clone().shrink_on_load_margin(2.0).decode_scale(&info), 2);
    /// assert_eq!(options.clone().shrink_on_load_margin(1.0).decode_scale(&info), 1);
    /// assert!(options.shrink_on_load_margin(0.5).validate().is_err());
    /// # Ok::<(), thumbing::Error>(())
    /// ```
    pub fn shrink_on_load_margin(mut self, margin: f64) -> Options {
        self.shrink_margin = margin;
        self
    }

    /// The scale, in eighths of the stored size (1 to 8), that shrink-on-load would decode
    /// an image with these headers at: the smallest that keeps every output's crop window at
    /// least [`Options::shrink_on_load_margin`] times the output's size. Always 8 (full
    /// size) for formats other than JPEG, when shrink-on-load is off, or with an invalid
    /// margin.
    ///
    /// ```
    /// let info = thumbing::probe(include_bytes!("../../fixtures/landscape_1.jpg"))?;
    /// let (w, h) = info.upright_size();
    /// let side = w.min(h);
    /// let options = thumbing::Options::new().shrink_on_load_margin(2.0);
    /// // A window of `side` pixels over a side/8 output: 2/8 keeps a margin of 2.
    /// assert_eq!(options.clone().size(side / 8).decode_scale(&info), 2);
    /// // Over a 3·side/16 output, 3/8 does.
    /// assert_eq!(options.clone().size(3 * side / 16).decode_scale(&info), 3);
    /// assert_eq!(options.size(side).decode_scale(&info), 8);
    /// # Ok::<(), thumbing::Error>(())
    /// ```
    pub fn decode_scale(&self, info: &ImageInfo) -> u32 {
        let margin = self.shrink_margin;
        if !self.shrink_on_load || info.format != ImageFormat::Jpeg || !(margin.is_finite() && margin >= 1.0) {
            return 8;
        }
        let (up_w, up_h) = info.upright_size();
        let mut scale = 1;
        for &(box_w, box_h) in &self.sizes {
            // The window's size does not depend on where the crop is placed.
            let plan = crop::plan(up_w, up_h, box_w, box_h, self.fit, Crop::Centre, || None);
            let (_, _, window_w, window_h) = plan.window;
            let (out_w, out_h) = (f64::from(plan.resized.0.max(1)), f64::from(plan.resized.1.max(1)));
            // The smallest M with window · M/8 ≥ margin · output in both directions (a
            // hair of tolerance for windows that are exact multiples).
            let needed = (8.0 * margin * (out_w / window_w).max(out_h / window_h) - 1e-9).ceil();
            scale = scale.max(needed.clamp(1.0, 8.0) as u32);
        }
        scale
    }

    /// The output format these options produce.
    ///
    /// ```
    /// assert_eq!(thumbing::Options::new().output_format(), thumbing::OutputFormat::Jpeg);
    /// ```
    pub fn output_format(&self) -> OutputFormat {
        self.format
    }

    /// The limits these options enforce.
    ///
    /// ```
    /// assert_eq!(thumbing::Options::new().input_limits(), thumbing::Limits::default());
    /// ```
    pub fn input_limits(&self) -> Limits {
        self.limits
    }

    /// Checks the options without touching any image.
    ///
    /// ```
    /// assert!(thumbing::Options::new().validate().is_ok());
    /// assert!(thumbing::Options::new().quality(0).validate().is_err());
    /// assert!(thumbing::Options::new().sizes([]).validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<()> {
        if self.sizes.is_empty() {
            return Err(Error::invalid("at least one output size is needed"));
        }
        if self.sizes.len() > 32 {
            return Err(Error::invalid(format!("{} output sizes requested; at most 32 are allowed", self.sizes.len())));
        }
        for &(w, h) in &self.sizes {
            if w == 0 || h == 0 || w > MAX_OUTPUT_SIDE || h > MAX_OUTPUT_SIDE {
                return Err(Error::invalid(format!(
                    "output size {w}x{h} is out of range: each side must be 1..={MAX_OUTPUT_SIDE}"
                )));
            }
        }
        self.format.check_available()?;
        if !(1..=100).contains(&self.quality) {
            return Err(Error::invalid(format!("quality {} is out of range 1..=100", self.quality)));
        }
        if let Crop::Focal { x, y } = self.crop
            && !((0.0..=1.0).contains(&x) && (0.0..=1.0).contains(&y))
        {
            let (x, y) = (short_decimal(x), short_decimal(y));
            return Err(Error::invalid(format!("focal point ({x}, {y}) must lie within 0..=1 on both axes")));
        }
        if !(self.shrink_margin.is_finite() && self.shrink_margin >= 1.0) {
            return Err(Error::invalid("the shrink-on-load margin must be a finite number of at least 1"));
        }
        if self.limits.max_pixels == 0 || self.limits.max_input_bytes == 0 {
            return Err(Error::invalid("limits must be greater than zero"));
        }
        if self.memory_budget == Some(0) {
            return Err(Error::invalid("the memory budget must be greater than zero"));
        }
        Ok(())
    }
}

/// An option whose value is written as a word: [`OutputFormat`], [`Fit`], [`Crop`],
/// [`Filter`], [`PngCompression`] and [`FailOn`].
///
/// This is thumbing's one vocabulary. The `thumbing` command, the Python and WebAssembly
/// packages and the AWS Lambda function's environment all parse option words through it
/// ([`FromStr`], or [`parse_named`](OptionWord::parse_named) where an interface spells the
/// option's name its own way), so they accept exactly the same words. Words are matched
/// ignoring ASCII case and surrounding white space. Each value has one canonical word, the
/// one [`Display`](fmt::Display) writes; a few have aliases, kept because other tools use
/// them (`jpg`; `center`; sharp's `attention` and `entropy`; common filter names):
///
/// | option | words: canonical (aliases) |
/// |---|---|
/// | `format` | `jpeg` (`jpg`), `png`, `webp` (lossy), `webp-lossless`, `avif` |
/// | `fit` | `cover`, `contain`, `inside` |
/// | `crop` | `centre` (`center`), `smart` (`attention`, `entropy`), or a focal point `X,Y` (fractions 0..=1) |
/// | `filter` | `lanczos3` (`lanczos`), `mitchell`, `catmull-rom` (`catmullrom`, `cubic`), `bilinear` (`triangle`), `box`, `nearest` |
/// | `png_compression` | `fast`, `balanced`, `smallest` |
/// | `fail_on` | `warning`, `truncated`, `never` |
///
/// Any other word is an [`Error::InvalidOptions`] that names the option, repeats the value
/// and lists the canonical words.
///
/// ```
/// use thumbing::{Fit, OptionWord};
/// assert_eq!("Contain".parse::<Fit>()?, Fit::Contain);
/// assert_eq!(Fit::Inside.to_string(), "inside");
/// let err = "fill".parse::<Fit>().unwrap_err();
/// assert_eq!(err.to_string(), r#"invalid options: fit "fill" is not one of cover, contain or inside"#);
/// // An interface with its own spelling of the option's name:
/// let err = Fit::parse_named("fill", "--fit").unwrap_err();
/// assert!(err.to_string().contains(r#"--fit "fill" is not one of"#));
/// # Ok::<(), thumbing::Error>(())
/// ```
pub trait OptionWord: Sized + Copy + PartialEq + fmt::Display + FromStr<Err = Error> + 'static {
    /// The option's name, as [`Options`] spells it: `format`, `fit`, `crop`, `filter`,
    /// `png_compression` or `fail_on`.
    const OPTION: &'static str;

    /// Every accepted word with the value it means. The first word of each value is its
    /// canonical word.
    const WORDS: &'static [(&'static str, Self)];

    /// What the option accepts besides its words, for messages (`X,Y` for [`Crop`]).
    const OTHER: Option<&'static str> = None;

    /// Parses a value that is not a word, or `None` when it is not of that form: the focal
    /// point of [`Crop`]. The other options take words only.
    ///
    /// ```
    /// use thumbing::{Crop, Fit, OptionWord};
    /// assert!(matches!(Crop::parse_other("0.5,0.25", "crop"), Some(Ok(Crop::Focal { .. }))));
    /// assert!(Fit::parse_other("0.5,0.25", "fit").is_none());
    /// ```
    fn parse_other(value: &str, option: &str) -> Option<Result<Self>> {
        let _ = (value, option);
        None
    }

    /// Parses `value`, naming the option `option` in the error: for interfaces that spell
    /// the option's name their own way (`options.failOn`, `--fail-on`, `OUTPUT_FORMAT`).
    /// [`FromStr`] is this with [`OPTION`](OptionWord::OPTION).
    ///
    /// ```
    /// use thumbing::{FailOn, OptionWord};
    /// assert_eq!(FailOn::parse_named(" NEVER ", "options.failOn")?, FailOn::Never);
    /// let err = FailOn::parse_named("none", "options.failOn").unwrap_err();
    /// assert!(err.to_string().ends_with(r#"options.failOn "none" is not one of warning, truncated or never"#));
    /// # Ok::<(), thumbing::Error>(())
    /// ```
    fn parse_named(value: &str, option: &str) -> Result<Self> {
        let word = value.trim();
        if let Some(&(_, parsed)) = Self::WORDS.iter().find(|(w, _)| w.eq_ignore_ascii_case(word)) {
            return Ok(parsed);
        }
        if let Some(parsed) = Self::parse_other(word, option) {
            return parsed;
        }
        Err(unknown_word(option, value, &Self::names(), Self::OTHER))
    }

    /// The canonical words, one per value, in the order of [`WORDS`](OptionWord::WORDS).
    ///
    /// ```
    /// use thumbing::{OptionWord, OutputFormat};
    /// assert_eq!(OutputFormat::names(), ["jpeg", "png", "webp", "webp-lossless", "avif"]);
    /// ```
    fn names() -> Vec<&'static str> {
        let mut names: Vec<&'static str> = Vec::new();
        for (i, &(word, value)) in Self::WORDS.iter().enumerate() {
            if !Self::WORDS[..i].iter().any(|&(_, earlier)| earlier == value) {
                names.push(word);
            }
        }
        names
    }

    /// The canonical word of this value (`None` only for a focal-point [`Crop`]).
    ///
    /// ```
    /// use thumbing::{Filter, OptionWord};
    /// assert_eq!(Filter::CatmullRom.word(), Some("catmull-rom"));
    /// ```
    fn word(self) -> Option<&'static str> {
        Self::WORDS.iter().find(|&&(_, value)| value == self).map(|&(word, _)| word)
    }
}

/// The error for a value that is not one of an option's words: `{option} "{value}" is not one
/// of a, b or c`. Not generic, so that the message is built by one copy of the code.
fn unknown_word(option: &str, value: &str, names: &[&str], other: Option<&str>) -> Error {
    let mut list = String::new();
    let count = names.len() + usize::from(other.is_some());
    for (i, name) in names.iter().chain(other.as_ref()).enumerate() {
        list.push_str(match i {
            0 => "",
            i if i + 1 == count => " or ",
            _ => ", ",
        });
        list.push_str(name);
    }
    Error::invalid(format!("{option} {value:?} is not one of {list}"))
}

/// Every option that takes words, with all the words it accepts (canonical words first for
/// each value, as in [`OptionWord::WORDS`]): what the interfaces' tests check themselves
/// against.
///
/// ```
/// let words = thumbing::option_words();
/// let (option, fit) = &words[1];
/// assert_eq!((*option, fit.as_slice()), ("fit", &["cover", "contain", "inside"][..]));
/// ```
pub fn option_words() -> Vec<(&'static str, Vec<&'static str>)> {
    fn of<T: OptionWord>() -> (&'static str, Vec<&'static str>) {
        (T::OPTION, T::WORDS.iter().map(|&(word, _)| word).collect())
    }
    vec![of::<OutputFormat>(), of::<Fit>(), of::<Crop>(), of::<Filter>(), of::<PngCompression>(), of::<FailOn>()]
}

/// [`FromStr`] and [`Display`](fmt::Display) of an [`OptionWord`] whose values are all words.
macro_rules! word_option {
    ($type:ty, $option:literal, [$(($word:literal, $value:expr)),+ $(,)?]) => {
        impl OptionWord for $type {
            const OPTION: &'static str = $option;
            const WORDS: &'static [(&'static str, Self)] = &[$(($word, $value)),+];
        }

        impl FromStr for $type {
            type Err = Error;

            fn from_str(s: &str) -> Result<Self> {
                Self::parse_named(s, Self::OPTION)
            }
        }

        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.word().unwrap_or_default())
            }
        }
    };
}

word_option!(
    OutputFormat,
    "format",
    [
        ("jpeg", OutputFormat::Jpeg),
        ("jpg", OutputFormat::Jpeg),
        ("png", OutputFormat::Png),
        ("webp", OutputFormat::WebP),
        ("webp-lossless", OutputFormat::WebPLossless),
        ("avif", OutputFormat::Avif),
    ]
);

word_option!(Fit, "fit", [("cover", Fit::Cover), ("contain", Fit::Contain), ("inside", Fit::Inside)]);

word_option!(
    Filter,
    "filter",
    [
        ("lanczos3", Filter::Lanczos3),
        ("lanczos", Filter::Lanczos3),
        ("mitchell", Filter::Mitchell),
        ("catmull-rom", Filter::CatmullRom),
        ("catmullrom", Filter::CatmullRom),
        ("cubic", Filter::CatmullRom),
        ("bilinear", Filter::Bilinear),
        ("triangle", Filter::Bilinear),
        ("box", Filter::Box),
        ("nearest", Filter::Nearest),
    ]
);

word_option!(
    PngCompression,
    "png_compression",
    [("fast", PngCompression::Fast), ("balanced", PngCompression::Balanced), ("smallest", PngCompression::Smallest),]
);

word_option!(
    FailOn,
    "fail_on",
    [("warning", FailOn::Warning), ("truncated", FailOn::Truncated), ("never", FailOn::Never)]
);

impl OptionWord for Crop {
    const OPTION: &'static str = "crop";
    const WORDS: &'static [(&'static str, Self)] = &[
        ("centre", Crop::Centre),
        ("center", Crop::Centre),
        ("smart", Crop::Smart),
        ("attention", Crop::Smart),
        ("entropy", Crop::Smart),
    ];
    const OTHER: Option<&'static str> = Some("X,Y");

    /// A focal point `X,Y`, fractions of the upright width and height in 0..=1.
    fn parse_other(value: &str, option: &str) -> Option<Result<Self>> {
        let (x, y) = value.split_once(',')?;
        let fraction = |v: &str| v.trim().parse::<f32>().ok().filter(|v| (0.0..=1.0).contains(v));
        Some(match (fraction(x), fraction(y)) {
            (Some(x), Some(y)) => Ok(Crop::Focal { x, y }),
            _ => Err(Error::invalid(format!(
                "{option} {value:?} is not a focal point: expected two numbers in 0..=1, e.g. 0.5,0.3"
            ))),
        })
    }
}

impl FromStr for Crop {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::parse_named(s, Self::OPTION)
    }
}

impl fmt::Display for Crop {
    /// The canonical word, or `X,Y` for a focal point.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self, self.word()) {
            (Crop::Focal { x, y }, _) => write!(f, "{x},{y}"),
            (_, word) => f.write_str(word.unwrap_or_default()),
        }
    }
}

/// `v` to at most three decimals ("1.5", "-0.25", "NaN") for error messages, without the
/// standard float formatting machinery, which would add kilobytes to the WebAssembly module.
fn short_decimal(v: f32) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.abs() >= 1e9 {
        return if v > 0.0 { "1e9 or more".into() } else { "-1e9 or less".into() };
    }
    let milli = (f64::from(v) * 1000.0).round() as i64;
    let sign = if milli < 0 { "-" } else { "" };
    let (whole, frac) = (milli.unsigned_abs() / 1000, milli.unsigned_abs() % 1000);
    if frac == 0 {
        return format!("{sign}{whole}");
    }
    let digits = format!("{frac:03}");
    format!("{sign}{whole}.{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_decimals_for_messages() {
        let cases = [(1.5, "1.5"), (0.5, "0.5"), (-0.25, "-0.25"), (2.0, "2"), (0.0001, "0"), (1e12, "1e9 or more")];
        for (v, text) in cases {
            assert_eq!(short_decimal(v), text, "{v}");
        }
        assert_eq!(short_decimal(f32::NAN), "NaN");
        assert_eq!(short_decimal(f32::NEG_INFINITY), "-1e9 or less");
    }

    #[test]
    fn invalid_options_are_reported_before_decoding() {
        let err = Options::new().size(0).process(b"garbage").unwrap_err();
        assert!(matches!(err, Error::InvalidOptions(_)), "{err}");
        let err = Options::new().crop(Crop::Focal { x: 1.5, y: 0.0 }).process(b"x").unwrap_err();
        assert!(matches!(err, Error::InvalidOptions(_)), "{err}");
    }

    #[test]
    fn every_value_has_one_canonical_word_that_round_trips() {
        fn check<T: OptionWord + fmt::Debug>(values: &[T]) {
            assert_eq!(T::names().len(), values.len(), "{}", T::OPTION);
            for &value in values {
                let word = value.word().unwrap_or_else(|| panic!("{value:?} has no word"));
                assert_eq!(value.to_string(), word);
                assert_eq!(word.parse::<T>().unwrap(), value);
            }
            for &(word, value) in T::WORDS {
                assert_eq!(word, word.to_ascii_lowercase(), "words are written in lower case");
                assert_eq!(format!(" {} ", word.to_ascii_uppercase()).parse::<T>().unwrap(), value);
            }
        }
        check(&crate::encode::ALL_FORMATS);
        check(&[Fit::Cover, Fit::Contain, Fit::Inside]);
        check(&[Crop::Centre, Crop::Smart]);
        check(&[
            Filter::Lanczos3,
            Filter::Mitchell,
            Filter::CatmullRom,
            Filter::Bilinear,
            Filter::Box,
            Filter::Nearest,
        ]);
        check(&[PngCompression::Fast, PngCompression::Balanced, PngCompression::Smallest]);
        check(&[FailOn::Warning, FailOn::Truncated, FailOn::Never]);
        // The output format's word is its name.
        for format in crate::encode::ALL_FORMATS {
            assert_eq!(format.to_string(), format.name());
        }
        // Every format is a word of every build, whether or not its encoder is compiled in.
        assert_eq!(OutputFormat::names(), ["jpeg", "png", "webp", "webp-lossless", "avif"]);
    }

    #[test]
    fn unknown_words_name_the_option_the_value_and_the_words() {
        let err = "gif".parse::<OutputFormat>().unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"invalid options: format "gif" is not one of jpeg, png, webp, webp-lossless or avif"#
        );
        let err = "middle".parse::<Crop>().unwrap_err();
        assert_eq!(err.to_string(), r#"invalid options: crop "middle" is not one of centre, smart or X,Y"#);
        let err = PngCompression::parse_named("best", "pngCompression").unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"invalid options: pngCompression "best" is not one of fast, balanced or smallest"#
        );
        for not_a_word in ["", "none", "error", "default", "lanczos4", "jpeg2000"] {
            assert!(not_a_word.parse::<FailOn>().is_err());
            assert!(not_a_word.parse::<PngCompression>().is_err());
            assert!(not_a_word.parse::<Filter>().is_err());
            assert!(not_a_word.parse::<OutputFormat>().is_err());
        }
    }

    #[test]
    fn focal_points_parse_display_and_round_trip() {
        assert_eq!("0.25, 0.5".parse::<Crop>().unwrap(), Crop::Focal { x: 0.25, y: 0.5 });
        let focal = Crop::Focal { x: 0.3, y: 0.7 };
        assert_eq!(focal.to_string().parse::<Crop>().unwrap(), focal);
        let err = "2,2".parse::<Crop>().unwrap_err();
        assert!(err.to_string().contains(r#"crop "2,2" is not a focal point"#), "{err}");
        assert!("0.5".parse::<Crop>().is_err());
    }

    #[test]
    fn option_words_lists_every_option() {
        let words = option_words();
        let options: Vec<&str> = words.iter().map(|(option, _)| *option).collect();
        assert_eq!(options, ["format", "fit", "crop", "filter", "png_compression", "fail_on"]);
        assert_eq!(words[5].1, ["warning", "truncated", "never"]);
    }
}
