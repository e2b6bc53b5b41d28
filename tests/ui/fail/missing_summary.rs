mod metrics {
    geno_metrics::registry!("ui/fail/missing_summary.toml");
}

fn main() {}
