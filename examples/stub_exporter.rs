//! Test-only stand-in for dcgm-exporter and all-smi, which need a GPU (and
//! DCGM) to run: a binary that takes each one's real command line as
//! aami's run templates pass it, and serves a real capture of that
//! exporter's /metrics page. Standard library only, so a test builds it
//! with `rustc` alone (tests/install_gpu_exporters.rs).
//!
//! - `stub_exporter -a :PORT` (or `--address :PORT`): dcgm-exporter's flag
//!   (default `:9400`); serves a real dcgm-exporter scrape of one NVIDIA L4.
//! - `stub_exporter api --port PORT [--interval N]`: all-smi's API mode;
//!   serves all-smi 0.28.1's page (its mock server's values, real format).
//! - `--version`: prints the version it was built to claim.
//!
//! Any other argument is refused (exit 2, on stderr), so a template that
//! passes the wrong flags fails the install instead of passing unseen.

use std::io::{Read, Write};
use std::net::TcpListener;

const DCGM_PAGE: &str =
    include_str!("../tests/fixtures/dcgm/cncf-aiconf_kops_L4x1_dcgm-exporter_metrics.prom");
const ALL_SMI_PAGE: &str = include_str!(
    "../tests/fixtures/all_smi/allsmi-mock-0.28.1_nvidia_processes-topology-hwdetails.prom"
);

/// The version `--version` claims: set when the test builds it.
const VERSION: &str = match option_env!("STUB_EXPORTER_VERSION") {
    Some(v) => v,
    None => "0.0.0-stub",
};

fn refuse(why: String) -> ! {
    eprintln!("stub_exporter: {why}");
    std::process::exit(2);
}

/// The port and the page its command line asks for.
fn parse(args: &[String]) -> (u16, &'static str) {
    let port_of = |s: &str| -> u16 {
        s.parse()
            .unwrap_or_else(|_| refuse(format!("{s:?} is not a port")))
    };
    match args {
        [flag, addr] if flag == "-a" || flag == "--address" => {
            let Some(port) = addr.strip_prefix(':') else {
                refuse(format!("{addr:?}: dcgm-exporter's address is [host]:port"));
            };
            (port_of(port), DCGM_PAGE)
        }
        [api, port_flag, port, rest @ ..] if api == "api" && port_flag == "--port" => {
            match rest {
                [] => {}
                [i, n] if i == "--interval" && n.parse::<u32>().is_ok() => {}
                other => refuse(format!("all-smi api: unexpected arguments {other:?}")),
            }
            (port_of(port), ALL_SMI_PAGE)
        }
        other => refuse(format!(
            "unexpected arguments {other:?}: want `-a :PORT` (dcgm-exporter) or `api --port PORT` (all-smi)"
        )),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--version") {
        println!("stub_exporter {VERSION}");
        return;
    }
    let (port, page) = parse(&args);
    let listener = TcpListener::bind(("0.0.0.0", port))
        .unwrap_or_else(|e| refuse(format!("cannot listen on :{port}: {e}")));
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        // One request per connection; the request itself does not matter.
        let mut buf = [0u8; 4096];
        let _ = stream.read(&mut buf);
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            page.len()
        );
        let _ = stream
            .write_all(head.as_bytes())
            .and_then(|_| stream.write_all(page.as_bytes()));
    }
}
