mod metrics {
    geno_metrics::registry!("ui/fail/info_misuse.toml");
}

fn main() {
    // An info metric's value is always 1: `set` takes label values, not a number.
    metrics::MODEL_INFO.set(1.0, "ckpt-100");
}
