//! Geometry against a floating-point reference: the cover crop must be centred to the
//! sub-pixel, with no half-pixel shift.

use thumbing::{Options, OutputFormat};

fn pattern(x: f64, y: f64) -> f64 {
    128.0 + 60.0 * (x / 23.7).sin() * (y / 17.3).cos() + 40.0 * ((x + 2.0 * y) / 41.0).sin()
}

fn gray_png(w: u32, h: u32, f: impl Fn(f64, f64) -> f64) -> Vec<u8> {
    let data: Vec<u8> = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .map(|(x, y)| f(f64::from(x), f64::from(y)).round() as u8)
        .collect();
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, w, h);
        encoder.set_color(png::ColorType::Grayscale);
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(&data).unwrap();
    }
    out
}

fn lanczos3(x: f64) -> f64 {
    if x == 0.0 {
        1.0
    } else if x.abs() < 3.0 {
        let px = std::f64::consts::PI * x;
        3.0 * px.sin() * (px / 3.0).sin() / (px * px)
    } else {
        0.0
    }
}

/// 1-D Lanczos3 resampling weights for output pixel `i` of a window starting at `left`
/// scaled by `scale` (source pixels per output pixel), shifted by `shift` output pixels.
fn weights(i: usize, left: f64, scale: f64, shift: f64, len: usize) -> Vec<(usize, f64)> {
    let centre = left + (i as f64 + 0.5 + shift) * scale;
    let support = 3.0 * scale.max(1.0);
    let (lo, hi) = ((centre - support).floor().max(0.0) as usize, ((centre + support).ceil() as usize).min(len));
    let mut w: Vec<(usize, f64)> = (lo..hi)
        .map(|s| (s, lanczos3((s as f64 + 0.5 - centre) / scale.max(1.0))))
        .filter(|(_, w)| *w != 0.0)
        .collect();
    let total: f64 = w.iter().map(|(_, v)| v).sum();
    w.iter_mut().for_each(|(_, v)| *v /= total);
    w
}

/// The float reference of a cover crop of the whole image `src` (w×h) to `out`×`out`.
fn reference(src: &[f64], w: usize, h: usize, out: usize, shift: f64) -> Vec<f64> {
    let side = w.min(h) as f64;
    let (left, top) = ((w as f64 - side) / 2.0, (h as f64 - side) / 2.0);
    let scale = side / out as f64;
    let mut rows = vec![0.0; w * out];
    for j in 0..out {
        for (s, wt) in weights(j, top, scale, shift, h) {
            for x in 0..w {
                rows[j * w + x] += wt * src[s * w + x];
            }
        }
    }
    let mut result = vec![0.0; out * out];
    for i in 0..out {
        let ws = weights(i, left, scale, shift, w);
        for j in 0..out {
            result[j * out + i] = ws.iter().map(|&(s, wt)| wt * rows[j * w + s]).sum();
        }
    }
    result
}

#[test]
fn cover_crop_is_centred_to_the_subpixel() {
    let (w, h, out) = (950usize, 634usize, 512usize);
    let png = gray_png(w as u32, h as u32, pattern);
    let ours = Options::new().size(out as u32).format(OutputFormat::Png).render(&png).unwrap().remove(0);
    let src: Vec<f64> = (0..h).flat_map(|y| (0..w).map(move |x| pattern(x as f64, y as f64).round())).collect();
    let mae = |shift: f64| {
        let r = reference(&src, w, h, out, shift);
        // Ignore a border where edge handling legitimately differs.
        let mut sum = 0.0;
        let mut n = 0;
        for y in 8..out - 8 {
            for x in 8..out - 8 {
                sum += (f64::from(ours.data[y * out + x]) - r[y * out + x].clamp(0.0, 255.0)).abs();
                n += 1;
            }
        }
        sum / f64::from(n)
    };
    let (centred, left, right) = (mae(0.0), mae(-0.5), mae(0.5));
    eprintln!("mean abs error vs float reference: shift 0 = {centred:.3}, -0.5 = {left:.3}, +0.5 = {right:.3}");
    assert!(centred < 0.75, "differs from the float reference by {centred:.3} on average");
    assert!(
        centred < left / 3.0 && centred < right / 3.0,
        "a half-pixel shift matches better: {centred} {left} {right}"
    );
}
