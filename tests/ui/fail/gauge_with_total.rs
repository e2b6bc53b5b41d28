mod metrics {
    geno_metrics::registry!("ui/fail/gauge_with_total.toml");
}

fn main() {}
