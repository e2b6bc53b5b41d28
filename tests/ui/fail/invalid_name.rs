mod metrics {
    geno_metrics::registry!("ui/fail/invalid_name.toml");
}

fn main() {}
