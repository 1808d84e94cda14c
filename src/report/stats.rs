//! Confidence intervals for the goal figures: Wilson's score interval for
//! one conversion rate, and Newcombe's hybrid score interval (his method
//! 10) for the difference of two independent rates, the lift of sends
//! over the holdout.
//!
//! Why these: the holdout is small by design (often 5–10 % of a rule's
//! sends) and conversion rates are often near 0, where the textbook Wald
//! interval `p ± z·√(p(1−p)/n)` is too narrow and can leave [0, 1].
//! Wilson's interval stays inside [0, 1] and keeps close to its nominal
//! coverage for small n and extreme p; Newcombe built the difference
//! interval from the two Wilson intervals and found it to cover well
//! without the iterations of the exact methods.
//!
//! References: E. B. Wilson, "Probable inference, the law of succession,
//! and statistical inference", JASA 22 (1927); R. G. Newcombe, "Interval
//! estimation for the difference between independent proportions:
//! comparison of eleven methods", Statistics in Medicine 17 (1998),
//! 873–890.

/// The 0.975 quantile of the standard normal: two-sided 95 %.
pub const Z95: f64 = 1.959_963_984_540_054;

/// A closed interval `[low, high]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

/// Wilson's score interval for the proportion `x / n`; `None` when
/// `n` is 0 (there is no rate to estimate).
pub fn wilson(x: u64, n: u64, z: f64) -> Option<Interval> {
    if n == 0 || x > n {
        return None;
    }
    let (x, n) = (x as f64, n as f64);
    let z2 = z * z;
    let center = (x + z2 / 2.0) / (n + z2);
    let half = z * (x * (n - x) / n + z2 / 4.0).sqrt() / (n + z2);
    // Rounding may push a bound a hair past 0 or 1 when x is 0 or n.
    Some(Interval {
        low: (center - half).max(0.0),
        high: (center + half).min(1.0),
    })
}

/// Newcombe's hybrid score interval for `x1/n1 − x2/n2`: with the Wilson
/// intervals (l1, u1) and (l2, u2) of the two rates and d their
/// difference, `[d − √((p1−l1)² + (u2−p2)²), d + √((u1−p1)² + (p2−l2)²)]`.
/// `None` when either group is empty.
pub fn newcombe(x1: u64, n1: u64, x2: u64, n2: u64, z: f64) -> Option<Interval> {
    let (w1, w2) = (wilson(x1, n1, z)?, wilson(x2, n2, z)?);
    let (p1, p2) = (x1 as f64 / n1 as f64, x2 as f64 / n2 as f64);
    let d = p1 - p2;
    Some(Interval {
        low: d - ((p1 - w1.low).powi(2) + (w2.high - p2).powi(2)).sqrt(),
        high: d + ((w1.high - p1).powi(2) + (p2 - w2.low).powi(2)).sqrt(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(got: f64, want: f64) {
        assert!(
            (got - want).abs() < 5e-5,
            "got {got:.6}, want {want:.4} (to 4 places)"
        );
    }

    /// The score method's examples in Newcombe, "Two-sided confidence
    /// intervals for the single proportion", Statistics in Medicine 17
    /// (1998).
    #[test]
    fn wilson_matches_newcombes_single_proportion_examples() {
        for (x, n, low, high) in [
            (81, 263, 0.2553, 0.3662),
            (15, 148, 0.0624, 0.1605),
            (0, 20, 0.0, 0.1611),
            (1, 29, 0.0061, 0.1718),
        ] {
            let w = wilson(x, n, Z95).unwrap();
            close(w.low, low);
            close(w.high, high);
        }
    }

    /// Method 10 on the eight examples, (a) to (h), of Newcombe's paper on
    /// differences (module comment).
    #[test]
    fn newcombe_matches_the_papers_examples() {
        for (x1, n1, x2, n2, low, high) in [
            (56, 70, 48, 80, 0.0524, 0.3339),
            (9, 10, 3, 10, 0.1705, 0.8090),
            (6, 7, 2, 7, 0.0582, 0.8062),
            (5, 56, 0, 29, -0.0381, 0.1926),
            (0, 10, 0, 20, -0.1611, 0.2775),
            (0, 10, 0, 10, -0.2775, 0.2775),
            (10, 10, 0, 20, 0.6791, 1.0),
            (10, 10, 0, 10, 0.6075, 1.0),
        ] {
            let ci = newcombe(x1, n1, x2, n2, Z95).unwrap();
            close(ci.low, low);
            close(ci.high, high);
        }
    }

    #[test]
    fn the_difference_lies_inside_its_interval() {
        let ci = newcombe(56, 70, 48, 80, Z95).unwrap();
        assert!(ci.low < 0.2 && 0.2 < ci.high);
    }

    #[test]
    fn empty_groups_have_no_interval() {
        assert_eq!(wilson(0, 0, Z95), None);
        assert_eq!(newcombe(3, 10, 0, 0, Z95), None);
        assert_eq!(newcombe(0, 0, 3, 10, Z95), None);
    }

    #[test]
    fn extreme_rates_stay_inside_zero_and_one() {
        let all = wilson(10, 10, Z95).unwrap();
        assert!(all.high <= 1.0 && all.low > 0.6);
        let none = wilson(0, 10, Z95).unwrap();
        assert!(none.low >= 0.0 && none.high < 0.4);
        let ci = newcombe(10, 10, 0, 10, Z95).unwrap();
        assert!(ci.low > 0.0 && ci.high <= 1.0);
    }
}
