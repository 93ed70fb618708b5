//! The one table writer of `reproduce`, with the numbers' formats and the claims' checks.

use std::fmt::Write as _;

use std::path::Path;

use super::{file_name, Claim};
use crate::cli::plot::mean_std;

/// Column alignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    /// Text.
    Left,
    /// Numbers.
    Right,
}

/// A Markdown table built row by row.
pub struct Table {
    header: Vec<(String, Align)>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these columns.
    pub fn new(columns: &[(&str, Align)]) -> Self {
        Self {
            header: columns.iter().map(|(h, a)| (h.to_string(), *a)).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row (missing cells are left empty, extra ones dropped).
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table as Markdown, `|` in cells escaped.
    pub fn markdown(&self) -> String {
        let cell = |s: &str| s.replace('|', "\\|");
        let mut md = String::new();
        let heads: Vec<String> = self.header.iter().map(|(h, _)| cell(h)).collect();
        let _ = writeln!(md, "| {} |", heads.join(" | "));
        let rules: Vec<&str> = self
            .header
            .iter()
            .map(|(_, a)| if *a == Align::Right { "---:" } else { "---" })
            .collect();
        let _ = writeln!(md, "|{}|", rules.join("|"));
        for r in &self.rows {
            let cells: Vec<String> = (0..self.header.len())
                .map(|i| r.get(i).map_or(String::new(), |c| cell(c)))
                .collect();
            let _ = writeln!(md, "| {} |", cells.join(" | "));
        }
        md
    }
}

/// `mean ± std` over the finite values with three decimals (`–` when there are none).
pub fn pm(v: &[f64]) -> String {
    let (m, s) = mean_std(&finite(v));
    if m.is_finite() {
        format!("{m:.3} ± {s:.3}")
    } else {
        "–".into()
    }
}

/// The mean of the finite values (NaN when there are none).
pub fn mean(v: &[f64]) -> f64 {
    mean_std(&finite(v)).0
}

/// The finite values.
pub fn finite(v: &[f64]) -> Vec<f64> {
    v.iter().copied().filter(|x| x.is_finite()).collect()
}

/// Per-seed values in seed order, two decimals (`–` for a failed run).
pub fn seeds_text(v: &[f64]) -> String {
    v.iter()
        .map(|x| {
            if x.is_finite() {
                format!("{x:.2}")
            } else {
                "–".into()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The verdict cell.
pub fn verdict(holds: bool) -> &'static str {
    if holds {
        "**holds**"
    } else {
        "**does not hold**"
    }
}

/// One comparison of a claim, checked on the means over seeds and on each seed alone: it
/// holds when it holds for the means and for most seeds (more than half).
#[derive(Clone, Debug)]
pub struct Check {
    /// What is compared, in words.
    pub what: String,
    /// Whether it holds for the means.
    pub mean_holds: bool,
    /// Seeds for which it holds.
    pub seeds_holding: usize,
    /// Seeds compared.
    pub seeds: usize,
    /// The means compared, in words.
    pub detail: String,
}

impl Check {
    /// `lhs ⋈ rhs` with `rel` for the means and for each seed (a NaN fails).
    pub fn compare(
        what: impl Into<String>,
        lhs: &[f64],
        rhs: &[f64],
        rel: fn(f64, f64) -> bool,
    ) -> Self {
        let (l, r) = (mean(lhs), mean(rhs));
        let seeds = lhs.len().max(rhs.len());
        let seeds_holding = lhs.iter().zip(rhs).filter(|(a, b)| rel(**a, **b)).count();
        Self {
            what: what.into(),
            mean_holds: rel(l, r),
            seeds_holding,
            seeds,
            detail: format!("{l:.3} vs {r:.3}"),
        }
    }

    /// `values ⋈ threshold` for the mean and for each seed.
    pub fn threshold(
        what: impl Into<String>,
        values: &[f64],
        threshold: f64,
        rel: fn(f64, f64) -> bool,
    ) -> Self {
        let rhs = vec![threshold; values.len()];
        let mut c = Self::compare(what, values, &rhs, rel);
        c.detail = format!("{:.3}", mean(values));
        c
    }

    /// Whether `series` (one per-seed vector per sweep value, in sweep order) rises
    /// (`increasing`) or falls from each value to the next, for the means and for each seed.
    pub fn monotone(what: impl Into<String>, series: &[Vec<f64>], increasing: bool) -> Self {
        let ordered = |v: &[f64]| {
            v.windows(2)
                .all(|w| if increasing { w[1] > w[0] } else { w[1] < w[0] })
        };
        let means: Vec<f64> = series.iter().map(|s| mean(s)).collect();
        let seeds = series.iter().map(Vec::len).max().unwrap_or(0);
        let seeds_holding = (0..seeds)
            .filter(|&i| {
                let v: Vec<f64> = series
                    .iter()
                    .map(|s| s.get(i).copied().unwrap_or(f64::NAN))
                    .collect();
                ordered(&v)
            })
            .count();
        let detail = means
            .iter()
            .map(|m| format!("{m:.3}"))
            .collect::<Vec<_>>()
            .join(" → ");
        Self {
            what: what.into(),
            mean_holds: ordered(&means),
            seeds_holding,
            seeds,
            detail,
        }
    }

    /// Whether the comparison holds (means and most seeds).
    pub fn holds(&self) -> bool {
        self.mean_holds && 2 * self.seeds_holding > self.seeds
    }

    /// One line: what, the means, the seeds, the verdict.
    pub fn line(&self) -> String {
        format!(
            "{}: {} (means {}; {}/{} seeds) — {}",
            self.what,
            self.detail,
            if self.mean_holds { "yes" } else { "no" },
            self.seeds_holding,
            self.seeds,
            if self.holds() {
                "holds"
            } else {
                "does not hold"
            }
        )
    }
}

/// The checks of a claim as a Markdown list.
pub fn checks_list(checks: &[Check]) -> String {
    checks.iter().map(|c| format!("- {}\n", c.line())).collect()
}

/// The end of a claim's section: its figure, its verdict and its checks as a list.
pub fn figure_and_checks(md: &mut String, claim: Claim, alt: &str, png: &Path, checks: &[Check]) {
    let _ = writeln!(md, "\n![{alt}](results/{})\n", file_name(png));
    let _ = writeln!(
        md,
        "Claim ({}): {}.\n",
        claim.key(),
        verdict(all_hold(checks))
    );
    md.push_str(&checks_list(checks));
}

/// The claim's row of the summary table: what it tests, each check's measurement with the
/// seeds it held in, and the verdict.
pub fn summary_row(claim: Claim, test: &str, checks: &[Check]) -> String {
    let measured = checks
        .iter()
        .map(|c| format!("{}: {} ({}/{})", c.what, c.detail, c.seeds_holding, c.seeds))
        .collect::<Vec<_>>()
        .join("; ");
    format!(
        "| ({}) | {test} | {measured} | {} |",
        claim.key(),
        verdict(all_hold(checks))
    )
}

/// Whether every check holds.
pub fn all_hold(checks: &[Check]) -> bool {
    !checks.is_empty() && checks.iter().all(Check::holds)
}

/// Linear interpolation of `y` at `x` along `points` sorted by x (clamped to the ends).
pub fn interpolate(points: &[(f64, f64)], x: f64) -> f64 {
    let mut p: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .collect();
    p.sort_by(|a, b| a.0.total_cmp(&b.0));
    match p.as_slice() {
        [] => f64::NAN,
        [only] => only.1,
        _ if x <= p[0].0 => p[0].1,
        _ if x >= p[p.len() - 1].0 => p[p.len() - 1].1,
        _ => {
            let i = p.iter().position(|q| q.0 >= x).unwrap_or(p.len() - 1);
            let (a, b) = (p[i - 1], p[i]);
            if b.0 == a.0 {
                return b.1;
            }
            a.1 + (b.1 - a.1) * (x - a.0) / (b.0 - a.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_escapes_pipes_and_aligns_numbers() {
        let mut t = Table::new(&[("σ of q(z|x)", Align::Left), ("value", Align::Right)]);
        t.row(vec!["a|b".into(), "1.0".into()]);
        t.row(vec!["short".into()]);
        assert_eq!(
            t.markdown(),
            "| σ of q(z\\|x) | value |\n|---|---:|\n| a\\|b | 1.0 |\n| short |  |\n"
        );
    }

    #[test]
    fn checks_need_the_means_and_most_seeds() {
        let c = Check::compare("x > y", &[2.0, 2.0, 0.0], &[1.0, 1.0, 1.0], |a, b| a > b);
        assert!(c.mean_holds && c.seeds_holding == 2 && c.holds());
        let c = Check::compare("x > y", &[5.0, 0.0, 0.0], &[1.0, 1.0, 1.0], |a, b| a > b);
        assert!(c.mean_holds && !c.holds(), "one seed of three");
        let c = Check::threshold("h ≤ 1", &[0.7, 0.7, f64::NAN], 1.0, |a, b| a <= b);
        assert!(c.holds() && c.seeds_holding == 2 && c.detail == "0.700");
        let up = Check::monotone(
            "up",
            &[vec![1.0, 1.0], vec![2.0, 0.5], vec![3.0, 3.0]],
            true,
        );
        assert!(up.mean_holds && up.seeds_holding == 1 && !up.holds());
        assert!(up.line().contains("1.000 → 1.250 → 3.000"), "{}", up.line());
        assert!(!all_hold(&[]));
    }

    #[test]
    fn interpolation_is_linear_between_points_and_clamped_outside() {
        let p = [(3.0, 30.0), (1.0, 10.0), (2.0, 40.0)];
        assert_eq!(interpolate(&p, 1.5), 25.0);
        assert_eq!(interpolate(&p, 2.5), 35.0);
        assert_eq!(interpolate(&p, 0.0), 10.0);
        assert_eq!(interpolate(&p, 9.0), 30.0);
        assert!(interpolate(&[], 1.0).is_nan());
    }
}
