mod metrics {
    geno_metrics::registry!("ui/fail/renamed_metric.toml");
}

fn main() {
    // `app_jobs_total` was renamed to `app_jobs_done_total`: the old handle is gone.
    metrics::JOBS_TOTAL.inc();
}
