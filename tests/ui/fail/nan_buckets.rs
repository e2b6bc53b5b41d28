mod metrics {
    geno_metrics::registry!("ui/fail/nan_buckets.toml");
}

fn main() {}
