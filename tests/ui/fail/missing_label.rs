mod metrics {
    geno_metrics::registry!("ui/fail/missing_label.toml");
}
use metrics::{Phase, STEP_DURATION_SECONDS};

fn main() {
    STEP_DURATION_SECONDS.with(Phase::Train).observe(1.0);
}
