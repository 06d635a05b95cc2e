//! Runs the `web_backend` example as a real server on the loopback address
//! and talks HTTP to it: a posted inspection comes back as the same report
//! the library gives in-process, invalid input as 400 with diagnostics, and
//! oversized or malformed requests are refused.
//!
//! The test lives in this crate, not in the workspace's integration binary,
//! because `cargo test` builds a package's examples before running its
//! tests; the example binary is then next to this test's own binary.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use hazcheck::{EvalOptions, Inspection, Limits, SourceMap};

/// The server process; killed when the test ends, passing or not.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn example_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    // target/<profile>/deps/web_backend-<hash> → target/<profile>/examples/
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target profile folder");
    let bin = dir
        .join("examples")
        .join(format!("web_backend{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "{} is missing: run the tests with `cargo test -p hazcheck`, which builds the examples",
        bin.display()
    );
    bin
}

fn start() -> Server {
    let mut child = Command::new(example_binary())
        .arg("127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the example");
    let stdout = child.stdout.take().expect("stdout");
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("read the first line");
    let addr = first
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line: {first:?}"))
        .parse()
        .expect("an address");
    Server { child, addr }
}

/// Sends raw request bytes; returns the status and the body.
fn send(addr: SocketAddr, request: &[u8]) -> (u16, String) {
    let mut stream =
        TcpStream::connect_timeout(&addr, Duration::from_secs(10)).expect("connect to the example");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    stream.write_all(request).expect("send");
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .expect("read the response");
    let text = String::from_utf8(response).expect("utf-8 response");
    let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status code");
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .and_then(|v| v.parse().ok())
        .expect("a Content-Length");
    assert_eq!(length, body.len(), "Content-Length matches the body");
    (status, body.to_string())
}

fn post(addr: SocketAddr, path: &str, body: &str) -> (u16, String) {
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/yaml\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    send(addr, request.as_bytes())
}

fn sample() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../rulesets/confined-space/examples/major-gongmao-septic-tank-no-attendant.yaml");
    std::fs::read_to_string(path).expect("sample inspection")
}

fn error_codes(body: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(body).expect("json errors");
    v["errors"]
        .as_array()
        .expect("an errors list")
        .iter()
        .map(|e| e["code"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn a_posted_inspection_gets_the_same_report_as_in_process() {
    let server = start();
    let text = sample();
    let (status, body) = post(server.addr, "/evaluate", &text);
    assert_eq!(status, 200, "{body}");

    let library = hazcheck::builtin::load(Limits::default())
        .library
        .expect("built-in rulesets");
    let mut sources = SourceMap::new();
    let inspection = Inspection::parse(&text, "request", &mut sources, &Limits::default())
        .expect("valid sample");
    let expected = library
        .evaluate(&inspection, &EvalOptions::default())
        .expect("a version in force");
    assert_eq!(body, expected.to_json());
    let report: serde_json::Value = serde_json::from_str(&body).expect("json report");
    assert_eq!(report["verdict"], "major");

    let (status, explained) = post(server.addr, "/evaluate?explain=true", &text);
    assert_eq!(status, 200);
    let explained: serde_json::Value = serde_json::from_str(&explained).expect("json");
    assert!(
        explained["explanations"].is_array(),
        "explanations asked for"
    );
    assert!(report.get("explanations").is_none(), "and only then");
}

#[test]
fn invalid_inspections_get_400_with_diagnostics() {
    let server = start();
    let (status, body) = post(
        server.addr,
        "/evaluate",
        "ruleset: confined-space\nanswers: {}\n",
    );
    assert_eq!(status, 400);
    assert_eq!(error_codes(&body), ["E0102"], "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["errors"][0]["file"], "request");
    assert!(
        v["errors"][0]["line"].as_u64().is_some_and(|l| l > 0),
        "{body}"
    );

    let (status, body) = post(
        server.addr,
        "/evaluate",
        "ruleset: nothing\ndate: 2025-01-01\n",
    );
    assert_eq!(status, 400);
    assert_eq!(error_codes(&body), ["E0507"], "{body}");

    let (status, body) = post(
        server.addr,
        "/evaluate",
        "ruleset: confined-space\ndate: 1999-01-01\n",
    );
    assert_eq!(status, 400);
    assert_eq!(error_codes(&body), ["E0508"], "{body}");
}

#[test]
fn requests_are_bounded_and_routed() {
    let server = start();
    let too_big = Limits::default().max_inspection_bytes + 1;
    // The server answers from the head alone, without waiting for a body
    // it will not read.
    let (status, _) = send(
        server.addr,
        format!("POST /evaluate HTTP/1.1\r\nContent-Length: {too_big}\r\n\r\n").as_bytes(),
    );
    assert_eq!(status, 413);
    let (status, _) = send(server.addr, b"POST /evaluate HTTP/1.1\r\n\r\n");
    assert_eq!(status, 411);
    let long_header = format!(
        "GET /rulesets HTTP/1.1\r\nX-Pad: {}\r\n\r\n",
        "a".repeat(20_000)
    );
    let (status, _) = send(server.addr, long_header.as_bytes());
    assert_eq!(status, 431);
    let (status, _) = send(server.addr, b"GET /evaluate HTTP/1.1\r\n\r\n");
    assert_eq!(status, 405);
    let (status, _) = send(server.addr, b"GET /elsewhere HTTP/1.1\r\n\r\n");
    assert_eq!(status, 404);

    let (status, body) = send(server.addr, b"GET /rulesets HTTP/1.1\r\n\r\n");
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    let ids: Vec<&str> = v["rulesets"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert!(ids.contains(&"confined-space"), "{ids:?}");
}

#[test]
fn concurrent_requests_share_one_library() {
    let server = start();
    let text = sample();
    let addr = server.addr;
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let text = text.clone();
            std::thread::spawn(move || post(addr, "/evaluate", &text))
        })
        .collect();
    let bodies: Vec<String> = handles
        .into_iter()
        .map(|h| {
            let (status, body) = h.join().expect("client thread");
            assert_eq!(status, 200, "{body}");
            body
        })
        .collect();
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "every worker gives the same report"
    );
}
