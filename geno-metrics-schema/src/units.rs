//! Units as Prometheus' linter (promlint, run by `promtool check metrics`) understands them.
//!
//! The tables follow promlint so that every name the schema accepts also passes promtool;
//! `percent` -> `ratio` is ours, from the Prometheus naming guide.

/// Base units: the only units a metric name may carry.
const BASE_UNITS: &[&str] = &[
    "amperes", "bytes", "celsius", "grams", "joules", "kelvin", "meters", "metres", "ratio",
    "seconds", "volts",
];

/// Units that are not base units, with the base unit to use instead.
const NON_BASE_UNITS: &[(&str, &str)] = &[
    ("minutes", "seconds"),
    ("hours", "seconds"),
    ("days", "seconds"),
    ("weeks", "seconds"),
    ("kelvins", "kelvin"),
    ("fahrenheit", "celsius"),
    ("rankine", "celsius"),
    ("inches", "meters"),
    ("yards", "meters"),
    ("miles", "meters"),
    ("bits", "bytes"),
    ("calories", "joules"),
    ("pounds", "grams"),
    ("ounces", "grams"),
    ("percent", "ratio"),
    ("percentage", "ratio"),
];

/// SI and binary prefixes: `milli` + `seconds` is not a base unit.
const PREFIXES: &[&str] = &[
    "pico", "nano", "micro", "milli", "centi", "deci", "deca", "hecto", "kilo", "kibi", "mega",
    "mibi", "mebi", "giga", "gibi", "tera", "tebi", "peta", "pebi",
];

/// Abbreviations promlint rejects anywhere in a name, with the base unit they stand for.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("s", "seconds"),
    ("ms", "seconds"),
    ("us", "seconds"),
    ("ns", "seconds"),
    ("sec", "seconds"),
    ("b", "bytes"),
    ("kb", "bytes"),
    ("mb", "bytes"),
    ("gb", "bytes"),
    ("tb", "bytes"),
    ("pb", "bytes"),
    ("m", "meters"),
    ("h", "seconds"),
    ("d", "seconds"),
];

/// The base unit to use instead of `word`, when `word` is a unit but not a base unit
/// (`milliseconds` -> `seconds`, `kilobytes` -> `bytes`, `hours` -> `seconds`).
pub(crate) fn non_base(word: &str) -> Option<&'static str> {
    let lookup = |w: &str| {
        if BASE_UNITS.contains(&w) {
            return BASE_UNITS.iter().copied().find(|b| *b == w);
        }
        NON_BASE_UNITS
            .iter()
            .find(|(u, _)| *u == w)
            .map(|(_, base)| *base)
    };
    if let Some(base) = lookup(word) {
        return (base != word).then_some(base);
    }
    PREFIXES
        .iter()
        .filter_map(|prefix| word.strip_prefix(prefix))
        .find_map(lookup)
}

/// The base unit `word` is a misspelling of (`secnds` -> `seconds`), when it is near one.
pub(crate) fn closest_base(word: &str) -> Option<&'static str> {
    crate::closest(word, BASE_UNITS.iter().copied())
}

/// The base unit an abbreviation stands for (`ms` -> `seconds`).
pub(crate) fn abbreviation(word: &str) -> Option<&'static str> {
    ABBREVIATIONS
        .iter()
        .find(|(a, _)| *a == word)
        .map(|(_, base)| *base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_units_are_accepted_and_others_name_their_base() {
        assert_eq!(non_base("seconds"), None);
        assert_eq!(non_base("ratio"), None);
        assert_eq!(non_base("milliseconds"), Some("seconds"));
        assert_eq!(non_base("kilobytes"), Some("bytes"));
        assert_eq!(non_base("megabits"), Some("bytes"));
        assert_eq!(non_base("percent"), Some("ratio"));
        assert_eq!(non_base("hours"), Some("seconds"));
        assert_eq!(non_base("steps"), None);
        assert_eq!(abbreviation("ms"), Some("seconds"));
        assert_eq!(abbreviation("msec"), None);
    }
}
