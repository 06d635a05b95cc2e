//! `hazcheck batch`: NDJSON inspections in, one NDJSON record per line out.
//!
//! Lines are read in chunks (at most [`CHUNK_LINES`] lines or
//! [`CHUNK_BYTES`] bytes) on a reader thread; each chunk is evaluated on
//! every core while the next one is read, and its records are written in
//! input order, the whole chunk with one write. Memory stays flat whatever
//! the input size: three chunks of input and one of output at most.
//!
//! Interrupting (SIGINT, Ctrl-C) stops reading; the chunk being evaluated
//! is finished and written whole, then the summary says where it stopped
//! and the exit code is 130. The handler is needed for that promise: killed by
//! the default action, a process can leave a line half-written, because a
//! write to a pipe or a large write to a file can be cut short by a fatal
//! signal. A second Ctrl-C exits at once.

use std::fs::File;
use std::io::{BufReader, IsTerminal, Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use hazcheck::batch::{Batch, Line, LineReader, Record};
use hazcheck::{EvalOptions, Limits, Verdict};
use rayon::prelude::*;

/// Most lines evaluated together.
const CHUNK_LINES: usize = 1_024;
/// Most input bytes held in one chunk.
const CHUNK_BYTES: usize = 16 << 20;
/// The exit code of a run stopped by SIGINT (128 + 2, as shells report it).
const EXIT_INTERRUPTED: u8 = 130;

/// What `hazcheck batch` was asked to do.
pub struct BatchArgs<'a> {
    pub ruleset: &'a str,
    pub input: Option<&'a Path>,
    pub explain: bool,
    pub jobs: Option<usize>,
    pub limits: Limits,
}

/// Runs a batch; the result is the exit code: 0 when every line gave a
/// report, 1 when some gave errors, 130 when interrupted.
pub fn run(args: BatchArgs<'_>, out: &mut dyn Write) -> Result<u8> {
    let library = crate::cli::load_ruleset_with(args.ruleset, &args.limits)?;
    let (source, size): (Box<dyn Read + Send>, Option<u64>) = match args.input {
        None => (Box::new(std::io::stdin()), None),
        Some(p) if p == Path::new("-") => (Box::new(std::io::stdin()), None),
        Some(p) => {
            let f = File::open(p).with_context(|| format!("cannot read {}", p.display()))?;
            let size = f.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
            (Box::new(f), size)
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    // The first SIGINT sets the flag; a second one, with the flag already
    // set, exits at once.
    signal_hook::flag::register_conditional_shutdown(
        signal_hook::consts::SIGINT,
        i32::from(EXIT_INTERRUPTED),
        Arc::clone(&stop),
    )
    .context("cannot install the SIGINT handler")?;
    signal_hook::flag::register(signal_hook::consts::SIGINT, Arc::clone(&stop))
        .context("cannot install the SIGINT handler")?;

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.unwrap_or(0))
        // Readers and decoders recurse once per nesting level; debug
        // builds need more than the 2 MiB threads get by default (the
        // library would start a thread of its own per deep line).
        .stack_size(16 << 20)
        .build()
        .context("cannot start the worker threads")?;
    let batch = Batch::new(
        &library,
        args.limits.clone(),
        EvalOptions {
            explain: args.explain,
        },
    );

    // Input is read on its own thread, one chunk ahead of evaluation; the
    // channel holds one chunk, which bounds memory. A read blocked on a
    // slow producer (or a terminal) then never keeps an interrupt waiting.
    // Each chunk comes with the input offset where it ends, so that the
    // progress bar counts what has been written, not what has been read.
    let (tx, rx) = mpsc::sync_channel::<std::io::Result<(Vec<(u64, Line)>, u64)>>(1);
    {
        let stop = Arc::clone(&stop);
        let max_len = args.limits.max_inspection_bytes;
        // A file is read in full chunks; a pipe or a terminal hands over
        // what it has as soon as it has no more for now, so that records
        // of a slow stream come out as its lines come in.
        let streaming = size.is_none();
        std::thread::Builder::new()
            .name("hazcheck-batch-reader".into())
            .spawn(move || {
                let mut reader =
                    LineReader::new(BufReader::with_capacity(1 << 16, source), max_len);
                loop {
                    let chunk =
                        read_chunk(&mut reader, &stop, streaming).map(|c| (c, reader.bytes_read()));
                    let last = !matches!(&chunk, Ok((c, _)) if !c.is_empty());
                    if tx.send(chunk).is_err() || last {
                        break;
                    }
                }
            })
            .context("cannot start the reader thread")?;
    }

    let mut progress = Progress::new(size);
    let mut tally = Tally::default();
    let mut bytes_done = 0;
    while !stop.load(Ordering::Relaxed) {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(Ok((chunk, _))) if chunk.is_empty() => break,
            Ok(Ok((chunk, end))) => {
                let text = pool.install(|| evaluate(&batch, &chunk, &mut tally));
                out.write_all(text.as_bytes())?;
                out.flush()?;
                bytes_done = end;
            }
            Ok(Err(e)) => return Err(e).context("cannot read the input"),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        progress.update(&tally, bytes_done);
    }
    progress.clear();
    let interrupted = stop.load(Ordering::Relaxed);
    let mut err = std::io::stderr().lock();
    writeln!(err, "{}", tally.summary(interrupted))?;
    Ok(if interrupted {
        EXIT_INTERRUPTED
    } else {
        u8::from(tally.errors > 0)
    })
}

/// Reads up to one chunk of lines. Stops early when a stop was requested
/// and, when `streaming`, as soon as no more input is buffered.
fn read_chunk<R: Read>(
    reader: &mut LineReader<BufReader<R>>,
    stop: &AtomicBool,
    streaming: bool,
) -> std::io::Result<Vec<(u64, Line)>> {
    let mut chunk = Vec::new();
    let mut bytes = 0usize;
    while chunk.len() < CHUNK_LINES && bytes < CHUNK_BYTES {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        match reader.next() {
            None => break,
            Some(Ok((n, line))) => {
                if let Line::Bytes(b) = &line {
                    bytes += b.len();
                }
                chunk.push((n, line));
                if streaming && reader.get_ref().buffer().is_empty() {
                    break;
                }
            }
            Some(Err(e)) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Some(Err(e)) => return Err(e),
        }
    }
    Ok(chunk)
}

/// Evaluates a chunk on the pool and renders its records, in input order.
///
/// Each worker also writes its record as JSON: rendering a report takes
/// about as long as evaluating it, and done on one thread it would keep
/// the others waiting. Only the verdicts come back for the tally.
fn evaluate(batch: &Batch<'_>, chunk: &[(u64, Line)], tally: &mut Tally) -> String {
    let records: Vec<(Option<Verdict>, String)> = chunk
        .par_iter()
        .map(|(n, line)| {
            let r: Record = batch.evaluate(*n, line);
            (r.verdict(), r.to_json_line())
        })
        .collect();
    let mut text = String::with_capacity(records.iter().map(|(_, t)| t.len()).sum());
    for (verdict, line) in &records {
        tally.add(*verdict);
        text.push_str(line);
    }
    text
}

/// Counts for the summary and the progress bar.
#[derive(Default)]
struct Tally {
    lines: u64,
    errors: u64,
    clear: u64,
    incomplete: u64,
    ordinary: u64,
    major: u64,
}

impl Tally {
    fn add(&mut self, verdict: Option<Verdict>) {
        self.lines += 1;
        match verdict {
            None => self.errors += 1,
            Some(Verdict::Clear) => self.clear += 1,
            Some(Verdict::Incomplete) => self.incomplete += 1,
            Some(Verdict::Ordinary) => self.ordinary += 1,
            Some(Verdict::Major) => self.major += 1,
        }
    }

    fn reports(&self) -> u64 {
        self.lines - self.errors
    }

    fn summary(&self, interrupted: bool) -> String {
        format!(
            "batch: {}{} {}: {} {} ({} major, {} ordinary, {} incomplete, {} clear), {} {}",
            if interrupted {
                "interrupted after "
            } else {
                ""
            },
            self.lines,
            plural(self.lines, "line", "lines"),
            self.reports(),
            plural(self.reports(), "report", "reports"),
            self.major,
            self.ordinary,
            self.incomplete,
            self.clear,
            self.errors,
            plural(self.errors, "error", "errors"),
        )
    }
}

fn plural(n: u64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

/// A one-line progress display on standard error, shown only when it is a
/// terminal, and redrawn at most ten times a second.
struct Progress {
    enabled: bool,
    size: Option<u64>,
    started: Instant,
    last: Option<Instant>,
}

impl Progress {
    fn new(size: Option<u64>) -> Progress {
        Progress {
            enabled: std::io::stderr().is_terminal(),
            size,
            started: Instant::now(),
            last: None,
        }
    }

    fn update(&mut self, tally: &Tally, bytes: u64) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        if self
            .last
            .is_some_and(|l| now.duration_since(l) < Duration::from_millis(100))
        {
            return;
        }
        self.last = Some(now);
        let secs = now.duration_since(self.started).as_secs_f64().max(1e-3);
        let mut line = String::new();
        if let Some(size) = self.size.filter(|s| *s > 0) {
            let pct = (bytes as f64 / size as f64 * 100.0).min(100.0);
            let filled = (pct / 5.0) as usize;
            line.push_str(&format!(
                "[{}{}] {pct:5.1}% ",
                "#".repeat(filled),
                "-".repeat(20 - filled.min(20))
            ));
        }
        line.push_str(&format!(
            "{} lines, {} errors, {:.0} lines/s",
            tally.lines,
            tally.errors,
            tally.lines as f64 / secs
        ));
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[K{line}");
        let _ = err.flush();
    }

    fn clear(&self) {
        if self.enabled && self.last.is_some() {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[K");
            let _ = err.flush();
        }
    }
}
