mod metrics {
    geno_metrics::registry!("ui/fail/unsorted_buckets.toml");
}

fn main() {}
