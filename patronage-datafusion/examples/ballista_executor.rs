//! A Ballista executor that knows patronage's functions: its codecs are
//! [`PatronageCodec`] wrapping Ballista's own, so the stages it is sent rebuild
//! `patronage_facts`, `patronage_stats` and `patronage_segment` with their options.
//!
//! ```text
//! cargo run --release -p patronage-datafusion --example ballista_executor -- \
//!     --port FLIGHT_PORT --grpc-port GRPC_PORT --scheduler-port PORT [--work-dir DIR] [--cores N]
//! ```
//!
//! It connects to the scheduler on 127.0.0.1 and runs tasks until killed. With no
//! arguments (or `--help`) it prints this usage and exits 0.

use std::process::ExitCode;
use std::sync::Arc;

use ballista_executor::executor_process::{start_executor_process, ExecutorProcessConfig};

#[path = "common/cli.rs"]
mod cli;

const USAGE: &str = "\
usage: ballista_executor --port FLIGHT_PORT --grpc-port GRPC_PORT --scheduler-port PORT [--work-dir DIR] [--cores N]

A Ballista executor on 127.0.0.1 whose codecs carry patronage's functions.
";

struct Args {
    port: u16,
    grpc_port: u16,
    scheduler_port: u16,
    work_dir: Option<String>,
    cores: usize,
}

fn parse() -> Result<Option<Args>, String> {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    if raw.is_empty() || raw.iter().any(|a| a == "--help" || a == "-h") {
        return Ok(None);
    }
    let (mut port, mut grpc_port, mut scheduler_port, mut work_dir, mut cores) =
        (None, None, None, None, 1);
    let mut it = raw.into_iter();
    while let Some(flag) = it.next() {
        let value = it
            .next()
            .ok_or_else(|| format!("`{flag}` needs a value (see --help)"))?;
        let number = |v: &str| {
            v.parse::<u16>()
                .map_err(|_| format!("`{flag} {v}`: expected a port number"))
        };
        match flag.as_str() {
            "--port" => port = Some(number(&value)?),
            "--grpc-port" => grpc_port = Some(number(&value)?),
            "--scheduler-port" => scheduler_port = Some(number(&value)?),
            "--work-dir" => work_dir = Some(value),
            "--cores" => {
                cores = value.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                    format!("`--cores {value}`: expected a whole number of at least 1")
                })?;
            }
            other => return Err(format!("unknown argument `{other}` (see --help)")),
        }
    }
    match (port, grpc_port, scheduler_port) {
        (Some(port), Some(grpc_port), Some(scheduler_port)) => Ok(Some(Args {
            port,
            grpc_port,
            scheduler_port,
            work_dir,
            cores,
        })),
        _ => Err(
            "`--port`, `--grpc-port` and `--scheduler-port` are required (see --help)".to_owned(),
        ),
    }
}

async fn serve(args: Args) -> Result<(), String> {
    let codec = cli::ballista_codec();
    let config = ExecutorProcessConfig {
        bind_host: "127.0.0.1".to_owned(),
        external_host: Some("127.0.0.1".to_owned()),
        port: args.port,
        grpc_port: args.grpc_port,
        scheduler_host: "127.0.0.1".to_owned(),
        scheduler_port: args.scheduler_port,
        scheduler_connect_timeout_seconds: 30,
        vcores: args.cores,
        work_dir: args.work_dir,
        override_logical_codec: Some(codec.clone()),
        override_physical_codec: Some(codec),
        ..ExecutorProcessConfig::default()
    };
    start_executor_process(Arc::new(config))
        .await
        .map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    cli::run("ballista_executor", USAGE, parse(), serve)
}
