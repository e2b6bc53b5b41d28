mod metrics {
    geno_metrics::registry!("ui/fail/unit_not_suffix.toml");
}

fn main() {}
