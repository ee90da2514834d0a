//! The `gasstock-server` binary: zero-config start, the production secret rule, and a clean
//! exit on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

fn server() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gasstock-server"));
    for var in
        ["GASSTOCK_DATABASE_URL", "GASSTOCK_BIND", "GASSTOCK_JWT_SECRET", "GASSTOCK_JWT_SECRET_FILE", "GASSTOCK_ENV"]
    {
        command.env_remove(var);
    }
    command.env("GASSTOCK_LOG", "warn");
    command
}

#[test]
fn production_refuses_to_start_without_a_long_secret() {
    let dir = tempfile::tempdir().unwrap();
    let run = |secret: Option<&str>| {
        let mut command = server();
        command.current_dir(dir.path()).env("GASSTOCK_ENV", "production").args(["--bind", "127.0.0.1:0"]);
        if let Some(secret) = secret {
            command.env("GASSTOCK_JWT_SECRET", secret);
        }
        command.output().unwrap()
    };
    let missing = run(None);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("GASSTOCK_JWT_SECRET"), "{missing:?}");
    let short = run(Some("too short"));
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 32 bytes"), "{short:?}");
    assert!(!dir.path().join(".gasstock-jwt-secret").exists(), "production never generates a secret");
    assert!(!dir.path().join("gasstock.db").exists(), "refused before opening the database");
}

#[cfg(unix)]
#[test]
fn starts_with_no_configuration_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = server()
        .current_dir(dir.path())
        .args(["--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let pid = child.id();
    // Kills the server if an assertion fails before the SIGTERM below.
    struct KillOnPanic(u32);
    impl Drop for KillOnPanic {
        fn drop(&mut self) {
            if std::thread::panicking() {
                let _ = Command::new("kill").args(["-KILL", &self.0.to_string()]).status();
            }
        }
    }
    let _guard = KillOnPanic(pid);
    let (mut url, mut docs) = (None, None);
    for _ in 0..2 {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        if let Some(rest) = line.trim().strip_prefix("gasstock-server listening on ") {
            url = Some(rest.to_owned());
        }
        if line.starts_with("API docs: ") {
            docs = Some(line.clone());
        }
    }
    let url = url.expect("prints its URL");
    let docs = docs.expect("prints the docs URL");
    assert!(docs.contains(&format!("{url}/docs")), "{docs}");
    assert!(dir.path().join(".gasstock-jwt-secret").exists(), "secret generated and kept");
    assert!(dir.path().join("gasstock.db").exists(), "embedded SQLite file created");

    let addr = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.write_all(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");

    let status = Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "clean exit on SIGTERM: {exit:?}");
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert!(stderr.contains("generated a random JWT secret"), "warns about the generated secret: {stderr}");
}
