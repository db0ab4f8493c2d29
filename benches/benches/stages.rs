//! Per-stage benchmarks through thumbing's public API.
//!
//! The stages are not separately callable, so each group isolates one by difference:
//!
//! * `probe/*`: header parsing only ([`thumbing::probe`]).
//! * `decode/<format>/*`: full decode at the native size: `render` with [`Fit::Inside`] and a
//!   box equal to the upright size, which decodes, colour-manages and orients but copies
//!   instead of resampling.
//! * `orient/<n>`: the same on the eight EXIF orientations of one 2.2 MP photo; the extra time
//!   over `orient/1` is the cost of rotating/flipping a full-size image.
//! * `render/<size>/*`: decode + crop + resize (+ colour and orientation on the small image),
//!   everything but encoding; minus `decode/*` of the same file, it is the crop+resize cost.
//! * `encode/<format>/512`: `process` on a 512×512 input; minus `encode/render-only/512` it is
//!   the encoder.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use thumbing::{Fit, Options, OutputFormat};
use thumbing_benches::inputs::{self, Input};
use thumbing_benches::{reference, synth};

const WHO: &str = "stage benches on the corpus photos";

/// Options that decode at the native size without resampling. PNG output keeps alpha.
fn native(bytes: &[u8]) -> Options {
    let (w, h) = thumbing::probe(bytes).expect("probe").upright_size();
    Options::new().fit(Fit::Inside).boxes([(w, h)]).format(OutputFormat::Png)
}

fn format_of(input: &Input) -> &'static str {
    thumbing::probe(&input.bytes).expect("probe").format.name()
}

fn probe(c: &mut Criterion) {
    let set = inputs::set(WHO);
    let all = set.photos.iter().chain(&set.alpha_png).chain(&set.webp).chain(&set.other);
    let mut g = c.benchmark_group("probe");
    for input in all {
        g.bench_function(&input.name, |b| b.iter(|| thumbing::probe(black_box(&input.bytes)).expect("probe")));
    }
    g.finish();
}

fn decode(c: &mut Criterion) {
    let set = inputs::set(WHO);
    let all: Vec<&Input> =
        set.photos.iter().chain(&set.jpeg).chain(&set.alpha_png).chain(&set.webp).chain(&set.other).collect();
    for format in ["jpeg", "png", "webp", "gif"] {
        let mut g = c.benchmark_group(format!("decode/{format}"));
        g.sampling_mode(SamplingMode::Flat);
        for input in all.iter().filter(|i| format_of(i) == format) {
            let options = native(&input.bytes);
            g.bench_function(&input.name, |b| b.iter(|| options.render(black_box(&input.bytes)).expect("decode")));
        }
        g.finish();
    }
}

fn orient(c: &mut Criterion) {
    let set = inputs::set(WHO);
    if set.orientations.is_empty() {
        return;
    }
    let mut g = c.benchmark_group("orient");
    g.sampling_mode(SamplingMode::Flat);
    for input in &set.orientations {
        let options = native(&input.bytes);
        g.bench_function(&input.name, |b| b.iter(|| options.render(black_box(&input.bytes)).expect("render")));
    }
    g.finish();
}

fn render(c: &mut Criterion) {
    let set = inputs::set(WHO);
    let all: Vec<&Input> = set.photos.iter().chain(&set.jpeg).chain(&set.alpha_png).collect();
    for size in [512, 128] {
        let mut g = c.benchmark_group(format!("render/{size}"));
        g.sampling_mode(SamplingMode::Flat);
        let options = Options::new().size(size).format(OutputFormat::Png);
        for input in &all {
            g.bench_function(&input.name, |b| b.iter(|| options.render(black_box(&input.bytes)).expect("render")));
        }
        g.finish();
    }
}

fn encode(c: &mut Criterion) {
    let source = inputs::generator_source(thumbing_benches::corpus::corpus_dir().as_deref()).expect("source photo");
    // A 512×512 RGB image stored uncompressed, so that decoding it costs little next to encoding.
    let pixels = synth::photo(&source, 512, 512, 3).expect("512x512 image");
    let input = synth::png(&pixels, png::Compression::NoCompression);
    assert_eq!(reference::decode_upright(&input).expect("decode").data, pixels.data, "the input must round-trip");
    let mut g = c.benchmark_group("encode");
    let base = native(&input);
    g.bench_function("render-only/512", |b| b.iter(|| base.render(black_box(&input)).expect("render")));
    for format in OutputFormat::available() {
        let options = base.clone().format(format);
        g.bench_function(format!("{}/512", format.name()), |b| {
            b.iter(|| options.process(black_box(&input)).expect("encode"))
        });
    }
    g.finish();
}

criterion_group! {
    name = stages;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = probe, decode, orient, render, encode
}
criterion_main!(stages);
