//! A Ballista scheduler that knows patronage's functions: its logical and physical
//! codecs are [`PatronageCodec`] wrapping Ballista's own, so a plan that calls
//! `patronage_facts`, `patronage_stats` or `patronage_segment` is read with the
//! functions' options (as-of, currency, config, statistics) and handed to the
//! executors with them. Ballista needs such a custom binary: its stock scheduler has
//! no way to learn a codec.
//!
//! ```text
//! cargo run --release -p patronage-datafusion --example ballista_scheduler -- --port PORT
//! ```
//!
//! It listens on 127.0.0.1:PORT until killed. With no arguments (or `--help`) it prints
//! this usage and exits 0; `scripts/ballista_localhost.sh` starts it with two
//! executors (`ballista_executor`) and runs `ballista_rfm` through them.

use std::process::ExitCode;
use std::sync::Arc;

use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::start_server;

#[path = "common/cli.rs"]
mod cli;

const USAGE: &str = "\
usage: ballista_scheduler --port PORT

A Ballista scheduler on 127.0.0.1:PORT whose codecs carry patronage's functions.
";

fn parse_port() -> Result<Option<u16>, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => Ok(None),
        [flag] if flag == "--help" || flag == "-h" => Ok(None),
        [flag, port] if flag == "--port" => port
            .parse()
            .map(Some)
            .map_err(|_| format!("`--port {port}`: expected a port number")),
        _ => Err(format!(
            "unexpected arguments `{}` (see --help)",
            args.join(" ")
        )),
    }
}

async fn serve(port: u16) -> Result<(), String> {
    let codec = cli::ballista_codec();
    let config = SchedulerConfig {
        bind_host: "127.0.0.1".to_owned(),
        external_host: "127.0.0.1".to_owned(),
        bind_port: port,
        override_logical_codec: Some(codec.clone()),
        override_physical_codec: Some(codec),
        ..SchedulerConfig::default()
    };
    let address = format!("127.0.0.1:{port}")
        .parse()
        .map_err(|e| format!("address: {e}"))?;
    let cluster = BallistaCluster::new_from_config(&config)
        .await
        .map_err(|e| e.to_string())?;
    start_server(cluster, address, Arc::new(config))
        .await
        .map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    cli::run("ballista_scheduler", USAGE, parse_port(), serve)
}
