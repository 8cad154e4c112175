//! "Did you mean ...?": the closest known word to a misspelled one.

/// Below this Jaro-Winkler similarity a candidate is more likely a different word than a typo.
/// 0.8 keeps `str` → `string` and `webb` → `web` while rejecting unrelated words.
const THRESHOLD: f64 = 0.8;

/// The candidate most similar to `input`, if any is similar enough. Case is ignored, so
/// `Events` suggests `events`.
pub(crate) fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let input = input.to_lowercase();
    let mut best: Option<(f64, &'a str)> = None;
    for candidate in candidates {
        let score = strsim::jaro_winkler(&input, &candidate.to_lowercase());
        if score >= THRESHOLD && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn suggests_close_words_only() {
        let types = ["string", "number", "integer", "boolean", "object", "array"];
        assert_eq!(did_you_mean("str", types), Some("string"));
        assert_eq!(did_you_mean("bool", types), Some("boolean"));
        assert_eq!(did_you_mean("int", types), Some("integer"));
        assert_eq!(did_you_mean("date", types), None);
        assert_eq!(did_you_mean("mapping_typ", ["mappings", "mapping_type"]), Some("mapping_type"));
        assert_eq!(did_you_mean("Events", ["events", "users"]), Some("events"));
        assert_eq!(did_you_mean("webb", ["web", "android", "ios", "api"]), Some("web"));
        assert_eq!(did_you_mean("", ["web"]), None);
    }
}
