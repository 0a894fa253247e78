//! What the examples' `main`s share: the usage text on `--help`, an error on stderr after
//! the example's name with a failing exit status, a closed stdout taken as the end of
//! the output, and the Tokio runtime the job runs on; and the codec every Ballista
//! process of the examples carries.

#![allow(dead_code)]

use std::future::Future;
use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;

use ballista_core::serde::{BallistaLogicalExtensionCodec, BallistaPhysicalExtensionCodec};
use patronage_datafusion::PatronageCodec;

/// Runs `job` on a multi-threaded Tokio runtime with the arguments `parsed` from the
/// command line (`None` for `--help`, which prints `usage`).
pub(crate) fn run<A, F>(
    name: &str,
    usage: &str,
    parsed: Result<Option<A>, String>,
    job: impl FnOnce(A) -> F,
) -> ExitCode
where
    F: Future<Output = Result<(), String>>,
{
    let args = match parsed {
        Ok(Some(args)) => args,
        Ok(None) => {
            // A closed stdout is not an error of the example.
            let _ = std::io::stdout().write_all(usage.as_bytes());
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("{name}: {message}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("{name}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(job(args)) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed stdout (`| head`) is not an error of the job.
        Err(message) if message.contains("Broken pipe") => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{name}: {message}");
            ExitCode::FAILURE
        }
    }
}

/// patronage's codec over Ballista's own: what the scheduler, the executors and the
/// client all need to ship plans with patronage's functions.
pub(crate) fn ballista_codec() -> Arc<PatronageCodec> {
    Arc::new(PatronageCodec::wrapping(
        Arc::new(BallistaLogicalExtensionCodec::default()),
        Arc::new(BallistaPhysicalExtensionCodec::default()),
    ))
}
