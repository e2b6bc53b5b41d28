mod metrics {
    geno_metrics::registry!("ui/fail/info_misuse.toml");
}

fn main() {
    // `set` takes one value per declared label: `model` and `checkpoint`.
    metrics::MODEL_INFO.set("resnet");
}
