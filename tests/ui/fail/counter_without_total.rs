mod metrics {
    geno_metrics::registry!("ui/fail/counter_without_total.toml");
}

fn main() {}
