//! The `hazcheck` command: check rulesets, run their tests, evaluate
//! inspections, compare versions.
//!
//! `main` only maps outcomes to exit codes: 0 when all is well, 1 when a
//! check found errors, a test failed or a verdict reached `--fail-on`, and 2
//! for usage, input and I/O errors.

mod batch_cmd;
mod cli;
mod diff_cmd;
mod followup_cmd;
mod limit_args;
mod new_cmd;
mod render;
mod report_text;
mod stats_cmd;
mod stats_html;
mod test_cmd;

use std::io::Write;
use std::process::ExitCode;

/// The stack of the thread that does the work. Readers, decoders and the
/// script engine recurse once per nesting level; at the deepest the limit
/// flags allow (`hazcheck::limits::MAX_NESTING`), a debug build needs about
/// 11 MiB. The library, which cannot tell how large its caller's stack is,
/// also starts threads of its own for deep limits; with this one the
/// command line would be safe without them.
const STACK: usize = 64 << 20;

fn main() -> ExitCode {
    let args = <cli::Args as clap::Parser>::parse();
    let work = std::thread::Builder::new()
        .name("hazcheck".to_string())
        .stack_size(STACK)
        .spawn(move || run(args));
    match work.map(std::thread::JoinHandle::join) {
        Ok(Ok(code)) => code,
        // The panic message has already been printed.
        Ok(Err(_)) => ExitCode::from(101),
        Err(e) => {
            let _ = writeln!(
                std::io::stderr(),
                "error: cannot start the main thread: {e}"
            );
            ExitCode::from(2)
        }
    }
}

fn run(args: cli::Args) -> ExitCode {
    let mut out = std::io::stdout().lock();
    match cli::run(args, &mut out) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // A closed pipe (`hazcheck ... | head`) is not an error.
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            let _ = out.flush();
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "error: {e:#}");
            ExitCode::from(2)
        }
    }
}
