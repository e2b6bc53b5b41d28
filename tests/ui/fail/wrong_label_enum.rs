mod metrics {
    geno_metrics::registry!("ui/fail/wrong_label_enum.toml");
}
use metrics::{Phase, Status, STEP_DURATION_SECONDS};

fn main() {
    // Arguments in the wrong order: each label has its own enum.
    STEP_DURATION_SECONDS.with(Status::Ok, Phase::Train).observe(1.0);
}
