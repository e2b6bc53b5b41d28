mod metrics {
    geno_metrics::registry!("ui/fail/const_label_without_env.toml");
}

fn main() {}
