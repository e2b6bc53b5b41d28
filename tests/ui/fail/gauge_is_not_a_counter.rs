mod metrics {
    geno_metrics::registry!("ui/fail/gauge_is_not_a_counter.toml");
}

fn main() {
    // A gauge takes f64 values; `inc_by(u64)` is a counter method.
    metrics::QUEUE_ITEMS.inc_by(3);
}
