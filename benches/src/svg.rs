//! A small, dependency-free SVG bar chart for the benchmark report: one row of bars per
//! library, grouped per case, with one panel per measure (time, memory) side by side.
//!
//! Every group is scaled to its own largest value, so a 2 ms case and a 200 ms case are both
//! readable; the printed numbers carry the absolute values.

use std::fmt::Write as _;

/// One bar: which series (library) it belongs to, its value and the label printed after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// The series name, e.g. a library.
    pub series: String,
    /// The bar length, in the panel's unit; missing values draw no bar.
    pub value: Option<f64>,
    /// Text printed after the bar.
    pub label: String,
}

/// A measure shown for every group, e.g. "median time (ms)".
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// The panel title.
    pub title: String,
    /// One list of bars per group, in the order of [`Chart::groups`].
    pub bars: Vec<Vec<Bar>>,
}

/// A grouped horizontal bar chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// The chart title.
    pub title: String,
    /// A line under the title (machine, date).
    pub subtitle: String,
    /// The group labels (one per case), top to bottom.
    pub groups: Vec<String>,
    /// The panels, left to right.
    pub panels: Vec<Panel>,
}

const PALETTE: [&str; 8] = ["#d1495b", "#00798c", "#edae49", "#30638e", "#66a182", "#8d96a3", "#6a4c93", "#2e4057"];

/// Escapes text for SVG/XML.
///
/// ```
/// assert_eq!(thumbing_benches::svg::escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
/// ```
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

impl Chart {
    /// Renders the chart as a standalone SVG document.
    ///
    /// ```
    /// use thumbing_benches::svg::{Bar, Chart, Panel};
    /// let chart = Chart {
    ///     title: "speed".into(),
    ///     subtitle: "test".into(),
    ///     groups: vec!["photo.jpg".into()],
    ///     panels: vec![Panel {
    ///         title: "ms".into(),
    ///         bars: vec![vec![
    ///             Bar { series: "a".into(), value: Some(2.0), label: "2 ms".into() },
    ///             Bar { series: "b".into(), value: Some(4.0), label: "4 ms".into() },
    ///         ]],
    ///     }],
    /// };
    /// let svg = chart.render();
    /// assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    /// assert_eq!(svg.matches("<rect class=\"bar\"").count(), 2);
    /// ```
    pub fn render(&self) -> String {
        let series: Vec<&str> = {
            let mut names: Vec<&str> = Vec::new();
            for bar in self.panels.iter().flat_map(|p| p.bars.iter().flatten()) {
                if !names.contains(&bar.series.as_str()) {
                    names.push(&bar.series);
                }
            }
            names
        };
        let colour = |name: &str| PALETTE[series.iter().position(|s| *s == name).unwrap_or(0) % PALETTE.len()];
        let (label_w, panel_w, bar_max, row_h, group_gap) = (300.0, 380.0, 250.0, 15.0, 12.0);
        let top = 78.0;
        let rows_per_group: Vec<usize> = (0..self.groups.len())
            .map(|g| self.panels.iter().map(|p| p.bars.get(g).map_or(0, Vec::len)).max().unwrap_or(0))
            .collect();
        let height = top + rows_per_group.iter().map(|&n| n as f64 * row_h + group_gap).sum::<f64>() + 20.0;
        let width = label_w + panel_w * self.panels.len() as f64 + 20.0;

        let mut s = String::new();
        let _ = writeln!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif" font-size="11">"#
        );
        let _ = writeln!(s, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
        let _ = writeln!(s, r#"<text x="10" y="20" font-size="15" font-weight="bold">{}</text>"#, escape(&self.title));
        let _ = writeln!(s, r##"<text x="10" y="37" fill="#555">{}</text>"##, escape(&self.subtitle));
        // Legend.
        let mut x = 10.0;
        for name in &series {
            let _ = writeln!(s, r#"<rect x="{x}" y="46" width="10" height="10" fill="{}"/>"#, colour(name));
            let _ = writeln!(s, r#"<text x="{}" y="55">{}</text>"#, x + 14.0, escape(name));
            x += 24.0 + 7.0 * name.len() as f64;
        }
        for (p, panel) in self.panels.iter().enumerate() {
            let px = label_w + panel_w * p as f64;
            let _ = writeln!(s, r#"<text x="{px}" y="72" font-weight="bold">{}</text>"#, escape(&panel.title));
        }
        let mut y = top;
        for (g, group) in self.groups.iter().enumerate() {
            let rows = rows_per_group[g];
            let _ = writeln!(
                s,
                r#"<text x="10" y="{}" font-weight="bold">{}</text>"#,
                y + rows as f64 * row_h / 2.0 + 4.0,
                escape(group)
            );
            for (p, panel) in self.panels.iter().enumerate() {
                let px = label_w + panel_w * p as f64;
                let bars = panel.bars.get(g).map(Vec::as_slice).unwrap_or(&[]);
                let max = bars.iter().filter_map(|b| b.value).fold(0.0_f64, f64::max);
                for (r, bar) in bars.iter().enumerate() {
                    let by = y + r as f64 * row_h;
                    let len = match bar.value {
                        Some(v) if max > 0.0 && v.is_finite() => (v / max * bar_max).max(1.0),
                        _ => 0.0,
                    };
                    let _ = writeln!(
                        s,
                        r#"<rect class="bar" x="{px}" y="{}" width="{len:.1}" height="{}" fill="{}"><title>{}: {}</title></rect>"#,
                        by + 2.0,
                        row_h - 4.0,
                        colour(&bar.series),
                        escape(&bar.series),
                        escape(&bar.label)
                    );
                    let _ = writeln!(
                        s,
                        r#"<text x="{:.1}" y="{}">{}</text>"#,
                        px + len + 4.0,
                        by + row_h - 4.0,
                        escape(&bar.label)
                    );
                }
            }
            y += rows as f64 * row_h + group_gap;
            let _ = writeln!(
                s,
                r##"<line x1="10" x2="{}" y1="{}" y2="{}" stroke="#ddd"/>"##,
                width - 10.0,
                y - group_gap / 2.0,
                y - group_gap / 2.0
            );
        }
        s.push_str("</svg>\n");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_within_their_group() {
        let bar = |series: &str, v: f64| Bar { series: series.into(), value: Some(v), label: format!("{v}") };
        let chart = Chart {
            title: "t".into(),
            subtitle: "s".into(),
            groups: vec!["small".into(), "large".into()],
            panels: vec![Panel {
                title: "ms".into(),
                bars: vec![vec![bar("a", 1.0), bar("b", 2.0)], vec![bar("a", 100.0), bar("b", 50.0)]],
            }],
        };
        let svg = chart.render();
        let widths: Vec<f64> = svg
            .lines()
            .filter(|l| l.starts_with("<rect class=\"bar\""))
            .map(|l| l.split("width=\"").nth(1).unwrap().split('"').next().unwrap().parse().unwrap())
            .collect();
        // The largest bar of each group spans the full width; the others are in proportion.
        assert_eq!(widths, vec![125.0, 250.0, 250.0, 125.0]);
    }

    #[test]
    fn missing_values_draw_no_bar_and_text_is_escaped() {
        let chart = Chart {
            title: "<t>".into(),
            subtitle: String::new(),
            groups: vec!["g&h".into()],
            panels: vec![Panel {
                title: "p".into(),
                bars: vec![vec![Bar { series: "x".into(), value: None, label: "failed".into() }]],
            }],
        };
        let svg = chart.render();
        assert!(svg.contains("&lt;t&gt;") && svg.contains("g&amp;h") && !svg.contains("<t>"));
        assert!(svg.contains(r#"width="0.0""#));
    }
}
