mod metrics {
    geno_metrics::registry!("ui/fail/label_errors.toml");
}

fn main() {}
