//! Running the real binary and reading what it prints.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use gasstock_tests::TestDb;

/// The `gasstock` binary that `cargo test` built with this test (`GASSTOCK_BIN` to test
/// another one).
pub fn gasstock_bin() -> PathBuf {
    std::env::var_os("GASSTOCK_BIN").map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_gasstock")), PathBuf::from)
}

/// What a run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts success and parses stdout as JSON.
    pub fn json(&self) -> serde_json::Value {
        assert_eq!(self.code, 0, "expected success, stderr: {}", self.stderr);
        serde_json::from_str(&self.stdout).unwrap_or_else(|err| panic!("not JSON ({err}): {}", self.stdout))
    }

    /// Asserts success and parses stdout as CSV: the header and the records.
    pub fn csv(&self) -> (Vec<String>, Vec<Vec<String>>) {
        assert_eq!(self.code, 0, "expected success, stderr: {}", self.stderr);
        let mut records = parse_csv(&self.stdout);
        assert!(!records.is_empty(), "CSV output has no header");
        let header = records.remove(0);
        for record in &records {
            assert_eq!(record.len(), header.len(), "ragged CSV: {}", self.stdout);
        }
        (header, records)
    }

    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "stdout: {}\nstderr: {}", self.stdout, self.stderr);
        assert!(!self.stderr.contains("panicked"), "a panic: {}", self.stderr);
        assert!(!self.stderr.contains("RUST_BACKTRACE"), "a backtrace hint: {}", self.stderr);
        self
    }
}

/// Minimal RFC 4180 reader (quoted fields, doubled quotes), enough to check the output.
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    records
}

/// Column `name` of a CSV record.
pub fn col<'a>(header: &[String], record: &'a [String], name: &str) -> &'a str {
    let index = header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name} in {header:?}"));
    &record[index]
}

/// `gasstock ARGS` on `db`, acting as `admin` (GASSTOCK_ADMIN) when given, with stdout and
/// stderr piped. No other `GASSTOCK_*` variable of the test's environment reaches it, so a
/// developer's settings cannot change what the tests see.
fn command(db: &TestDb, admin: Option<&str>, args: &[&str]) -> Command {
    let mut command = Command::new(gasstock_bin());
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("GASSTOCK_") {
            command.env_remove(name);
        }
    }
    command
        .args(args)
        .env("GASSTOCK_DATABASE_URL", &db.url)
        .env_remove("RUST_BACKTRACE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(admin) = admin {
        command.env("GASSTOCK_ADMIN", admin);
    }
    command
}

/// Runs `gasstock ARGS` on `db`, acting as `admin` (GASSTOCK_ADMIN) when given, with `stdin`.
pub fn gasstock(db: &TestDb, admin: Option<&str>, args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut command = command(db, admin, args);
    command.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    let mut child = command.spawn().expect("start gasstock");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin");
        let input = input.to_vec();
        // Written from a thread so that a large input cannot deadlock against full output pipes.
        std::thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
    }
    let output = child.wait_with_output().expect("wait for gasstock");
    Run {
        code: output.status.code().expect("exited normally, not by a signal"),
        stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
    }
}

/// The admin email of `gasstock_tests::fixtures::cast`.
pub const ADMIN: &str = "admin@example.rw";
pub const SELLER: &str = "seller@example.rw";

/// Runs `gasstock ARGS`, reads only the first line of its output and closes the pipe, like
/// `gasstock ... | head -1`; returns that line, the exit code and stderr.
pub fn gasstock_head(db: &TestDb, admin: Option<&str>, args: &[&str]) -> (String, i32, String) {
    use std::io::{BufRead, BufReader, Read};
    let mut child = command(db, admin, args).stdin(Stdio::null()).spawn().expect("start gasstock");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut first).expect("first line");
    // The reader (and the pipe) are dropped here: the rest of the output has nowhere to go.
    let mut stderr = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut stderr).expect("stderr");
    let status = child.wait().expect("wait for gasstock");
    (first, status.code().expect("exited normally, not by a signal"), stderr)
}
