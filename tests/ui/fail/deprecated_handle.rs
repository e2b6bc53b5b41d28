#![deny(deprecated)]

mod metrics {
    geno_metrics::registry!("ui/fail/deprecated_handle.toml");
}

fn main() {
    metrics::QUEUE_ITEMS.set(1.0);
}
