mod metrics {
    geno_metrics::registry!("ui/fail/wrong_type.toml");
}

fn main() {}
