mod metrics {
    geno_metrics::registry!("ui/fail/const_label_invalid_name.toml");
}

fn main() {}
