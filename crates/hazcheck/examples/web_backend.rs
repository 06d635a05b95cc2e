//! A minimal web back end: a field app posts an inspection, the server
//! answers with its report as JSON.
//!
//! Run it with `cargo run -p hazcheck --example web_backend [ADDR]` (the
//! default address is `127.0.0.1:8080`; port 0 picks a free one). The first
//! line it prints is `listening on http://ADDR`. Then:
//!
//! ```text
//! curl --data-binary @rulesets/confined-space/examples/major-gongmao-septic-tank-no-attendant.yaml \
//!     http://127.0.0.1:8080/evaluate
//! ```
//!
//! - `POST /evaluate` with an inspection (YAML or JSON) as the body answers
//!   200 with the report (`hazcheck schema report`), or 400 with
//!   `{"errors": [...]}` when the inspection is invalid or names no ruleset
//!   version in force on its date. `?explain=true` adds the explanations.
//! - `GET /rulesets` lists the loaded rulesets and versions.
//!
//! Only the standard library is used, to show what the library needs and
//! nothing more; a real service would put the same few calls behind its own
//! HTTP framework. The rulesets are compiled once at start and shared by
//! every worker through an `Arc`: a compiled library is immutable,
//! `Send + Sync`, and evaluation takes no lock. Requests are bounded (header
//! and body sizes, read timeouts, a fixed pool of workers with a bounded
//! queue) so that no client can exhaust the server.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use hazcheck::{EvalOptions, Inspection, Library, Limits, SourceMap};

/// Longest request line plus headers, in bytes.
const MAX_HEAD: usize = 16 * 1024;
/// Connections waiting for a worker before new ones are turned away with 503.
const QUEUE: usize = 64;
/// Most bytes read and dropped after refusing a request.
const LINGER_BYTES: u64 = 64 * 1024;
/// How long one read or write may wait for the client.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_string());
    let outcome = hazcheck::builtin::load(Limits::default());
    let library = Arc::new(outcome.library.ok_or("the built-in rulesets have errors")?);
    let listener = TcpListener::bind(&addr)?;
    // The first line tells scripts and tests where to connect when the port
    // was chosen by the system.
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on http://{}", listener.local_addr()?)?;
    stdout.flush()?;
    drop(stdout);
    serve(listener, library)
}

/// Accepts connections and hands them to a fixed pool of workers.
fn serve(listener: TcpListener, library: Arc<Library>) -> Result<(), Box<dyn std::error::Error>> {
    let (sender, receiver): (SyncSender<TcpStream>, Receiver<TcpStream>) = sync_channel(QUEUE);
    let receiver = Arc::new(Mutex::new(receiver));
    let workers = thread::available_parallelism().map_or(2, |n| n.get());
    for _ in 0..workers {
        let receiver = Arc::clone(&receiver);
        let library = Arc::clone(&library);
        thread::spawn(move || {
            loop {
                // The lock is held only while taking a connection, never
                // while evaluating.
                let next = match receiver.lock() {
                    Ok(r) => r.recv(),
                    Err(_) => return,
                };
                let Ok(stream) = next else { return };
                handle(stream, &library);
            }
        });
    }
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        match sender.try_send(stream) {
            Ok(()) => {}
            Err(TrySendError::Full(mut stream)) => {
                let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
                let _ = respond(
                    &mut stream,
                    503,
                    &error_body("the server is busy; try again"),
                );
            }
            Err(TrySendError::Disconnected(_)) => return Err("every worker has stopped".into()),
        }
    }
    Ok(())
}

/// A parsed request: what this server needs of HTTP/1.1 and nothing more.
struct Request {
    method: String,
    path: String,
    query: String,
    body: Vec<u8>,
}

/// Why a request could not be read, as the response to send.
struct Reject(u16, String);

fn handle(mut stream: TcpStream, library: &Library) {
    // A client that stops sending or stops reading cannot hold a worker
    // for longer than this per read or write.
    let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
    let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
    match read_request(&stream) {
        Ok(req) => {
            let (status, body) = route(&req, library);
            let _ = respond(&mut stream, status, &body);
        }
        Err(Reject(status, message)) => {
            let _ = respond(&mut stream, status, &error_body(&message));
            linger(&stream);
        }
    }
}

/// Closing a socket with unread input resets the connection, which can
/// destroy the response before the client reads it. After refusing a
/// request, read what the client still sends, within bounds, then close.
fn linger(stream: &TcpStream) {
    let _ = stream.shutdown(Shutdown::Write);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    let _ = std::io::copy(&mut stream.take(LINGER_BYTES), &mut std::io::sink());
}

fn route(req: &Request, library: &Library) -> (u16, String) {
    match (req.method.as_str(), req.path.as_str()) {
        ("POST", "/evaluate") => evaluate(req, library),
        ("GET", "/rulesets") => (200, rulesets(library)),
        (_, "/evaluate" | "/rulesets") => (405, error_body("method not allowed")),
        _ => (404, error_body("no such resource")),
    }
}

/// Parses, evaluates and serializes one inspection. Everything here is the
/// library's public API; the rest of this file is plumbing.
fn evaluate(req: &Request, library: &Library) -> (u16, String) {
    let Ok(text) = std::str::from_utf8(&req.body) else {
        return (400, error_body("the body is not UTF-8"));
    };
    let limits = Limits::default();
    let mut sources = SourceMap::new();
    let inspection = match Inspection::parse(text, "request", &mut sources, &limits) {
        Ok(i) => i,
        Err(diagnostics) => {
            let records: Vec<_> = diagnostics.iter().map(|d| d.to_record(&sources)).collect();
            let body = serde_json::json!({ "errors": records });
            return (400, format!("{body}\n"));
        }
    };
    let options = EvalOptions {
        explain: req.query.split('&').any(|p| p == "explain=true"),
    };
    match library.evaluate(&inspection, &options) {
        Ok(report) => (200, report.to_json()),
        Err(e) => {
            let body = serde_json::json!({
                "errors": [{ "code": e.code(), "message": e.to_string() }]
            });
            (400, format!("{body}\n"))
        }
    }
}

fn rulesets(library: &Library) -> String {
    let list: Vec<_> = library
        .ids()
        .map(|id| {
            let versions: Vec<_> = library
                .versions(id)
                .iter()
                .map(|v| {
                    let info = v.info();
                    serde_json::json!({
                        "version": info.version,
                        "from": info.effective_from,
                        "to": info.effective_to,
                    })
                })
                .collect();
            serde_json::json!({ "id": id, "versions": versions })
        })
        .collect();
    format!("{}\n", serde_json::json!({ "rulesets": list }))
}

fn read_request(stream: &TcpStream) -> Result<Request, Reject> {
    let mut reader = BufReader::new(stream.take(MAX_HEAD as u64));
    let mut request_line = String::new();
    read_line(&mut reader, &mut request_line)?;
    let mut parts = request_line.split_whitespace();
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(Reject(400, "malformed request line".into()));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(Reject(505, "only HTTP/1.x is spoken here".into()));
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut length: Option<usize> = None;
    loop {
        let mut line = String::new();
        read_line(&mut reader, &mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(Reject(400, "malformed header".into()));
        };
        let (name, value) = (name.trim(), value.trim());
        if name.eq_ignore_ascii_case("content-length") {
            let n = value
                .parse()
                .map_err(|_| Reject(400, "invalid Content-Length".into()))?;
            length = Some(n);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(Reject(
                411,
                "send a Content-Length, not a chunked body".into(),
            ));
        }
    }
    // Bodies larger than the library would parse are refused before they
    // are read.
    let max_body = Limits::default().max_inspection_bytes;
    let body = match (method, length) {
        ("POST", None) => return Err(Reject(411, "a POST needs a Content-Length".into())),
        (_, Some(n)) if n > max_body => {
            return Err(Reject(
                413,
                format!("the body is {n} bytes, more than the limit of {max_body} bytes"),
            ));
        }
        (_, Some(n)) => {
            // The head is read through a bounded reader; the body gets its
            // own bound, the announced length.
            let buffered = reader.buffer().to_vec();
            let mut body = buffered;
            body.truncate(n);
            let rest = n - body.len();
            let mut tail = Vec::with_capacity(rest);
            reader
                .into_inner()
                .into_inner()
                .take(rest as u64)
                .read_to_end(&mut tail)
                .map_err(|_| Reject(408, "the body was not received in time".into()))?;
            if tail.len() < rest {
                return Err(Reject(
                    400,
                    "the body is shorter than its Content-Length".into(),
                ));
            }
            body.extend(tail);
            body
        }
        (_, None) => Vec::new(),
    };
    Ok(Request {
        method: method.to_string(),
        path: path.to_string(),
        query: query.to_string(),
        body,
    })
}

fn read_line(reader: &mut impl BufRead, line: &mut String) -> Result<(), Reject> {
    match reader.read_line(line) {
        Ok(0) => Err(Reject(400, "the request ended early".into())),
        Ok(_) if !line.ends_with('\n') => Err(Reject(431, "the request head is too long".into())),
        Ok(_) => Ok(()),
        Err(_) => Err(Reject(408, "the request was not received in time".into())),
    }
}

fn error_body(message: &str) -> String {
    format!(
        "{}\n",
        serde_json::json!({ "errors": [{ "message": message }] })
    )
}

fn respond(stream: &mut TcpStream, status: u16, body: &str) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Error",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    stream.flush()
}
