//! The README's TOML: its registry is this crate's `metrics.toml`, and every snippet is a
//! registry the schema accepts or a manifest fragment.

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

const README: &str = include_str!("../../README.md");

/// The fenced blocks of the README with the given info string, in order.
fn blocks(info: &str) -> Vec<&'static str> {
    let fence = format!("```{info}\n");
    README
        .split(&fence)
        .skip(1)
        .map(|rest| rest.split("```\n").next().unwrap())
        .collect()
}

#[test]
fn this_crates_registry_is_the_readmes() {
    let registries: Vec<&str> = blocks("toml")
        .into_iter()
        .filter(|b| b.lines().any(|l| l == "[registry]"))
        .collect();
    assert_eq!(
        registries.len(),
        1,
        "the README shows one registry, the one its snippets use"
    );
    let ours =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/metrics.toml")).unwrap();
    assert_eq!(
        ours, registries[0],
        "readme/metrics.toml differs from README.md's registry: copy the README's block into it"
    );
}

#[test]
fn every_toml_snippet_is_a_valid_registry_or_a_manifest_fragment() {
    let snippets = blocks("toml");
    assert!(!snippets.is_empty());
    for snippet in snippets {
        if snippet.contains("[dependencies]") {
            assert!(snippet.contains("geno-metrics"), "{snippet}");
            continue;
        }
        // A fragment of `[registry]` is checked inside the smallest registry.
        let snippet = match snippet.strip_prefix("# in [registry]\n") {
            Some(keys) => format!("[registry]\nversion = \"1.0.0\"\n{keys}"),
            None => snippet.to_owned(),
        };
        if let Err(report) = geno_metrics_schema::parse(&snippet, "README.md") {
            panic!("a TOML snippet of the README fails `metrics check`:\n{report}\n{snippet}");
        }
    }
}

#[test]
fn no_rust_snippet_is_left_out_of_the_doc_tests() {
    for skipped in [
        "```rust,ignore",
        "```rust,no_run",
        "```ignore",
        "```rust,compile_fail",
    ] {
        assert!(
            !README.contains(skipped),
            "README.md has a `{skipped}` block: nothing would run it"
        );
    }
    // A bare fence is Rust to rustdoc: every README block opens saying its language.
    let mut open = false;
    for (n, line) in README.lines().enumerate() {
        if let Some(info) = line.strip_prefix("```") {
            assert!(
                open || !info.is_empty(),
                "README.md:{}: a block opens with a bare ``` fence",
                n + 1
            );
            open = !open;
        }
    }
    assert!(!open, "README.md ends inside a block");
    assert!(blocks("rust").len() >= 3, "the README shows its Rust");
}

#[test]
fn the_mistake_shown_is_what_the_check_prints() {
    let registry = blocks("toml")
        .into_iter()
        .find(|b| b.lines().any(|l| l == "[registry]"))
        .unwrap();
    let mistaken = registry.replacen(
        "name = \"geno_lewm_train_steps_total\"",
        "name = \"geno_lewm_train_steps\"",
        1,
    );
    let report = geno_metrics_schema::parse(&mistaken, "metrics.toml").unwrap_err();
    let shown = blocks("text")
        .into_iter()
        .find(|b| b.contains("error[counter-suffix]"))
        .expect("the README shows a mistake");
    assert_eq!(format!("{report}\n"), shown);
}

#[test]
fn the_alert_table_gives_every_alerts_key_and_defaults() {
    for alert in geno_metrics_schema::ALERTS {
        let row = README
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` (`{}`: ", alert.name, alert.key)))
            .unwrap_or_else(|| panic!("README.md has no table row for {}", alert.name));
        let mut defaults: Vec<String> = alert
            .thresholds
            .iter()
            .map(|t| match t.kind {
                geno_metrics_schema::ThresholdKind::Duration => {
                    format!("`{} = \"{}\"`", t.key, t.default)
                }
                _ => format!("`{} = {}`", t.key, t.default),
            })
            .collect();
        defaults.push(format!("`for = \"{}\"`", alert.for_default));
        for default in defaults {
            assert!(
                row.contains(&default),
                "README.md's row of {} lacks {default}:\n{row}",
                alert.name
            );
        }
    }
}
