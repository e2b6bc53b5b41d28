mod metrics {
    geno_metrics::registry!("ui/fail/info_errors.toml");
}

fn main() {}
