mod metrics {
    geno_metrics::registry!("ui/fail/const_label_le.toml");
}

fn main() {}
