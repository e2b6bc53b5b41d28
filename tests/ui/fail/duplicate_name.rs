mod metrics {
    geno_metrics::registry!("ui/fail/duplicate_name.toml");
}

fn main() {}
