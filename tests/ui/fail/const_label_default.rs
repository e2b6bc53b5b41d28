mod metrics {
    geno_metrics::registry!("ui/fail/const_label_default.toml");
}

fn main() {}
