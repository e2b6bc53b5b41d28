mod metrics {
    geno_metrics::registry!("ui/fail/several_errors.toml");
}

fn main() {}
