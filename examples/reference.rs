//! `reference`: parse image references as Docker does; see ARCHITECTURE.md.

use std::io::Write;
use std::process::ExitCode;

use boltseal::reference::Reference;

const USAGE: &str = "usage: reference REF...";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if args.is_empty() {
        eprintln!("error: {USAGE}");
        return ExitCode::from(2);
    }
    if matches!(args.as_slice(), [a] if a == "-h" || a == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let mut stdout = std::io::stdout().lock();
    let mut failed = false;
    for input in &args {
        match Reference::parse(input) {
            Ok(r) if writeln!(stdout, "{}", to_json(input, &r)).is_err() => {
                return ExitCode::from(2);
            }
            Ok(_) => {}
            Err(e) => {
                eprintln!("error: {input}: {e}");
                failed = true;
            }
        }
    }
    ExitCode::from(u8::from(failed))
}

/// The output object, keys in the documented order (serde_json's map would sort them).
fn to_json(input: &str, r: &Reference) -> String {
    let q = |v: Option<&str>| serde_json::to_string(&v).unwrap_or_default();
    format!(
        "{{\"input\":{},\"registry\":{},\"repository\":{},\"tag\":{},\"digest\":{},\"normalized\":{},\"familiar\":{}}}",
        q(Some(input)),
        q(Some(r.registry())),
        q(Some(r.repository())),
        q(r.tag()),
        q(r.digest().map(|d| d.as_str())),
        q(Some(&r.normalized())),
        q(Some(&r.familiar())),
    )
}
