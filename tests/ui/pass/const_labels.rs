//! A registry with constant labels, under `#![deny(warnings)]`: the generated table carries
//! them, `set_const_labels` fills the one without a default, and every series shows both.
#![deny(warnings, missing_docs, unused)]

/// The generated handles.
pub mod metrics {
    geno_metrics::registry!("ui/pass/const_labels.toml");
}

use geno_metrics::{ConstLabelError, ConstLabelSpec};
use metrics::{METRICS, Phase, STEP_DURATION_SECONDS, STEPS_TOTAL};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    assert_eq!(
        METRICS.const_label_specs(),
        [
            ConstLabelSpec::new("rank", "APP_UI_RANK").with_default("0"),
            ConstLabelSpec::new("run", "APP_UI_RUN_ID"),
        ]
    );
    METRICS.set_const_labels(&[("run", "r1")])?;
    STEPS_TOTAL.inc();
    STEP_DURATION_SECONDS.with(Phase::Train).observe(0.5);
    let mut text = Vec::new();
    METRICS.encode_text(&mut text)?;
    let text = String::from_utf8(text)?;
    assert!(text.contains("\napp_steps_total{rank=\"0\",run=\"r1\"} 1\n"), "{text}");
    assert!(
        text.contains("\napp_step_duration_seconds_bucket{rank=\"0\",run=\"r1\",phase=\"train\",le=\"1\"} 1\n"),
        "{text}"
    );
    assert!(matches!(
        METRICS.set_const_labels(&[("run", "r2")]),
        Err(ConstLabelError::Frozen { .. })
    ));
    Ok(())
}
