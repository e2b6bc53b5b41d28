mod metrics {
    geno_metrics::registry!("ui/fail/unknown_key.toml");
}

fn main() {}
