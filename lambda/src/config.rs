//! The function's configuration, read once from the environment at cold start.

use std::collections::BTreeMap;
use std::fmt;

use thumbing::{Crop, Limits, MAX_OUTPUT_SIDE, OptionWord, OutputFormat};

/// What happens to an upload that is not a usable image (corrupt, unsupported, too large).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FailureAction {
    /// Tag the upload `thumbing-rejected=<error category>` and leave it in place. The default.
    #[default]
    Tag,
    /// Move the upload to `<FOLDER_FAILED>/<key>` in the same bucket.
    Move,
    /// Only log it.
    Ignore,
}

impl FailureAction {
    /// The name used in `ON_FAILURE`: `tag`, `move` or `none`.
    ///
    /// ```
    /// assert_eq!(thumbing_lambda::handler::FailureAction::Move.name(), "move");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            FailureAction::Tag => "tag",
            FailureAction::Move => "move",
            FailureAction::Ignore => "none",
        }
    }
}

impl std::str::FromStr for FailureAction {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "tag" => Ok(FailureAction::Tag),
            "move" => Ok(FailureAction::Move),
            "none" | "ignore" | "log" => Ok(FailureAction::Ignore),
            _ => Err(format!("{s:?} is not one of tag, move or none")),
        }
    }
}

/// Everything the handler needs to know. Read it from the environment with
/// [`Config::from_env`], or start from [`Config::new`] and set the public fields.
///
/// | variable | default | meaning |
/// | --- | --- | --- |
/// | `DEST_BUCKET_NAME` | required | bucket the avatars are written to |
/// | `FOLDER_INPUT` | empty (all keys) | only keys under this folder are processed |
/// | `FOLDER_OUTPUT` | `avatars` | folder of the destination bucket the avatars go to |
/// | `PROCESS_WIDTH`, `PROCESS_HEIGHT` | `512` | size of the main avatar, `<stem>.jpg` |
/// | `SIZES` | unset | e.g. `512,128`: the first is the main square avatar, each further size `s` is also written as `<stem>-<s>.jpg` |
/// | `OUTPUT_FORMAT` | `jpeg` | `jpeg`, `png`, `webp` (lossy), `webp-lossless` or `avif` (sets the extension and `Content-Type`); the words of [`OutputFormat`]. A list such as `jpeg,webp,avif` writes every size in each format (`<stem>.jpg`, `<stem>.webp`, `<stem>.avif`, …): the first is the main one |
/// | `QUALITY` | `80` | quality of JPEG, lossy WebP and AVIF, 1–100 |
/// | `CROP` | `centre` | `centre`, `smart`, or a focal point `x,y` in 0–1; the words of [`Crop`] |
/// | `CACHE_CONTROL` | `public, max-age=300` | `Cache-Control` of the written avatars |
/// | `MAX_PIXELS` | 100 000 000 | larger images are rejected from their header, before decoding |
/// | `MAX_INPUT_BYTES` | 52 428 800 | larger uploads are rejected without being downloaded |
/// | `MEMORY_BUDGET_MB` | ¾ of the function's memory on Lambda, else none | the most memory (MiB) one image's decode and resizing may take ([`thumbing::Options::memory_budget`]); an image that needs more is refused from its header as too large, instead of running the function out of memory; `none` for no budget |
/// | `ON_FAILURE` | `tag` | what to do with an upload that is not a usable image: `tag`, `move` or `none` |
/// | `FOLDER_FAILED` | `failed` | where `ON_FAILURE=move` puts such uploads; keys under it are never processed |
///
/// ```
/// use thumbing_lambda::handler::Config;
///
/// let env = [("DEST_BUCKET_NAME", "assets"), ("FOLDER_INPUT", "uploads"), ("SIZES", "512,128")];
/// let config = Config::from_lookup(|name| env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string()))?;
/// assert_eq!(config.input_prefix, "uploads/");
/// assert_eq!(config.output_prefix, "avatars/");
/// let keys: Vec<String> = config.outputs("uploads/sub 1.png").unwrap().into_iter().map(|o| o.key).collect();
/// assert_eq!(keys, ["avatars/sub 1.jpg", "avatars/sub 1-128.jpg"]);
///
/// let err = Config::from_lookup(|name| (name == "QUALITY").then(|| "0".to_string())).unwrap_err();
/// assert!(err.to_string().contains("DEST_BUCKET_NAME"));
/// assert!(err.to_string().contains("QUALITY"));
/// # Ok::<(), thumbing_lambda::handler::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Config {
    /// The bucket avatars are written to (`DEST_BUCKET_NAME`).
    pub dest_bucket: String,
    /// Only keys starting with this are processed: empty, or a folder ending in `/`.
    pub input_prefix: String,
    /// Avatars are written under this: empty, or a folder ending in `/`.
    pub output_prefix: String,
    /// Rejected uploads are moved under this (with [`FailureAction::Move`]), and keys under
    /// it are never processed: a folder ending in `/`.
    pub failed_prefix: String,
    /// Width of the main avatar.
    pub width: u32,
    /// Height of the main avatar.
    pub height: u32,
    /// Further square sizes, each written as `<stem>-<size>.<ext>`.
    pub extra_sizes: Vec<u32>,
    /// Output format of the main avatar (the first of `OUTPUT_FORMAT`).
    pub format: OutputFormat,
    /// Further formats every size is also written in (the rest of `OUTPUT_FORMAT`), each
    /// with its own extension: `<stem>.webp`, `<stem>-128.avif`.
    pub extra_formats: Vec<OutputFormat>,
    /// Quality of the lossy formats, 1–100.
    pub quality: u8,
    /// Where the cover crop is placed.
    pub crop: Crop,
    /// `Cache-Control` of the avatars.
    pub cache_control: String,
    /// Pixel limit, checked from the image header.
    pub max_pixels: u64,
    /// Upload size limit, checked before downloading.
    pub max_input_bytes: u64,
    /// The most memory, in bytes, that one image's decode and resizing may take
    /// ([`thumbing::Options::memory_budget`]), or `None` for no budget. Read from
    /// `MEMORY_BUDGET_MB`; on Lambda it defaults to [`LAMBDA_MEMORY_SHARE`] of the function's
    /// memory (`AWS_LAMBDA_FUNCTION_MEMORY_SIZE`).
    pub memory_budget: Option<u64>,
    /// What to do with uploads that are not usable images.
    pub on_failure: FailureAction,
}

/// One file the handler writes for an upload: its key, box size and format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputSpec {
    /// The key in the destination bucket.
    pub key: String,
    /// The format of the file (its `Content-Type`).
    pub format: OutputFormat,
    /// Width of the box.
    pub width: u32,
    /// Height of the box.
    pub height: u32,
}

/// Invalid configuration: every problem found, each naming its variable.
///
/// ```
/// let err = thumbing_lambda::handler::Config::from_lookup(|_| None).unwrap_err();
/// assert_eq!(err.problems().len(), 1);
/// assert!(err.to_string().starts_with("invalid configuration: DEST_BUCKET_NAME"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    problems: Vec<String>,
}

impl ConfigError {
    /// One message per problem.
    ///
    /// ```
    /// # let err = thumbing_lambda::handler::Config::from_lookup(|_| None).unwrap_err();
    /// assert!(err.problems()[0].contains("required"));
    /// ```
    pub fn problems(&self) -> &[String] {
        &self.problems
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid configuration: {}", self.problems.join("; "))
    }
}

impl std::error::Error for ConfigError {}

/// The default `Cache-Control`: avatars keep their URL when replaced, so caches may serve
/// an old one for at most five minutes.
pub const DEFAULT_CACHE_CONTROL: &str = "public, max-age=300";

/// The share of a Lambda function's memory (`AWS_LAMBDA_FUNCTION_MEMORY_SIZE`) that one
/// image's decode and resizing may take when `MEMORY_BUDGET_MB` is not set: three quarters,
/// leaving the rest for the runtime, the upload's bytes and the encoded avatars.
///
/// ```
/// let env = [("DEST_BUCKET_NAME", "assets"), ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")];
/// let c = thumbing_lambda::handler::Config::from_lookup(|n| env.iter().find(|(k, _)| *k == n).map(|(_, v)| v.to_string()))?;
/// assert_eq!(c.memory_budget, Some(384 << 20));
/// # Ok::<(), thumbing_lambda::handler::ConfigError>(())
/// ```
pub const LAMBDA_MEMORY_SHARE: (u64, u64) = (3, 4);

/// The largest `MEMORY_BUDGET_MB` accepted: 1 TiB.
const MAX_MEMORY_BUDGET_MB: u64 = 1 << 20;

/// Bytes in a MiB.
const MIB: u64 = 1 << 20;

/// The variables one job may change with [`Config::with_overrides`]: what the avatars look
/// like and how they are served. Where they are read from and written to, the input limits
/// and the failure action stay those of the function.
pub const JOB_SETTINGS: &[&str] =
    &["SIZES", "PROCESS_WIDTH", "PROCESS_HEIGHT", "OUTPUT_FORMAT", "QUALITY", "CROP", "CACHE_CONTROL"];

impl Config {
    /// The defaults, writing to `dest_bucket`.
    ///
    /// ```
    /// let c = thumbing_lambda::handler::Config::new("assets");
    /// assert_eq!((c.width, c.height, c.quality), (512, 512, 80));
    /// assert!(c.validate().is_ok());
    /// ```
    pub fn new(dest_bucket: impl Into<String>) -> Self {
        Config {
            dest_bucket: dest_bucket.into(),
            input_prefix: String::new(),
            output_prefix: "avatars/".into(),
            failed_prefix: "failed/".into(),
            width: 512,
            height: 512,
            extra_sizes: Vec::new(),
            format: OutputFormat::Jpeg,
            extra_formats: Vec::new(),
            quality: 80,
            crop: Crop::Centre,
            cache_control: DEFAULT_CACHE_CONTROL.into(),
            max_pixels: Limits::DEFAULT_MAX_PIXELS,
            max_input_bytes: Limits::DEFAULT_MAX_INPUT_BYTES as u64,
            memory_budget: None,
            on_failure: FailureAction::Tag,
        }
    }

    /// Reads the process environment (see the table above).
    ///
    /// ```no_run
    /// let config = thumbing_lambda::handler::Config::from_env()?;
    /// # Ok::<(), thumbing_lambda::handler::ConfigError>(())
    /// ```
    pub fn from_env() -> Result<Self, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the variables through `lookup`; unset and blank variables take their
    /// defaults. Reports every problem at once.
    ///
    /// ```
    /// let c = thumbing_lambda::handler::Config::from_lookup(|n| (n == "DEST_BUCKET_NAME").then(|| "assets".into()))?;
    /// assert_eq!(c, thumbing_lambda::handler::Config::new("assets"));
    /// # Ok::<(), thumbing_lambda::handler::ConfigError>(())
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Config::read(Config::new(String::new()), lookup)
    }

    /// This configuration with some output settings replaced for one job, e.g. the
    /// `userArguments` of an S3 Batch Operations job: `{"SIZES": "512,128"}`. The names
    /// are those of [`JOB_SETTINGS`]; each value is parsed and checked exactly as the
    /// variable of that name, and a blank value keeps the current setting. Every problem is
    /// reported at once, and a name that is not a job setting is one.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use thumbing_lambda::handler::Config;
    ///
    /// let config = Config::new("assets");
    /// let job = BTreeMap::from([("SIZES".to_owned(), "256,64".to_owned()), ("OUTPUT_FORMAT".to_owned(), "webp".to_owned())]);
    /// let changed = config.with_overrides(&job)?;
    /// assert_eq!((changed.width, changed.extra_sizes.clone()), (256, vec![64]));
    /// assert_eq!(changed.dest_bucket, "assets");
    ///
    /// let bad = BTreeMap::from([("QUALITY".to_owned(), "0".to_owned()), ("DEST_BUCKET_NAME".to_owned(), "x".to_owned())]);
    /// let err = config.with_overrides(&bad).unwrap_err();
    /// assert_eq!(err.problems().len(), 2);
    /// # Ok::<(), thumbing_lambda::handler::ConfigError>(())
    /// ```
    pub fn with_overrides(&self, settings: &BTreeMap<String, String>) -> Result<Config, ConfigError> {
        let unknown: Vec<String> = settings
            .keys()
            .filter(|name| !JOB_SETTINGS.contains(&name.as_str()))
            .map(|name| {
                format!(
                    "{name} cannot be set for one job: the settings a job may change are {}",
                    JOB_SETTINGS.join(", ")
                )
            })
            .collect();
        let changed =
            Config::read(
                self.clone(),
                |name| {
                    if JOB_SETTINGS.contains(&name) { settings.get(name).cloned() } else { None }
                },
            );
        match changed {
            Ok(config) if unknown.is_empty() => Ok(config),
            Ok(_) => Err(ConfigError { problems: unknown }),
            Err(mut e) => {
                e.problems.splice(0..0, unknown);
                Err(e)
            }
        }
    }

    /// Reads the variables through `lookup` over `base`: unset and blank variables keep
    /// `base`'s values.
    fn read(base: Config, lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let mut problems = Vec::new();
        let mut config = base;

        match get("DEST_BUCKET_NAME") {
            Some(bucket) => config.dest_bucket = bucket,
            None if config.dest_bucket.is_empty() => {
                problems.push("DEST_BUCKET_NAME is required: the bucket the avatars are written to".to_owned())
            }
            None => {}
        }
        if let Some(v) = lookup("FOLDER_INPUT") {
            config.input_prefix = folder(&v);
        }
        if let Some(v) = lookup("FOLDER_OUTPUT") {
            config.output_prefix = folder(&v);
        }
        if let Some(v) = get("FOLDER_FAILED") {
            config.failed_prefix = folder(&v);
        }

        let mut parse = |name: &str, what: &str, f: &mut dyn FnMut(&str) -> Result<(), String>| {
            if let Some(v) = get(name)
                && let Err(e) = f(&v)
            {
                problems.push(format!("{name}={v:?} is not {what}: {e}"));
            }
        };
        let side = |v: &str| -> Result<u32, String> {
            v.parse::<u32>()
                .ok()
                .filter(|s| (1..=MAX_OUTPUT_SIDE).contains(s))
                .ok_or_else(|| format!("expected a whole number from 1 to {MAX_OUTPUT_SIDE}"))
        };
        let (mut width, mut height, mut sizes) = (None, None, None);
        parse("PROCESS_WIDTH", "a valid width", &mut |v| side(v).map(|s| width = Some(s)));
        parse("PROCESS_HEIGHT", "a valid height", &mut |v| side(v).map(|s| height = Some(s)));
        parse("SIZES", "a list of sizes like 512,128", &mut |v| {
            let list = v.split(',').map(|s| side(s.trim())).collect::<Result<Vec<u32>, _>>()?;
            let mut seen = list.clone();
            seen.sort_unstable();
            seen.dedup();
            if seen.len() != list.len() {
                return Err("a size is listed twice".into());
            }
            sizes = Some(list);
            Ok(())
        });
        parse("QUALITY", "a quality", &mut |v| {
            v.parse::<u8>()
                .ok()
                .filter(|q| (1..=100).contains(q))
                .map(|q| config.quality = q)
                .ok_or_else(|| "expected a whole number from 1 to 100".into())
        });
        parse("CACHE_CONTROL", "a Cache-Control value", &mut |v| {
            if v.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b)) {
                config.cache_control = v.to_owned();
                Ok(())
            } else {
                Err("only printable ASCII is allowed in a header".into())
            }
        });
        parse("MAX_PIXELS", "a pixel count", &mut |v| {
            v.parse::<u64>()
                .ok()
                .filter(|&n| n > 0)
                .map(|n| config.max_pixels = n)
                .ok_or_else(|| "expected a whole number above 0".into())
        });
        parse("MAX_INPUT_BYTES", "a byte count", &mut |v| {
            v.parse::<u64>()
                .ok()
                .filter(|&n| n > 0 && usize::try_from(n).is_ok())
                .map(|n| config.max_input_bytes = n)
                .ok_or_else(|| "expected a whole number above 0".into())
        });
        // On Lambda, a share of the function's memory unless MEMORY_BUDGET_MB says otherwise:
        // an image that would need more is refused from its header (tagged like any unusable
        // upload) instead of ending the invocation out of memory, to be retried twice.
        if let Some(mb) = get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE").and_then(|v| v.trim().parse::<u64>().ok()) {
            let (share, of) = LAMBDA_MEMORY_SHARE;
            config.memory_budget = Some(mb * share / of * MIB);
        }
        parse("MEMORY_BUDGET_MB", "a memory budget", &mut |v| {
            if v.eq_ignore_ascii_case("none") {
                config.memory_budget = None;
                return Ok(());
            }
            v.parse::<u64>()
                .ok()
                .filter(|n| (1..=MAX_MEMORY_BUDGET_MB).contains(n))
                .map(|n| config.memory_budget = Some(n * MIB))
                .ok_or_else(|| format!("expected a number of MiB from 1 to {MAX_MEMORY_BUDGET_MB}, or none"))
        });
        parse("ON_FAILURE", "a failure action", &mut |v| v.parse().map(|a| config.on_failure = a));
        if let Some(list) = get("OUTPUT_FORMAT") {
            let mut formats = Vec::new();
            for item in list.split(',') {
                match word::<OutputFormat>(Some(item.trim().to_owned()), "OUTPUT_FORMAT", &mut problems) {
                    Some(format) if formats.contains(&format) => {
                        problems.push(format!("OUTPUT_FORMAT={list:?} lists {format} twice"));
                    }
                    Some(format) => formats.push(format),
                    None => {}
                }
            }
            if let Some((&main, extra)) = formats.split_first() {
                (config.format, config.extra_formats) = (main, extra.to_vec());
            }
        }
        if let Some(crop) = word(get("CROP"), "CROP", &mut problems) {
            config.crop = crop;
        }

        match (sizes, width, height) {
            (Some(list), w, h) => {
                let main = list[0];
                if w.is_some_and(|w| w != main) || h.is_some_and(|h| h != main) {
                    problems.push(format!(
                        "SIZES starts with {main}, which disagrees with PROCESS_WIDTH/PROCESS_HEIGHT: \
                         the first size is the main avatar; set both to {main} or leave them unset"
                    ));
                }
                (config.width, config.height, config.extra_sizes) = (main, main, list[1..].to_vec());
            }
            (None, w, h) => {
                config.width = w.unwrap_or(config.width);
                config.height = h.unwrap_or(config.height);
            }
        }

        if problems.is_empty()
            && let Err(e) = config.validate()
        {
            problems.extend(e.problems);
        }
        if problems.is_empty() { Ok(config) } else { Err(ConfigError { problems }) }
    }

    /// Checks a configuration built by hand: sizes, quality, folders that must not
    /// overlap.
    ///
    /// ```
    /// let mut c = thumbing_lambda::handler::Config::new("assets");
    /// c.failed_prefix = "avatars/".into();
    /// assert!(c.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut problems = Vec::new();
        if self.dest_bucket.is_empty() {
            problems.push("the destination bucket name is empty".to_owned());
        }
        if let Err(e) = self.options().validate() {
            problems.push(e.to_string());
        }
        for format in &self.extra_formats {
            if let Err(e) = format.check_available() {
                problems.push(e.to_string());
            }
        }
        let formats = self.formats();
        for (i, format) in formats.iter().enumerate() {
            if let Some(first) = formats[..i].iter().find(|f| f.extension() == format.extension()) {
                problems.push(format!(
                    "OUTPUT_FORMAT lists {first} and {format}, which would both be written as .{} files",
                    format.extension()
                ));
            }
        }
        for (name, prefix) in [
            ("FOLDER_INPUT", &self.input_prefix),
            ("FOLDER_OUTPUT", &self.output_prefix),
            ("FOLDER_FAILED", &self.failed_prefix),
        ] {
            if !(prefix.is_empty() || prefix.ends_with('/')) || prefix.starts_with('/') {
                problems.push(format!("{name} {prefix:?} must be empty or a folder like \"name/\""));
            }
        }
        if self.failed_prefix.is_empty() {
            problems.push("FOLDER_FAILED must not be empty".to_owned());
        }
        let overlap = |a: &str, b: &str| a.starts_with(b) || b.starts_with(a);
        if !self.output_prefix.is_empty() && overlap(&self.failed_prefix, &self.output_prefix) {
            problems.push(format!(
                "FOLDER_FAILED {:?} and FOLDER_OUTPUT {:?} overlap: rejected uploads would mix with avatars",
                self.failed_prefix, self.output_prefix
            ));
        }
        if !self.input_prefix.is_empty() && self.input_prefix.starts_with(&self.failed_prefix) {
            problems.push(format!(
                "FOLDER_INPUT {:?} lies inside FOLDER_FAILED {:?}: nothing would ever be processed",
                self.input_prefix, self.failed_prefix
            ));
        }
        if problems.is_empty() { Ok(()) } else { Err(ConfigError { problems }) }
    }

    /// The thumbing options for every output, main avatar first.
    ///
    /// ```
    /// let mut c = thumbing_lambda::handler::Config::new("assets");
    /// c.extra_sizes = vec![128];
    /// assert_eq!(c.options().output_sizes(), &[(512, 512), (128, 128)]);
    /// ```
    pub fn options(&self) -> thumbing::Options {
        let boxes = std::iter::once((self.width, self.height)).chain(self.extra_sizes.iter().map(|&s| (s, s)));
        let limits = Limits {
            max_pixels: self.max_pixels,
            max_input_bytes: usize::try_from(self.max_input_bytes).unwrap_or(usize::MAX),
        };
        let options = thumbing::Options::new()
            .boxes(boxes)
            .format(self.format)
            .quality(self.quality)
            .crop(self.crop)
            .limits(limits);
        match self.memory_budget {
            Some(bytes) => options.memory_budget(bytes),
            None => options,
        }
    }

    /// Every output format, the main one first.
    ///
    /// ```
    /// use thumbing::OutputFormat;
    /// let mut c = thumbing_lambda::handler::Config::new("assets");
    /// c.extra_formats = vec![OutputFormat::WebP];
    /// assert_eq!(c.formats(), [OutputFormat::Jpeg, OutputFormat::WebP]);
    /// ```
    pub fn formats(&self) -> Vec<OutputFormat> {
        std::iter::once(self.format).chain(self.extra_formats.iter().copied()).collect()
    }

    /// The files written for the upload `key`, main avatar first, or `None` when the key
    /// has no file name (a folder marker such as `uploads/`). The stem is the file name
    /// without its last extension, as in `path.parse(key).name` of Node.js. With several
    /// formats, each size comes in every format, in the order of [`Config::formats`]: the
    /// order of [`thumbing::Options::process_formats`].
    ///
    /// ```
    /// use thumbing::OutputFormat;
    /// let mut c = thumbing_lambda::handler::Config::new("assets");
    /// assert_eq!(c.outputs("u/1234.abcd.png").unwrap()[0].key, "avatars/1234.abcd.jpg");
    /// assert_eq!(c.outputs(".hidden").unwrap()[0].key, "avatars/.hidden.jpg");
    /// assert!(c.outputs("uploads/").is_none());
    ///
    /// c.extra_sizes = vec![128];
    /// c.extra_formats = vec![OutputFormat::Avif];
    /// let keys: Vec<String> = c.outputs("u/me.png").unwrap().into_iter().map(|o| o.key).collect();
    /// assert_eq!(keys, ["avatars/me.jpg", "avatars/me.avif", "avatars/me-128.jpg", "avatars/me-128.avif"]);
    /// ```
    pub fn outputs(&self, key: &str) -> Option<Vec<OutputSpec>> {
        let name = key.rsplit('/').next().unwrap_or(key);
        let stem = match name.rfind('.') {
            Some(dot) if dot > 0 => &name[..dot],
            _ => name,
        };
        if stem.is_empty() {
            return None;
        }
        let prefix = &self.output_prefix;
        let formats = self.formats();
        let boxes = std::iter::once((self.width, self.height, String::new()))
            .chain(self.extra_sizes.iter().map(|&s| (s, s, format!("-{s}"))));
        let outputs = boxes.flat_map(|(width, height, suffix)| {
            formats.iter().map(move |&format| OutputSpec {
                key: format!("{prefix}{stem}{suffix}.{}", format.extension()),
                format,
                width,
                height,
            })
        });
        Some(outputs.collect())
    }

    /// A short description of everything that changes the output bytes. It is stored
    /// with each avatar, so a retried event can tell that its work is already done.
    ///
    /// ```
    /// let c = thumbing_lambda::handler::Config::new("assets");
    /// assert_eq!(c.fingerprint(), "512x512 jpeg q80 Centre");
    /// ```
    pub fn fingerprint(&self) -> String {
        let mut s = format!("{}x{}", self.width, self.height);
        for size in &self.extra_sizes {
            s.push_str(&format!("+{size}"));
        }
        let formats: Vec<&str> = self.formats().iter().map(|f| f.name()).collect();
        format!("{s} {} q{} {:?}", formats.join(","), self.quality, self.crop)
    }
}

/// `"uploads"`, `"/uploads/"` → `"uploads/"`; blank → `""`.
fn folder(value: &str) -> String {
    let trimmed = value.trim().trim_matches('/');
    if trimmed.is_empty() { String::new() } else { format!("{trimmed}/") }
}

/// The value of the variable `name` parsed by thumbing's vocabulary (the words every
/// interface of thumbing accepts); a problem naming the variable when it is not one.
fn word<T: OptionWord>(value: Option<String>, name: &str, problems: &mut Vec<String>) -> Option<T> {
    match T::parse_named(&value?, name) {
        Ok(parsed) => Some(parsed),
        Err(thumbing::Error::InvalidOptions(message)) => {
            problems.push(message);
            None
        }
        Err(other) => {
            problems.push(other.to_string());
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_lookup(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned()))
    }

    #[test]
    fn original_environment_is_accepted() {
        let c = from(&[
            ("DEST_BUCKET_NAME", "assets.example.com"),
            ("FOLDER_INPUT", ""),
            ("FOLDER_OUTPUT", "avatars"),
            ("PROCESS_WIDTH", "512"),
            ("PROCESS_HEIGHT", "512"),
        ])
        .unwrap();
        assert_eq!(c, Config::new("assets.example.com"));
    }

    #[test]
    fn all_optional_variables_are_read() {
        let c = from(&[
            ("DEST_BUCKET_NAME", "assets"),
            ("FOLDER_INPUT", "/in/"),
            ("FOLDER_OUTPUT", "out/avatars"),
            ("FOLDER_FAILED", "rejected"),
            ("SIZES", "256, 64,32"),
            ("OUTPUT_FORMAT", "webp"),
            ("QUALITY", "90"),
            ("CROP", "smart"),
            ("CACHE_CONTROL", "public, max-age=60"),
            ("MAX_PIXELS", "1000"),
            ("MAX_INPUT_BYTES", "2000"),
            ("ON_FAILURE", "move"),
        ])
        .unwrap();
        assert_eq!((c.input_prefix.as_str(), c.output_prefix.as_str()), ("in/", "out/avatars/"));
        assert_eq!(c.failed_prefix, "rejected/");
        assert_eq!((c.width, c.height, c.extra_sizes.clone()), (256, 256, vec![64, 32]));
        assert_eq!((c.format, c.quality, c.crop), (OutputFormat::WebP, 90, Crop::Smart));
        assert_eq!(c.cache_control, "public, max-age=60");
        assert_eq!((c.max_pixels, c.max_input_bytes), (1000, 2000));
        assert_eq!(c.on_failure, FailureAction::Move);
        let keys: Vec<_> = c.outputs("in/x.png").unwrap().into_iter().map(|o| o.key).collect();
        assert_eq!(keys, ["out/avatars/x.webp", "out/avatars/x-64.webp", "out/avatars/x-32.webp"]);
    }

    #[test]
    fn the_memory_budget_defaults_to_a_share_of_the_lambda_functions_memory() {
        // Outside Lambda: no budget unless one is set.
        assert_eq!(from(&[("DEST_BUCKET_NAME", "a")]).unwrap().memory_budget, None);
        assert_eq!(from(&[("DEST_BUCKET_NAME", "a")]).unwrap().options().memory_budget_bytes(), None);
        let c = from(&[("DEST_BUCKET_NAME", "a"), ("MEMORY_BUDGET_MB", "64")]).unwrap();
        assert_eq!(c.options().memory_budget_bytes(), Some(64 << 20));
        // On Lambda: three quarters of the function's memory, unless set or turned off.
        let lambda = ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024");
        assert_eq!(from(&[("DEST_BUCKET_NAME", "a"), lambda]).unwrap().memory_budget, Some(768 << 20));
        let set = from(&[("DEST_BUCKET_NAME", "a"), lambda, ("MEMORY_BUDGET_MB", "100")]).unwrap();
        assert_eq!(set.memory_budget, Some(100 << 20));
        let off = from(&[("DEST_BUCKET_NAME", "a"), lambda, ("MEMORY_BUDGET_MB", "None")]).unwrap();
        assert_eq!(off.memory_budget, None);
        for bad in ["0", "-5", "1.5", "lots", "2000000"] {
            let err = from(&[("DEST_BUCKET_NAME", "a"), ("MEMORY_BUDGET_MB", bad)]).unwrap_err();
            assert!(err.to_string().contains("MEMORY_BUDGET_MB"), "{bad}: {err}");
        }
        // A job's overrides cannot change it.
        let base = from(&[("DEST_BUCKET_NAME", "a"), lambda]).unwrap();
        let job = |name: &str, value: &str| base.with_overrides(&[(name.to_owned(), value.to_owned())].into());
        assert!(job("MEMORY_BUDGET_MB", "none").is_err());
        let job = job("SIZES", "256").unwrap();
        assert_eq!(job.memory_budget, Some(768 << 20));
    }

    #[test]
    fn output_format_lists_several_formats() {
        let c = from(&[("DEST_BUCKET_NAME", "a"), ("OUTPUT_FORMAT", "avif, jpeg,webp")]).unwrap();
        assert_eq!(c.formats(), [OutputFormat::Avif, OutputFormat::Jpeg, OutputFormat::WebP]);
        assert_eq!(c.fingerprint(), "512x512 avif,jpeg,webp q80 Centre");
        let specs = c.outputs("up/me.png").unwrap();
        let got: Vec<_> = specs.iter().map(|o| (o.key.as_str(), o.format.mime_type())).collect();
        assert_eq!(
            got,
            [("avatars/me.avif", "image/avif"), ("avatars/me.jpg", "image/jpeg"), ("avatars/me.webp", "image/webp")]
        );

        let err = from(&[("DEST_BUCKET_NAME", "a"), ("OUTPUT_FORMAT", "jpeg,gif,jpg")]).unwrap_err();
        assert_eq!(err.problems().len(), 2, "{err}");
        assert!(err.problems()[0].contains(r#"OUTPUT_FORMAT "gif" is not one of"#), "{err}");
        assert!(err.problems()[1].contains("lists jpeg twice"), "{err}");
        let err = from(&[("DEST_BUCKET_NAME", "a"), ("OUTPUT_FORMAT", "webp,webp-lossless")]).unwrap_err();
        assert!(err.to_string().contains("both be written as .webp files"), "{err}");
    }

    #[test]
    fn non_square_main_avatar() {
        let c = from(&[("DEST_BUCKET_NAME", "a"), ("PROCESS_WIDTH", "640"), ("PROCESS_HEIGHT", "360")]).unwrap();
        assert_eq!(c.options().output_sizes(), &[(640, 360)]);
    }

    #[test]
    fn every_problem_is_reported_with_its_variable() {
        let err = from(&[
            ("PROCESS_WIDTH", "wide"),
            ("QUALITY", "101"),
            ("OUTPUT_FORMAT", "gif"),
            ("ON_FAILURE", "explode"),
            ("SIZES", "64,64"),
            ("MAX_PIXELS", "0"),
            ("CROP", "2,2"),
            ("CACHE_CONTROL", "max-age=1\n"),
        ])
        .unwrap_err();
        let text = err.to_string();
        for name in [
            "DEST_BUCKET_NAME",
            "PROCESS_WIDTH",
            "QUALITY",
            "OUTPUT_FORMAT",
            "ON_FAILURE",
            "SIZES",
            "MAX_PIXELS",
            "CROP",
        ] {
            assert!(text.contains(name), "{name} missing from: {text}");
        }
        // CACHE_CONTROL is trimmed first, so a trailing newline alone is accepted.
        assert_eq!(err.problems().len(), 8, "{text}");
    }

    #[test]
    fn sizes_must_agree_with_process_width() {
        let err = from(&[("DEST_BUCKET_NAME", "a"), ("SIZES", "256,128"), ("PROCESS_WIDTH", "512")]).unwrap_err();
        assert!(err.to_string().contains("SIZES starts with 256"), "{err}");
        assert!(from(&[("DEST_BUCKET_NAME", "a"), ("SIZES", "512,128"), ("PROCESS_WIDTH", "512")]).is_ok());
    }

    #[test]
    fn overlapping_folders_are_refused() {
        let err = from(&[("DEST_BUCKET_NAME", "a"), ("FOLDER_FAILED", "avatars/bad")]).unwrap_err();
        assert!(err.to_string().contains("overlap"), "{err}");
        let err = from(&[("DEST_BUCKET_NAME", "a"), ("FOLDER_INPUT", "failed/x")]).unwrap_err();
        assert!(err.to_string().contains("inside FOLDER_FAILED"), "{err}");
    }

    #[test]
    fn an_empty_output_folder_writes_to_the_bucket_root() {
        let c = from(&[("DEST_BUCKET_NAME", "a"), ("FOLDER_OUTPUT", "")]).unwrap();
        assert_eq!(c.outputs("uploads/me.png").unwrap()[0].key, "me.jpg");
    }

    #[test]
    fn control_characters_in_cache_control_are_refused() {
        let err = from(&[("DEST_BUCKET_NAME", "a"), ("CACHE_CONTROL", "public,\u{7f}max-age=1")]).unwrap_err();
        assert!(err.to_string().contains("CACHE_CONTROL"), "{err}");
    }

    #[test]
    fn stems_follow_node_path_parse() {
        let c = Config::new("a");
        let main = |k: &str| c.outputs(k).map(|o| o[0].key.clone());
        assert_eq!(main("photo.jpeg").as_deref(), Some("avatars/photo.jpg"));
        assert_eq!(main("dir/sub/name").as_deref(), Some("avatars/name.jpg"));
        assert_eq!(main("a.b.c").as_deref(), Some("avatars/a.b.jpg"));
        assert_eq!(main("dir/"), None);
    }

    #[test]
    fn word_variables_accept_exactly_the_core_words() {
        let vocabulary = thumbing::option_words();
        let mut candidates: Vec<String> =
            vocabulary.iter().flat_map(|(_, words)| words.iter().map(|w| w.to_string())).collect();
        candidates.extend(candidates.clone().iter().map(|w| w.to_uppercase()));
        candidates.extend(["none", "error", "default", "fill", "gif"].map(str::to_owned));
        for (variable, option) in [("OUTPUT_FORMAT", "format"), ("CROP", "crop")] {
            let words = &vocabulary.iter().find(|(o, _)| *o == option).unwrap().1;
            for candidate in &candidates {
                let expected = words.iter().any(|w| w.eq_ignore_ascii_case(candidate));
                let result = from(&[("DEST_BUCKET_NAME", "a"), (variable, candidate)]);
                assert_eq!(result.is_ok(), expected, "{variable}={candidate}");
                if let Err(e) = result {
                    assert!(e.to_string().contains(&format!("{variable} {candidate:?} is not one of")), "{e}");
                }
            }
        }
        assert_eq!(
            from(&[("DEST_BUCKET_NAME", "a"), ("CROP", "0.2,0.8")]).unwrap().crop,
            Crop::Focal { x: 0.2, y: 0.8 }
        );
    }

    fn job(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn a_job_changes_only_what_it_names() {
        let base = from(&[
            ("DEST_BUCKET_NAME", "assets"),
            ("FOLDER_INPUT", "in"),
            ("SIZES", "512,128"),
            ("QUALITY", "70"),
            ("MAX_PIXELS", "1000"),
            ("ON_FAILURE", "move"),
        ])
        .unwrap();
        let c =
            base.with_overrides(&job(&[("OUTPUT_FORMAT", "webp"), ("CROP", "0.5,0.25"), ("QUALITY", " ")])).unwrap();
        assert_eq!((c.format, c.crop), (OutputFormat::WebP, Crop::Focal { x: 0.5, y: 0.25 }));
        assert_eq!((c.width, c.extra_sizes.clone(), c.quality), (512, vec![128], 70), "blank keeps the setting");
        assert_eq!((c.input_prefix.as_str(), c.max_pixels, c.on_failure), ("in/", 1000, FailureAction::Move));
        assert_ne!(c.fingerprint(), base.fingerprint());

        let c = base.with_overrides(&job(&[("SIZES", "256"), ("CACHE_CONTROL", "public, max-age=60")])).unwrap();
        assert_eq!((c.width, c.height, c.extra_sizes.clone()), (256, 256, vec![]));
        assert_eq!(c.cache_control, "public, max-age=60");
        assert_eq!(base.with_overrides(&BTreeMap::new()).unwrap(), base);
    }

    #[test]
    fn a_job_is_checked_like_the_environment() {
        let base = Config::new("assets");
        let err = base
            .with_overrides(&job(&[
                ("SIZES", "64,64"),
                ("OUTPUT_FORMAT", "gif"),
                ("FOLDER_OUTPUT", "elsewhere"),
                ("MAX_PIXELS", "1"),
                ("sizes", "128"),
            ]))
            .unwrap_err();
        let text = err.to_string();
        for name in
            ["SIZES", "OUTPUT_FORMAT is not one of", "FOLDER_OUTPUT cannot", "MAX_PIXELS cannot", "sizes cannot"]
        {
            let name = name.replace("OUTPUT_FORMAT is", "OUTPUT_FORMAT \"gif\" is");
            assert!(text.contains(&name), "{name:?} missing from: {text}");
        }
        assert_eq!(err.problems().len(), 5, "{text}");
        // The same words as the environment, from core's vocabulary.
        let from_env = from(&[("DEST_BUCKET_NAME", "a"), ("OUTPUT_FORMAT", "gif")]).unwrap_err();
        assert!(err.problems().contains(&from_env.problems()[0]), "{text}");
    }
}
