//! Order statistics for timing samples.

/// The `q`-quantile (0 = min, 0.5 = median, 1 = max) of `samples`, interpolating linearly
/// between neighbours. `None` when there are no samples or one is NaN.
///
/// ```
/// use thumbing_benches::stats::quantile;
/// assert_eq!(quantile(&[3.0, 1.0, 2.0], 0.5), Some(2.0));
/// assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.5), Some(2.5));
/// assert_eq!(quantile(&[], 0.5), None);
/// ```
pub fn quantile(samples: &[f64], q: f64) -> Option<f64> {
    if samples.is_empty() || samples.iter().any(|v| v.is_nan()) {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64))
}

/// The median of `samples`.
///
/// ```
/// assert_eq!(thumbing_benches::stats::median(&[5.0, 1.0, 9.0, 7.0, 3.0]), Some(5.0));
/// ```
pub fn median(samples: &[f64]) -> Option<f64> {
    quantile(samples, 0.5)
}

/// A summary of timing samples in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Number of samples.
    pub n: usize,
    /// Smallest sample.
    pub min: f64,
    /// First quartile.
    pub p25: f64,
    /// Median.
    pub median: f64,
    /// Third quartile.
    pub p75: f64,
    /// Largest sample.
    pub max: f64,
}

impl Summary {
    /// Summarises `samples`; `None` when there are none.
    ///
    /// ```
    /// let s = thumbing_benches::stats::Summary::of(&[4.0, 1.0, 3.0, 2.0, 5.0]).unwrap();
    /// assert_eq!((s.n, s.min, s.p25, s.median, s.p75, s.max), (5, 1.0, 2.0, 3.0, 4.0, 5.0));
    /// ```
    pub fn of(samples: &[f64]) -> Option<Summary> {
        Some(Summary {
            n: samples.len(),
            min: quantile(samples, 0.0)?,
            p25: quantile(samples, 0.25)?,
            median: quantile(samples, 0.5)?,
            p75: quantile(samples, 0.75)?,
            max: quantile(samples, 1.0)?,
        })
    }

    /// The interquartile range relative to the median (a noise indicator), in percent.
    ///
    /// ```
    /// let s = thumbing_benches::stats::Summary::of(&[9.0, 10.0, 11.0]).unwrap();
    /// assert_eq!(s.spread_percent(), 10.0);
    /// ```
    pub fn spread_percent(&self) -> f64 {
        if self.median > 0.0 { (self.p75 - self.p25) / self.median * 100.0 } else { 0.0 }
    }
}
