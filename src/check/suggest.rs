//! "Did you mean …?" suggestions.

/// The closest candidate to `word`, if one is close enough to be a typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let max = (word.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .filter(|c| *c != word)
        .map(|c| {
            (
                strsim::damerau_levenshtein(word, c).min(case_distance(word, c)),
                c,
            )
        })
        .filter(|(d, _)| *d <= max)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

/// Differences of case alone count as one edit.
fn case_distance(a: &str, b: &str) -> usize {
    if a.eq_ignore_ascii_case(b) {
        1
    } else {
        usize::MAX
    }
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn suggests_typos_only() {
        assert_eq!(
            did_you_mean("whatsap", ["whatsapp", "sms"]),
            Some("whatsapp")
        );
        assert_eq!(did_you_mean("carts", ["cart", "order"]), Some("cart"));
        assert_eq!(did_you_mean("zzz", ["whatsapp", "sms"]), None);
    }
}
