//! The report's charts, drawn by plotters into SVG strings that the HTML
//! embeds inline (no files, no scripts). Text in the SVG is escaped by
//! plotters' SVG backend.

use std::collections::BTreeMap;
use std::error::Error;

use plotters::prelude::*;

use super::figures::day_key;

/// Chart width in pixels; the page scales it down on narrow screens.
pub const WIDTH: u32 = 880;
const FONT: &str = "sans-serif";

pub type Drawn = Result<String, Box<dyn Error>>;

/// Counts per UTC day as a filled line, days without any drawn as zero.
pub fn per_day(days: &BTreeMap<i64, u64>, color: RGBColor) -> Drawn {
    let (Some(first), Some(last)) = (days.keys().next(), days.keys().next_back()) else {
        return Err("no data".into());
    };
    // A single day still gets a visible span around it.
    let (from, to) = if first == last {
        (first - 1, last + 1)
    } else {
        (*first, *last)
    };
    let top = days.values().copied().max().unwrap_or(0);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, 260)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .margin_right(44)
            .x_label_area_size(28)
            .y_label_area_size(56)
            .build_cartesian_2d(from..to, 0u64..headroom(top))?;
        chart
            .configure_mesh()
            .x_labels(6)
            .y_labels(5)
            .x_label_formatter(&|d| day_key(*d))
            .y_label_formatter(&|n| thousands(*n))
            .label_style((FONT, 13))
            .light_line_style(WHITE)
            .draw()?;
        let points = (from..=to).map(|d| (d, days.get(&d).copied().unwrap_or(0)));
        chart.draw_series(
            AreaSeries::new(points, 0, color.mix(0.25)).border_style(color.stroke_width(1)),
        )?;
        root.present()?;
    }
    Ok(inline(svg))
}

/// Horizontal bars, one per `(label, count)`, top to bottom, each with its
/// count at its end. Horizontal so that long labels (`no_usable_step`,
/// `30m–1h`) stay readable however many bars there are.
pub fn bars(items: &[(String, u64)], color: RGBColor) -> Drawn {
    if items.is_empty() {
        return Err("no data".into());
    }
    let n = items.len();
    let top = items.iter().map(|(_, c)| *c).max().unwrap_or(0);
    let longest = items
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0);
    let label_width = (longest as u32 * 7 + 16).clamp(48, 260);
    let height = 26 * n as u32 + 50;
    // Item i is the row from y = 10·(n − 1 − i) to 10·(n − i): plotters'
    // y grows upwards and the first item goes on top. Integer rows
    // because key points can be bound only to coordinates that format
    // by default (plotters 0.3).
    let n32 = n as i32;
    let center = |i: usize| 10 * (n32 - 1 - i as i32) + 5;
    let label = |y: &i32| {
        let i = n32 - 1 - (y - 5).div_euclid(10);
        usize::try_from(i)
            .ok()
            .and_then(|i| items.get(i))
            .map_or(String::new(), |(l, _)| l.clone())
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE)?;
        let rows = (0..10 * n32).with_key_points((0..n).map(center).collect());
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .margin_right(44)
            .x_label_area_size(26)
            .y_label_area_size(label_width)
            .build_cartesian_2d(0u64..headroom(top), rows)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_labels(6)
            .y_label_formatter(&label)
            .x_label_formatter(&|c| thousands(*c))
            .label_style((FONT, 13))
            .light_line_style(WHITE)
            .draw()?;
        chart.draw_series(items.iter().enumerate().map(|(i, (_, count))| {
            let y = center(i);
            Rectangle::new([(0, y - 3), (*count, y + 3)], color.filled())
        }))?;
        chart.draw_series(items.iter().enumerate().map(|(i, (_, count))| {
            EmptyElement::at((*count, center(i)))
                + Text::new(thousands(*count), (4, -6), (FONT, 13).into_font())
        }))?;
        root.present()?;
    }
    Ok(inline(svg))
}

/// The y (or x) range's end: a little above the largest value, so the
/// top of the line or a bar's count label is not cut off.
fn headroom(top: u64) -> u64 {
    (top + top / 8).max(top + 1)
}

/// An SVG document made into an HTML element: HTML needs no namespace
/// declaration, and leaving it out keeps every URL out of the page.
fn inline(svg: String) -> String {
    svg.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1)
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_one_svg_with_every_label_escaped() {
        let items = vec![("a<b".to_string(), 3), ("c".to_string(), 0)];
        let svg = bars(&items, RED).unwrap();
        assert!(svg.starts_with("<svg ") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("a&lt;b") && !svg.contains("a<b"));
        assert!(!svg.contains("http"));
    }

    #[test]
    fn a_single_day_still_draws() {
        let svg = per_day(&BTreeMap::from([(10_000, 4)]), BLUE).unwrap();
        assert!(svg.contains("1997-05-19"), "{svg}");
    }

    #[test]
    fn nothing_to_draw_is_an_error_not_a_panic() {
        assert!(bars(&[], RED).is_err());
        assert!(per_day(&BTreeMap::new(), RED).is_err());
    }

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
