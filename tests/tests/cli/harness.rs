//! Running the real binary and reading what it prints.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use gasstock_tests::TestDb;

/// The `gasstock` binary, built once per test run.
pub fn gasstock_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(path) = std::env::var_os("GASSTOCK_BIN") {
            return PathBuf::from(path);
        }
        let exe = std::env::current_exe().expect("test executable path");
        // <target>/<profile>/deps/cli-<hash>
        let profile_dir = exe.parent().and_then(Path::parent).expect("target/<profile> folder").to_path_buf();
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut build = Command::new(cargo);
        build.current_dir(env!("CARGO_MANIFEST_DIR")).args([
            "build",
            "--quiet",
            "-p",
            "gasstock-cli",
            "--bin",
            "gasstock",
        ]);
        if profile_dir.file_name().is_some_and(|name| name == "release") {
            build.arg("--release");
        }
        if let Some(target_dir) = profile_dir.parent() {
            build.env("CARGO_TARGET_DIR", target_dir);
        }
        let status = build.status().expect("run cargo build for the gasstock binary");
        assert!(status.success(), "cargo build -p gasstock-cli failed");
        let bin = profile_dir.join(format!("gasstock{}", std::env::consts::EXE_SUFFIX));
        assert!(bin.exists(), "{} was not built", bin.display());
        bin
    })
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

/// Runs `gasstock ARGS` on `db`, acting as `admin` (GASSTOCK_ADMIN) when given, with `stdin`.
pub fn gasstock(db: &TestDb, admin: Option<&str>, args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut command = Command::new(gasstock_bin());
    command
        .args(args)
        .env_remove("GASSTOCK_ADMIN")
        .env("GASSTOCK_DATABASE_URL", &db.url)
        .env_remove("RUST_BACKTRACE")
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(admin) = admin {
        command.env("GASSTOCK_ADMIN", admin);
    }
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
    let mut command = Command::new(gasstock_bin());
    command
        .args(args)
        .env_remove("GASSTOCK_ADMIN")
        .env("GASSTOCK_DATABASE_URL", &db.url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(admin) = admin {
        command.env("GASSTOCK_ADMIN", admin);
    }
    let mut child = command.spawn().expect("start gasstock");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut first).expect("first line");
    // The reader (and the pipe) are dropped here: the rest of the output has nowhere to go.
    let mut stderr = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut stderr).expect("stderr");
    let status = child.wait().expect("wait for gasstock");
    (first, status.code().expect("exited normally, not by a signal"), stderr)
}
