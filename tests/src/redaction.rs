//! GenoLeWM's log-redaction filter: it masks nucleotide sequences and
//! sample identifiers in log lines and keeps its own per-thread counts. It knows nothing of
//! geno-metrics; `training_job::sync_redaction_counter` brings its counts into the registry.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// Runs of at least this many nucleotide symbols are treated as sequence data.
const MIN_SEQUENCE: usize = 12;
/// What replaces a masked fragment.
const MASK: &str = "[REDACTED]";

/// Every thread's counter, kept after the thread ends so its counts are never lost.
static COUNTERS: Mutex<Vec<Arc<AtomicU64>>> = Mutex::new(Vec::new());

thread_local! {
    /// This thread's counter: written only by this thread, so updates never contend.
    static LOCAL: OnceCell<Arc<AtomicU64>> = const { OnceCell::new() };
}

fn count_on_this_thread() {
    LOCAL.with(|cell| {
        cell.get_or_init(|| {
            let counter = Arc::new(AtomicU64::new(0));
            COUNTERS
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(Arc::clone(&counter));
            counter
        })
        .fetch_add(1, Ordering::Relaxed);
    });
}

/// Log lines redacted so far, summed over every thread that ever redacted one.
pub fn total_redactions() -> u64 {
    COUNTERS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .map(|c| c.load(Ordering::Relaxed))
        .sum()
}

/// Masks sequence fragments (`MIN_SEQUENCE` or more of `ACGTN`, either case) and sample ids
/// (`SAMPLE-` followed by digits). A line with anything masked counts as one redaction.
pub fn redact(line: &str) -> Cow<'_, str> {
    let mut out = String::new();
    let mut copied = 0;
    let mut i = 0;
    let bytes = line.as_bytes();
    while i < bytes.len() {
        let end = sequence_end(bytes, i).or_else(|| sample_id_end(bytes, i));
        match end {
            Some(end) => {
                out.push_str(&line[copied..i]);
                out.push_str(MASK);
                copied = end;
                i = end;
            }
            None => i += 1,
        }
    }
    if copied == 0 {
        return Cow::Borrowed(line);
    }
    out.push_str(&line[copied..]);
    count_on_this_thread();
    Cow::Owned(out)
}

fn sequence_end(bytes: &[u8], start: usize) -> Option<usize> {
    let is_base = |b: &u8| b"ACGTNacgtn".contains(b);
    if start > 0 && bytes[start - 1].is_ascii_alphanumeric() {
        return None;
    }
    let run = bytes[start..].iter().take_while(|b| is_base(b)).count();
    let end = start + run;
    let whole_word = bytes.get(end).is_none_or(|b| !b.is_ascii_alphanumeric());
    (run >= MIN_SEQUENCE && whole_word).then_some(end)
}

fn sample_id_end(bytes: &[u8], start: usize) -> Option<usize> {
    let rest = bytes[start..].strip_prefix(b"SAMPLE-")?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    (digits > 0).then_some(start + b"SAMPLE-".len() + digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_sequences_and_sample_ids_and_counts_lines() {
        let before = total_redactions();
        assert_eq!(redact("step 3 ok"), "step 3 ok");
        assert_eq!(
            redact("read ACGTACGTACGTAC from SAMPLE-0042"),
            "read [REDACTED] from [REDACTED]"
        );
        assert_eq!(redact("gene ACGT is short"), "gene ACGT is short");
        assert_eq!(
            redact("XACGTACGTACGTACGT"),
            "XACGTACGTACGTACGT",
            "inside a word"
        );
        let other = std::thread::spawn(|| redact("SAMPLE-7 failed").into_owned());
        assert_eq!(other.join().unwrap(), "[REDACTED] failed");
        // Two lines redacted, on two threads; the ended thread's count is kept.
        assert!(total_redactions() >= before + 2);
    }
}
