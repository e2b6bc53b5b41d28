mod metrics {
    geno_metrics::registry!("ui/fail/info_misuse.toml");
}

fn main() {
    // Nothing to count or observe: an info metric has no recording methods.
    metrics::MODEL_INFO.inc();
    metrics::MODEL_INFO.with("resnet", "ckpt-100");
}
