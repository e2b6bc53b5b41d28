mod metrics {
    geno_metrics::registry!("ui/fail/const_label_unknown_key.toml");
}

fn main() {}
