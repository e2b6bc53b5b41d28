mod metrics {
    geno_metrics::registry!("ui/fail/buckets_on_counter.toml");
}

fn main() {}
