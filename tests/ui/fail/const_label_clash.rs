mod metrics {
    geno_metrics::registry!("ui/fail/const_label_clash.toml");
}

fn main() {}
