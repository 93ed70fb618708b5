//! Compact text for messages and links: long inputs are clipped, numbers written in their
//! shortest exact form (never 309 digits for 1e308).

/// At most `max` characters of `s`, with "…" when something was cut.
pub fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// A text that parses back to exactly `v`, short: plain digits up to 12 characters
/// (`0.001`, `0.000001`, `123.25`), else the shorter of plain and scientific notation
/// (`1e308`, `1.5e-9`).
pub fn number(v: f64) -> String {
    let plain = format!("{v}");
    let sci = format!("{v:e}");
    if plain.len() <= 12 || plain.len() <= sci.len() {
        plain
    } else {
        sci
    }
}

/// A count with its thousands grouped by commas, as the lessons and `docs/results.md` write
/// them (`1,000`).
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() * 4 / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The first `n` items joined by "; ", then "and N more" for the rest.
pub fn first_few(items: &[String], n: usize) -> String {
    let shown: Vec<&str> = items.iter().take(n).map(String::as_str).collect();
    let mut out = shown.join("; ");
    if items.len() > n {
        out.push_str(&format!("; and {} more", items.len() - n));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        let cases = [
            (0, "0"),
            (999, "999"),
            (500, "500"),
            (1000, "1,000"),
            (3120, "3,120"),
            (15600, "15,600"),
            (123456, "123,456"),
            (1000000, "1,000,000"),
            (1234567, "1,234,567"),
        ];
        for (n, want) in cases {
            assert_eq!(thousands(n), want);
        }
    }

    #[test]
    fn numbers_are_short_and_exact() {
        for v in [
            0.001,
            1e-6,
            1e308,
            123.25,
            0.0,
            -2.5,
            6.02e23,
            1.0 / 3.0,
            f64::MIN_POSITIVE,
        ] {
            let t = number(v);
            assert_eq!(t.parse::<f64>().unwrap(), v, "{t}");
            assert!(t.len() <= 24, "{t}");
        }
        assert_eq!(number(0.001), "0.001");
        assert_eq!(number(1e308), "1e308");
        assert_eq!(number(4.0), "4");
    }

    #[test]
    fn long_text_and_lists_are_cut() {
        assert_eq!(clip("abcdef", 3), "abc…");
        assert_eq!(clip("ab", 3), "ab");
        let items: Vec<String> = (0..2000).map(|i| format!("k{i}")).collect();
        let s = first_few(&items, 3);
        assert_eq!(s, "k0; k1; k2; and 1997 more");
        assert_eq!(first_few(&items[..2], 3), "k0; k1");
    }
}
