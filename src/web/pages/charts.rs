//! Charts drawn on the server as SVG: no script, readable by screen readers (a title and a
//! text label on every mark), and every bar a link to the records behind it. Written here
//! rather than taken from a chart crate because the links and labels are the point.

use std::fmt::Write;

/// One bar: label, value, the text shown at its end, and where it leads.
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub text: String,
    pub href: Option<String>,
}

/// Escapes text for SVG/XML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Horizontal bars, largest scale at the longest bar. Each label has a line of its own above
/// its bar, across the whole width: a union's full name fits (up to 34 characters; a longer
/// one is shortened in the middle, its start and its kind kept, and shown whole on hover).
pub fn bars(title: &str, bars: &[Bar]) -> String {
    if bars.is_empty() {
        return format!(r#"<p class="empty">{}：暂无数据</p>"#, esc(title));
    }
    let row = 42.0;
    let (width, text_w) = (570.0, 90.0);
    let bar_w = width - text_w;
    let height = bars.len() as f64 * row + 4.0;
    let max = bars.iter().map(|b| b.value).fold(0.0, f64::max).max(1e-9);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="t-{id}"><title id="t-{id}">{t}</title>"#,
        id = title_id(title),
        t = esc(title)
    );
    for (i, b) in bars.iter().enumerate() {
        let y = i as f64 * row + 2.0;
        let w = (b.value / max * bar_w).max(if b.value > 0.0 { 2.0 } else { 0.0 });
        let mark = format!(
            r#"<text class="label" x="0" y="{ly:.1}">{label}</text><rect class="bar" x="0" y="{by:.1}" width="{w:.1}" height="{h}" rx="2"/><text class="value" x="{vx:.1}" y="{vy:.1}">{text}</text>"#,
            ly = y + 14.0,
            label = esc(&clip_middle(&b.label, 34)),
            by = y + 20.0,
            h = 14.0,
            vx = w + 6.0,
            vy = y + 32.0,
            text = esc(&b.text),
        );
        match &b.href {
            Some(h) => {
                let _ = write!(
                    s,
                    r#"<a href="{}"><title>{}：{}</title>{mark}</a>"#,
                    esc(h),
                    esc(&b.label),
                    esc(&b.text)
                );
            }
            None => s.push_str(&mark),
        }
    }
    s.push_str("</svg>");
    s
}

/// Shortens a long name in the middle: its start (where it is) and its end (what it is,
/// 总工会/工会联合会) both stay readable.
fn clip_middle(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    let tail = max / 3;
    let head = max - tail - 1;
    let start: String = s.chars().take(head).collect();
    let end: String = s.chars().skip(n - tail).collect();
    format!("{start}…{end}")
}

/// A line over months (labels like 2026-03), with a dot and value at every point.
pub fn line(title: &str, points: &[(String, i64)]) -> String {
    if points.is_empty() {
        return format!(r#"<p class="empty">{}：暂无数据</p>"#, esc(title));
    }
    let (width, height, left, bottom, top) = (570.0, 220.0, 16.0, 30.0, 24.0);
    let min = points.iter().map(|p| p.1).min().unwrap_or(0) as f64;
    let max = points.iter().map(|p| p.1).max().unwrap_or(0) as f64;
    // Leave room above and below so that a flat line sits in the middle.
    let span = (max - min).max(1.0);
    let (lo, hi) = (min - span * 0.15, max + span * 0.15);
    let step = if points.len() > 1 {
        (width - 2.0 * left - 20.0) / (points.len() - 1) as f64
    } else {
        0.0
    };
    let x = |i: usize| left + 10.0 + i as f64 * step;
    let y = |v: f64| top + (hi - v) / (hi - lo) * (height - top - bottom);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="t-{id}"><title id="t-{id}">{t}</title>"#,
        id = title_id(title),
        t = esc(title)
    );
    let path: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{:.1},{:.1}", x(i), y(p.1 as f64)))
        .collect();
    let _ = write!(
        s,
        r#"<polyline class="line" fill="none" points="{}"/>"#,
        path.join(" ")
    );
    for (i, (label, v)) in points.iter().enumerate() {
        let (px, py) = (x(i), y(*v as f64));
        let _ = write!(
            s,
            r#"<g><title>{l}：{v}</title><circle class="dot" cx="{px:.1}" cy="{py:.1}" r="3.5"/><text class="value" x="{px:.1}" y="{vy:.1}" text-anchor="middle">{v}</text><text class="label" x="{px:.1}" y="{ly:.1}" text-anchor="middle">{short}</text></g>"#,
            l = esc(label),
            v = super::thousands(*v),
            vy = py - 8.0,
            ly = height - 10.0,
            short = esc(label.get(5..).unwrap_or(label)),
        );
    }
    s.push_str("</svg>");
    s
}

/// A stable id for the title element, from the title text.
fn title_id(title: &str) -> String {
    let mut h: u32 = 2166136261;
    for b in title.bytes() {
        h = (h ^ u32::from(b)).wrapping_mul(16777619);
    }
    format!("{h:08x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_links_are_escaped() {
        let svg = bars(
            "各区<入会率>",
            &[Bar {
                label: "<script>alert(1)</script>".into(),
                value: 3.0,
                text: "3 & 4".into(),
                href: Some("/members?org=a\"b".into()),
            }],
        );
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
        assert!(svg.contains("3 &amp; 4"));
        assert!(svg.contains("org=a&quot;b"));
        assert!(svg.contains("各区&lt;入会率&gt;"));
    }

    #[test]
    fn the_longest_bar_fills_the_scale_and_zero_draws_nothing() {
        let svg = bars(
            "t",
            &[
                Bar {
                    label: "a".into(),
                    value: 10.0,
                    text: "10".into(),
                    href: None,
                },
                Bar {
                    label: "b".into(),
                    value: 0.0,
                    text: "0".into(),
                    href: None,
                },
            ],
        );
        assert!(svg.contains(r#"width="480.0""#), "{svg}");
        assert!(svg.contains(r#"width="0.0""#), "{svg}");
    }

    #[test]
    fn long_union_names_keep_their_start_and_their_kind() {
        let name = "测试市某某区某某街道某某社区新就业形态快递物流行业联合工会委员会工会联合会";
        let shown = clip_middle(name, 34);
        assert_eq!(shown.chars().count(), 34);
        assert!(
            shown.starts_with("测试市某某区") && shown.ends_with("工会联合会"),
            "{shown}"
        );
        assert_eq!(clip_middle("一区总工会", 34), "一区总工会");
    }

    #[test]
    fn a_line_has_one_dot_per_month_and_empty_data_says_so() {
        let pts: Vec<(String, i64)> = (1..=12)
            .map(|m| (format!("2026-{m:02}"), 100 + m))
            .collect();
        let svg = line("会员", &pts);
        assert_eq!(svg.matches("<circle").count(), 12);
        assert!(line("会员", &[]).contains("暂无数据"));
    }
}
