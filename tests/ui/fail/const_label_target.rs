mod metrics {
    geno_metrics::registry!("ui/fail/const_label_target.toml");
}

fn main() {}
