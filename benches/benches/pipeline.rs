//! The whole pipeline, bytes in to encoded avatar out, through the public API: one 512×512
//! JPEG, one 128×128 JPEG, and both sizes from a single decode; PNG with alpha to a 512×512
//! PNG. Inputs: the corpus photos (2–9 MP), generated JPEGs of 0.5, 2, 12 and 24 MP, and a
//! 3 MP PNG with alpha.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use thumbing::{Options, OutputFormat};
use thumbing_benches::inputs::{self, Input};

fn pixels(input: &Input) -> u64 {
    let info = thumbing::probe(&input.bytes).expect("probe");
    u64::from(info.width) * u64::from(info.height)
}

fn pipeline(c: &mut Criterion) {
    let set = inputs::set("pipeline benches on the corpus photos");
    let jpegs: Vec<&Input> = set.photos.iter().chain(&set.jpeg).collect();
    let cases: [(&str, Options); 3] = [
        ("jpeg-512", Options::new().size(512)),
        ("jpeg-128", Options::new().size(128)),
        ("jpeg-512+128", Options::new().sizes([512, 128])),
    ];
    for (name, options) in &cases {
        let mut g = c.benchmark_group(format!("pipeline/{name}"));
        g.sampling_mode(SamplingMode::Flat);
        for input in &jpegs {
            // Throughput in input pixels: criterion then also reports megapixels per second.
            g.throughput(Throughput::Elements(pixels(input)));
            g.bench_function(&input.name, |b| b.iter(|| options.process(black_box(&input.bytes)).expect("avatar")));
        }
        g.finish();
    }
    let alpha: Vec<&Input> =
        set.alpha_png.iter().chain(set.other.iter().filter(|i| i.name.starts_with("png-alpha"))).collect();
    let mut g = c.benchmark_group("pipeline/png-alpha-512");
    g.sampling_mode(SamplingMode::Flat);
    let options = Options::new().size(512).format(OutputFormat::Png);
    for input in alpha {
        g.throughput(Throughput::Elements(pixels(input)));
        g.bench_function(&input.name, |b| b.iter(|| options.process(black_box(&input.bytes)).expect("avatar")));
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = pipeline
}
criterion_main!(benches);
