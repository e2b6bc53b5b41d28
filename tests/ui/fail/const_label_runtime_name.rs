mod metrics {
    geno_metrics::registry!("ui/fail/const_label_runtime_name.toml");
}

fn main() {}
