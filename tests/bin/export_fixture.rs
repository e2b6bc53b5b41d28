//! A separate process that exports the GenoLeWM registry, for the textfile tests:
//!
//! ```text
//! export_fixture once PATH           export once; prints `ok` or `error: MESSAGE`
//! export_fixture after-stdin PATH    wait for one line on stdin, then as `once`
//! export_fixture loop PATH COUNT     export COUNT times, changing values between exports
//! export_fixture spin PATH            as `loop`, forever, until killed (the crash test);
//!                                     prints `exported` after its first export
//! export_fixture default             export to the default path; prints `ok PATH`
//! export_fixture periodic PATH       run the periodic exporter for 3 ticks of 20 ms, then drop
//!                                     it (its final export); failures go to stderr
//! ```
//!
//! Its first export uses the temporary name `.<file>.<pid>.0.tmp`, which lets a test plant
//! something at that name before letting it go.

use std::io::BufRead;
use std::path::Path;
use std::process::ExitCode;

use geno_metrics_tests::genolewm::{
    METRICS, Phase, TRAIN_LOSS, TRAIN_STEP_DURATION_SECONDS, TRAIN_STEPS_TOTAL,
};

fn export(path: &Path) -> ExitCode {
    match METRICS.export_prometheus_textfile(Some(path)) {
        Ok(_) => {
            println!("ok");
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The `i`-th round of `loop` and `spin`: after round `i` the step counter and the train
/// phase's step-duration count are both `i + 1`, in every file it writes.
fn record_and_export(i: u64, path: &Path) -> std::io::Result<std::path::PathBuf> {
    TRAIN_STEPS_TOTAL.inc();
    TRAIN_LOSS.set(1.0 / (i + 1) as f64);
    TRAIN_STEP_DURATION_SECONDS
        .with(Phase::Train)
        .observe(i as f64 / 100.0);
    METRICS.export_prometheus_textfile(Some(path))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["once", path] => export(Path::new(path)),
        ["default"] => match METRICS.export_prometheus_textfile(None) {
            Ok(path) => {
                println!("ok {}", path.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                println!("error: {e}");
                ExitCode::FAILURE
            }
        },
        ["after-stdin", path] => {
            let mut line = String::new();
            if std::io::stdin().lock().read_line(&mut line).is_err() {
                return ExitCode::from(2);
            }
            export(Path::new(path))
        }
        ["loop", path, count] => {
            let Ok(count) = count.parse::<u64>() else {
                return ExitCode::from(2);
            };
            for i in 0..count {
                if let Err(e) = record_and_export(i, Path::new(path)) {
                    println!("error: {e}");
                    return ExitCode::FAILURE;
                }
            }
            println!("ok");
            ExitCode::SUCCESS
        }
        ["periodic", path] => {
            let exporter = METRICS.spawn_textfile_exporter(
                Some(Path::new(path)),
                std::time::Duration::from_millis(20),
            );
            std::thread::sleep(std::time::Duration::from_millis(70));
            drop(exporter);
            ExitCode::SUCCESS
        }
        ["spin", path] => {
            for i in 0.. {
                if let Err(e) = record_and_export(i, Path::new(path)) {
                    println!("error: {e}");
                    return ExitCode::FAILURE;
                }
                if i == 0 {
                    println!("exported");
                }
            }
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!(
                "usage: export_fixture once|after-stdin|spin|periodic PATH | loop PATH COUNT | default"
            );
            ExitCode::from(2)
        }
    }
}
