//! The `thumbing` binary as a user runs it: which files it writes, which it refuses to touch,
//! what it prints and how it exits.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The repository's fixtures/.
fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures").join(name)
}

/// A directory of its own for one test, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "thumbing-cli-test-{}-{}-{name}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.0.join(rel)
    }

    /// Copies a fixture to `rel` (creating its directory) and returns the path.
    fn copy(&self, fixture_name: &str, rel: &str) -> PathBuf {
        let to = self.path(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(fixture(fixture_name), &to).unwrap();
        to
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `thumbing` with `args` in `dir`.
fn thumbing(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_thumbing")).current_dir(dir).args(args).output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    stdout(out).lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect()
}

fn is_jpeg(path: &Path) -> bool {
    std::fs::read(path).is_ok_and(|b| b.starts_with(&[0xFF, 0xD8, 0xFF]))
}

#[test]
fn never_writes_over_its_inputs() {
    let tmp = TempDir::new("over-inputs");
    let photo = tmp.copy("landscape_3.jpg", "photos/x.jpg");
    let original = std::fs::read(&photo).unwrap();
    for extra in [&[][..], &["--overwrite"][..]] {
        let mut args = vec!["avatar", "photos/", "-o", "photos/", "--size", "64"];
        args.extend_from_slice(extra);
        let out = thumbing(&tmp.0, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("photos/x.jpg would be written over itself"), "{}", stderr(&out));
        assert_eq!(std::fs::read(&photo).unwrap(), original, "{args:?} changed the original photo");
    }
    // Another input's avatar over an input: x.png -> x.jpg.
    tmp.copy("with-alpha.png", "photos/x.png");
    let out = thumbing(&tmp.0, &["avatar", "photos/x.png", "photos/x.jpg", "-o", "photos", "--overwrite"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("the avatar of photos/x.png would be written over the input photos/x.jpg"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(&photo).unwrap(), original);
}

#[test]
fn refuses_inputs_whose_outputs_have_the_same_name() {
    let tmp = TempDir::new("collision");
    tmp.copy("landscape_3.jpg", "a/x.jpg");
    tmp.copy("landscape_5.jpg", "b/x.jpg");
    let out = thumbing(&tmp.0, &["avatar", "a/x.jpg", "b/x.jpg", "-o", "out", "--size", "64"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("a/x.jpg, b/x.jpg would all be written to out/x.jpg"), "{err}");
    assert!(err.contains("nothing was written"), "{err}");
    assert!(!tmp.path("out").exists(), "nothing may be written when the batch is refused");

    // The same name in two formats in one directory collides too; several sizes as well.
    tmp.copy("with-alpha.png", "a/x.png");
    let out = thumbing(&tmp.0, &["avatar", "a", "-o", "out", "--sizes", "64,32"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("would all be written to out/x-64.jpg"), "{}", stderr(&out));
    assert!(stderr(&out).contains("would all be written to out/x-32.jpg"), "{}", stderr(&out));

    // The documented way out: the directory that holds both, mirrored below the output.
    std::fs::remove_file(tmp.path("a/x.png")).unwrap();
    let out = thumbing(&tmp.0, &["avatar", ".", "-o", "../out-mirrored", "--size", "64"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mirrored = tmp.0.parent().unwrap().join("out-mirrored");
    let ok = is_jpeg(&mirrored.join("a/x.jpg")) && is_jpeg(&mirrored.join("b/x.jpg"));
    let _ = std::fs::remove_dir_all(&mirrored);
    assert!(ok, "a/x.jpg and b/x.jpg are mirrored below the output directory");
}

#[test]
fn the_same_file_named_twice_is_made_once() {
    let tmp = TempDir::new("twice");
    tmp.copy("landscape_3.jpg", "x.jpg");
    let out = thumbing(&tmp.0, &["avatar", "x.jpg", "./x.jpg", "-o", "out", "--size", "32", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.last().unwrap()["summary"]["ok"], 1, "{lines:?}");
}

#[test]
fn existing_outputs_are_skipped_and_reported_unless_overwrite() {
    let tmp = TempDir::new("existing");
    tmp.copy("landscape_3.jpg", "in/x.jpg");
    tmp.copy("landscape_5.jpg", "in/y.jpg");
    std::fs::create_dir_all(tmp.path("out")).unwrap();
    std::fs::write(tmp.path("out/x.jpg"), b"keep me").unwrap();

    let out = thumbing(&tmp.0, &["avatar", "in", "-o", "out", "--size", "32"]);
    assert!(out.status.success(), "a skipped file is not a failure: {}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("skipped in/x.jpg: out/x.jpg exists (--overwrite replaces it)"), "{err}");
    assert!(err.contains("1 ok, 1 skipped, 0 failed"), "{err}");
    assert_eq!(std::fs::read(tmp.path("out/x.jpg")).unwrap(), b"keep me");
    assert!(is_jpeg(&tmp.path("out/y.jpg")));

    let out = thumbing(&tmp.0, &["avatar", "in", "-o", "out", "--size", "32", "--json"]);
    let lines = json_lines(&out);
    let skipped: Vec<_> = lines.iter().filter(|l| l["skipped"] == true).collect();
    assert_eq!(skipped.len(), 2, "{lines:?}");
    assert_eq!(skipped[0]["ok"], false);
    assert_eq!(skipped[0]["existing"][0], "out/x.jpg");
    assert_eq!(lines.last().unwrap()["summary"]["skipped"], 2);

    let out = thumbing(&tmp.0, &["avatar", "in", "-o", "out", "--size", "32", "--overwrite"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("2 ok, 0 skipped, 0 failed"), "{}", stderr(&out));
    assert!(is_jpeg(&tmp.path("out/x.jpg")), "--overwrite replaces the existing output");
}

#[test]
fn a_missing_input_fails_alone_and_the_batch_goes_on() {
    let tmp = TempDir::new("missing");
    tmp.copy("landscape_3.jpg", "good.jpg");
    let out = thumbing(&tmp.0, &["avatar", "nope.jpg", "good.jpg", "-o", "out", "--size", "32"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("failed  nope.jpg: no such file or directory (io)"), "{err}");
    assert!(err.contains("1 ok, 0 skipped, 1 failed"), "{err}");
    assert!(is_jpeg(&tmp.path("out/good.jpg")));

    let out = thumbing(&tmp.0, &["avatar", "nope.jpg", "good.jpg", "-o", "out2", "--size", "32", "--json"]);
    let lines = json_lines(&out);
    let failed = lines.iter().find(|l| l["input"] == "nope.jpg").expect("a line for the missing file");
    assert_eq!(failed["ok"], false);
    assert_eq!(failed["error"]["code"], "io");
    assert_eq!(lines.last().unwrap()["summary"]["ok"], 1);
    assert_eq!(lines.last().unwrap()["summary"]["failed"], 1);
}

#[test]
fn an_empty_directory_is_a_warning_and_no_image_at_all_an_error() {
    let tmp = TempDir::new("empty");
    std::fs::create_dir_all(tmp.path("empty")).unwrap();
    std::fs::write(tmp.path("empty/notes.txt"), b"not an image").unwrap();
    let out = thumbing(&tmp.0, &["avatar", "empty", "-o", "out"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("warning: no image files in empty"), "{err}");
    assert!(err.contains("no image files found"), "{err}");

    // Beside other inputs, only the warning.
    tmp.copy("landscape_3.jpg", "good.jpg");
    let out = thumbing(&tmp.0, &["avatar", "empty", "good.jpg", "-o", "out", "--size", "32"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("warning: no image files in empty"));
}

#[test]
fn damage_recovered_from_is_a_warning_line_and_a_json_field() {
    let tmp = TempDir::new("damaged");
    let mut jpeg = std::fs::read(fixture("landscape_3.jpg")).unwrap();
    let at = jpeg.windows(2).position(|w| w == [0xFF, 0xDB]).unwrap();
    jpeg.splice(at..at, *b"junk");
    std::fs::write(tmp.path("junk.jpg"), &jpeg).unwrap();
    let out = thumbing(&tmp.0, &["avatar", "junk.jpg", "-o", "out", "--size", "32"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "warning: junk.jpg: jpeg: 4 extraneous bytes before marker 0xDB skipped (at byte {at}) (extraneous_bytes)"
        )),
        "{err}"
    );
    let out = thumbing(&tmp.0, &["avatar", "junk.jpg", "-o", "json", "--size", "32", "--json"]);
    let line: serde_json::Value = serde_json::from_str(stdout(&out).lines().next().unwrap()).unwrap();
    assert_eq!(line["ok"], true);
    assert_eq!(line["warnings"][0]["code"], "extraneous_bytes");
    assert_eq!(line["warnings"][0]["offset"], at);
    // Strict: the same file fails.
    let out = thumbing(&tmp.0, &["avatar", "junk.jpg", "-o", "strict", "--size", "32", "--fail-on", "warning"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("extraneous bytes"), "{}", stderr(&out));
}

#[test]
fn directories_are_mirrored_below_the_output_directory() {
    let tmp = TempDir::new("mirror");
    tmp.copy("landscape_3.jpg", "photos/2024/a.jpg");
    tmp.copy("with-alpha.png", "photos/b.png");
    tmp.copy("landscape_5.jpg", "loose.jpg");
    let out = thumbing(&tmp.0, &["avatar", "photos", "loose.jpg", "-o", "out", "--sizes", "64,32"]);
    assert!(out.status.success(), "{}", stderr(&out));
    for made in ["out/2024/a-64.jpg", "out/2024/a-32.jpg", "out/b-64.jpg", "out/b-32.jpg", "out/loose-64.jpg"] {
        assert!(is_jpeg(&tmp.path(made)), "{made} was not made");
    }
}

/// Starts `thumbing args` with its stdout on a pipe, reads one line, closes the pipe, and
/// returns how it ended.
fn run_into_closed_pipe(dir: &Path, args: &[String]) -> (Option<i32>, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_thumbing"))
        .current_dir(dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    {
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        reader.read_line(&mut first).unwrap();
        // Dropped here: `| head -1`.
    }
    let out = child.wait_with_output().unwrap();
    (out.status.code(), first, stderr(&out))
}

#[test]
fn a_closed_pipe_ends_probe_quietly() {
    let tmp = TempDir::new("pipe-probe");
    tmp.copy("landscape_6.jpg", "x.jpg");
    // Far more output than a pipe buffers (64 KiB), so writes after the close must fail.
    let mut args = vec!["probe".to_string()];
    args.extend(std::iter::repeat_n("x.jpg".to_string(), 5000));
    let (code, first, err) = run_into_closed_pipe(&tmp.0, &args);
    assert!(first.starts_with("x.jpg: jpeg"), "{first}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(err, "", "nothing is printed about the closed pipe");
    assert_eq!(code, Some(141), "128 + SIGPIPE, as for a Unix tool that SIGPIPE ended");

    args.insert(1, "--json".into());
    let (code, first, err) = run_into_closed_pipe(&tmp.0, &args);
    assert!(first.starts_with("{\"file\":\"x.jpg\""), "{first}");
    assert_eq!((code, err.as_str()), (Some(141), ""));
}

#[test]
fn a_closed_pipe_ends_avatar_json_quietly() {
    let tmp = TempDir::new("pipe-avatar");
    // Long names make long JSON lines: 300 of them are well over a pipe's 64 KiB.
    let long = "a-long-file-name-".repeat(12);
    let mut args = vec!["avatar".to_string(), "--json".into(), "--size".into(), "16".into(), "-o".into(), "out".into()];
    for i in 0..300 {
        let name = format!("in/{long}{i}.png");
        tmp.copy("gray.png", &name);
        args.push(name);
    }
    let (code, first, err) = run_into_closed_pipe(&tmp.0, &args);
    assert!(first.contains("\"ok\":true"), "{first}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(err, "");
    assert_eq!(code, Some(141));
}

#[test]
fn probe_prints_the_stored_and_the_upright_size() {
    // landscape_6.jpg is stored 200×300 with EXIF orientation 6: upright it is 300×200.
    let out = thumbing(Path::new(env!("CARGO_MANIFEST_DIR")), &["probe", "../fixtures/landscape_6.jpg"]);
    assert!(out.status.success());
    assert!(
        stdout(&out).starts_with("../fixtures/landscape_6.jpg: jpeg 300x200 upright (stored 200x300, orientation 6)"),
        "{}",
        stdout(&out)
    );
    let out = thumbing(Path::new(env!("CARGO_MANIFEST_DIR")), &["probe", "--json", "../fixtures/landscape_6.jpg"]);
    let info = &json_lines(&out)[0];
    assert_eq!((info["width"].as_u64(), info["height"].as_u64()), (Some(200), Some(300)));
    assert_eq!((info["upright_width"].as_u64(), info["upright_height"].as_u64()), (Some(300), Some(200)));
    assert_eq!(info["orientation"], 6);
}
