mod metrics {
    geno_metrics::registry!("ui/fail/const_label_env.toml");
}

fn main() {}
