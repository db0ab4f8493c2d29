//! Image-quality scores of an output against the [`reference`](crate::reference): SSIM
//! (Wang et al. 2004: 11×11 Gaussian window, σ = 1.5, K1 = 0.01, K2 = 0.03, 8-bit range) and
//! PSNR.
//!
//! Colour images are scored per channel and averaged: R, G, B (premultiplied by alpha), plus
//! alpha itself when either image has transparency. SSIM is 1 for identical images and falls
//! towards 0 as structure is lost; a 512×512 avatar from a good pipeline scores above 0.9.

use crate::reference::FloatImage;

/// The scores of one output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    /// Mean SSIM over the compared channels, in −1..=1 (1 = identical).
    pub ssim: f64,
    /// Peak signal-to-noise ratio in dB over the compared channels, capped at 100 (identical).
    pub psnr_db: f64,
}

/// The ways a comparison can be impossible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompareError {
    /// The two images differ in size.
    SizeMismatch {
        /// Reference width × height.
        reference: (usize, usize),
        /// Output width × height.
        output: (usize, usize),
    },
}

impl std::fmt::Display for CompareError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CompareError::SizeMismatch { reference, output } => write!(
                f,
                "the output is {}x{} but the reference is {}x{}",
                output.0, output.1, reference.0, reference.1
            ),
        }
    }
}

impl std::error::Error for CompareError {}

const K1: f64 = 0.01;
const K2: f64 = 0.03;
const RANGE: f64 = 255.0;
const WINDOW: usize = 11;
const SIGMA: f64 = 1.5;

/// A normalised 1-D Gaussian of `len` taps.
fn gaussian(len: usize) -> Vec<f64> {
    let mid = (len as f64 - 1.0) / 2.0;
    let g: Vec<f64> = (0..len).map(|i| (-((i as f64 - mid).powi(2)) / (2.0 * SIGMA * SIGMA)).exp()).collect();
    let sum: f64 = g.iter().sum();
    g.into_iter().map(|v| v / sum).collect()
}

/// Separable "valid" filtering: the output is `(w - k + 1) × (h - k + 1)`.
fn blur_valid(plane: &[f64], w: usize, h: usize, kernel: &[f64]) -> Vec<f64> {
    let k = kernel.len();
    let (ow, oh) = (w + 1 - k, h + 1 - k);
    let mut horizontal = vec![0.0; ow * h];
    for y in 0..h {
        let row = &plane[y * w..(y + 1) * w];
        for x in 0..ow {
            horizontal[y * ow + x] = kernel.iter().zip(&row[x..x + k]).map(|(a, b)| a * b).sum();
        }
    }
    let mut out = vec![0.0; ow * oh];
    for y in 0..oh {
        for (i, kv) in kernel.iter().enumerate() {
            let src = &horizontal[(y + i) * ow..(y + i + 1) * ow];
            for (d, s) in out[y * ow..(y + 1) * ow].iter_mut().zip(src) {
                *d += kv * s;
            }
        }
    }
    out
}

/// Mean SSIM of two planes of `w` × `h` values on a 0–255 scale. Images smaller than the
/// 11-pixel window use a window as large as the smaller side allows (odd, at least 1).
///
/// ```
/// use thumbing_benches::ssim::ssim_plane;
/// let a: Vec<f64> = (0..32 * 32).map(|i| ((i * 7) % 256) as f64).collect();
/// assert!((ssim_plane(&a, &a, 32, 32) - 1.0).abs() < 1e-12);
/// let darker: Vec<f64> = a.iter().map(|v| v * 0.5).collect();
/// assert!(ssim_plane(&a, &darker, 32, 32) < 0.95);
/// ```
pub fn ssim_plane(a: &[f64], b: &[f64], w: usize, h: usize) -> f64 {
    assert_eq!(a.len(), w * h, "plane a has the wrong length");
    assert_eq!(b.len(), w * h, "plane b has the wrong length");
    if w == 0 || h == 0 {
        return 1.0;
    }
    let mut len = WINDOW.min(w).min(h);
    if len.is_multiple_of(2) {
        len -= 1;
    }
    let kernel = gaussian(len);
    let product = |x: &[f64], y: &[f64]| -> Vec<f64> { x.iter().zip(y).map(|(p, q)| p * q).collect() };
    let mu_a = blur_valid(a, w, h, &kernel);
    let mu_b = blur_valid(b, w, h, &kernel);
    let aa = blur_valid(&product(a, a), w, h, &kernel);
    let bb = blur_valid(&product(b, b), w, h, &kernel);
    let ab = blur_valid(&product(a, b), w, h, &kernel);
    let (c1, c2) = ((K1 * RANGE).powi(2), (K2 * RANGE).powi(2));
    let n = mu_a.len();
    let total: f64 = (0..n)
        .map(|i| {
            let (ma, mb) = (mu_a[i], mu_b[i]);
            let var_a = aa[i] - ma * ma;
            let var_b = bb[i] - mb * mb;
            let cov = ab[i] - ma * mb;
            ((2.0 * ma * mb + c1) * (2.0 * cov + c2)) / ((ma * ma + mb * mb + c1) * (var_a + var_b + c2))
        })
        .sum();
    total / n as f64
}

/// Scores `output` against `reference`.
///
/// With `background`, both are first composited over that colour and only R, G, B are
/// compared (use this when the output format has no alpha, e.g. JPEG). Without it, alpha is
/// compared too whenever either image has transparency.
///
/// ```
/// use thumbing_benches::{reference::FloatImage, ssim::compare};
/// let a = FloatImage::filled(16, 16, [10.0, 20.0, 30.0, 255.0]);
/// let s = compare(&a, &a, None)?;
/// assert_eq!((s.ssim, s.psnr_db), (1.0, 100.0));
/// # Ok::<(), thumbing_benches::ssim::CompareError>(())
/// ```
pub fn compare(
    reference: &FloatImage,
    output: &FloatImage,
    background: Option<[f64; 3]>,
) -> Result<Score, CompareError> {
    if (reference.width, reference.height) != (output.width, output.height) {
        return Err(CompareError::SizeMismatch {
            reference: (reference.width, reference.height),
            output: (output.width, output.height),
        });
    }
    let (reference, output) = match background {
        Some(bg) => (reference.flattened(bg), output.flattened(bg)),
        None => (reference.clone(), output.clone()),
    };
    let channels = if reference.has_transparency() || output.has_transparency() { 4 } else { 3 };
    let (w, h) = (reference.width, reference.height);
    let mut ssim = 0.0;
    let mut squared_error = 0.0;
    for c in 0..channels {
        let (r, o) = (reference.channel(c), output.channel(c));
        ssim += ssim_plane(&r, &o, w, h);
        squared_error += r.iter().zip(&o).map(|(a, b)| (a - b).powi(2)).sum::<f64>();
    }
    let mse = squared_error / (channels * w * h).max(1) as f64;
    let psnr_db = if mse <= 1e-10 { 100.0 } else { (10.0 * (RANGE * RANGE / mse).log10()).min(100.0) };
    Ok(Score { ssim: ssim / channels as f64, psnr_db })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texture(w: usize, h: usize) -> Vec<f64> {
        (0..w * h)
            .map(|i| {
                let (x, y) = ((i % w) as f64, (i / w) as f64);
                127.5 + 60.0 * (x * 0.3).sin() + 50.0 * (y * 0.17 + x * 0.05).cos()
            })
            .collect()
    }

    /// Deterministic noise in −amp..amp.
    fn noise(n: usize, amp: f64, mut seed: u64) -> Vec<f64> {
        (0..n)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                ((seed >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) * amp
            })
            .collect()
    }

    #[test]
    fn identical_is_one_and_symmetric() {
        let a = texture(40, 30);
        assert!((ssim_plane(&a, &a, 40, 30) - 1.0).abs() < 1e-12);
        let b: Vec<f64> = a.iter().zip(noise(a.len(), 20.0, 7)).map(|(v, n)| v + n).collect();
        let (ab, ba) = (ssim_plane(&a, &b, 40, 30), ssim_plane(&b, &a, 40, 30));
        assert!((ab - ba).abs() < 1e-12);
    }

    #[test]
    fn more_noise_scores_lower() {
        let a = texture(64, 64);
        let scores: Vec<f64> = [2.0, 8.0, 32.0]
            .iter()
            .map(|&amp| {
                let b: Vec<f64> = a.iter().zip(noise(a.len(), amp, 99)).map(|(v, n)| v + n).collect();
                ssim_plane(&a, &b, 64, 64)
            })
            .collect();
        assert!(scores[0] > scores[1] && scores[1] > scores[2], "{scores:?}");
        assert!(scores[0] > 0.95 && scores[2] < 0.8, "{scores:?}");
    }

    #[test]
    fn blur_scores_lower_than_the_original() {
        let (w, h) = (64, 64);
        let a: Vec<f64> = noise(w * h, 100.0, 3).into_iter().map(|v| v + 127.5).collect();
        let blurred: Vec<f64> = (0..w * h)
            .map(|i| {
                let (x, y) = (i % w, i / w);
                let (x0, x1) = (x.saturating_sub(1), (x + 1).min(w - 1));
                (a[y * w + x0] + a[y * w + x] + a[y * w + x1]) / 3.0
            })
            .collect();
        assert!(ssim_plane(&a, &blurred, w, h) < 0.8);
    }

    #[test]
    fn tiny_images_still_score() {
        let a = vec![10.0, 200.0, 30.0, 90.0];
        assert!((ssim_plane(&a, &a, 2, 2) - 1.0).abs() < 1e-12);
        let b = vec![200.0, 10.0, 90.0, 30.0];
        assert!(ssim_plane(&a, &b, 2, 2) < 0.5);
    }

    #[test]
    fn alpha_counts_only_when_present() {
        let opaque = FloatImage::filled(16, 16, [100.0, 100.0, 100.0, 255.0]);
        let clear = FloatImage::filled(16, 16, [0.0, 0.0, 0.0, 0.0]);
        // Transparent black vs opaque gray: very different with alpha, ...
        assert!(compare(&opaque, &clear, None).unwrap().psnr_db < 10.0);
        // ... and over a gray background of the same colour they look the same.
        let same = compare(&opaque, &clear, Some([100.0, 100.0, 100.0])).unwrap();
        assert_eq!(same.psnr_db, 100.0);
    }

    #[test]
    fn size_mismatch_is_an_error() {
        let a = FloatImage::filled(4, 4, [0.0; 4]);
        let b = FloatImage::filled(4, 5, [0.0; 4]);
        let err = compare(&a, &b, None).unwrap_err();
        assert!(err.to_string().contains("4x5"), "{err}");
    }
}
