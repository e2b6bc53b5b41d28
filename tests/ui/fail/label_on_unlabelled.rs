mod metrics {
    geno_metrics::registry!("ui/fail/label_on_unlabelled.toml");
}
use metrics::{Phase, JOBS_TOTAL};

fn main() {
    JOBS_TOTAL.with(Phase::Train).inc();
}
