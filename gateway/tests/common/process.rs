//! The gateway binary as a child process, killed when dropped.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

/// A running `hookmap-gateway` (serve or import).
pub struct Process {
    child: Option<Child>,
    pub addr: SocketAddr,
    args: Vec<String>,
}

impl Process {
    /// Runs the binary with `args` (listening on `127.0.0.1:0` unless `args` says otherwise) and
    /// waits for its `listening on` line.
    pub fn start(args: &[&str]) -> Process {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let (child, addr) = spawn(&args);
        Process { child: Some(child), addr, args }
    }

    /// The embedded gateway on `db` and `config`, listening on a free port.
    pub fn embedded(db: &std::path::Path, config: &std::path::Path) -> Process {
        let (db, config) = (db.to_string_lossy(), config.to_string_lossy());
        Process::start(&["--db", &db, "--listen", "127.0.0.1:0", "--config", &config])
    }

    /// `kill -9`.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the process again with the same arguments (on a new port).
    pub fn restart(&mut self) {
        self.kill();
        let (child, addr) = spawn(&self.args);
        self.child = Some(child);
        self.addr = addr;
    }
}

fn spawn(args: &[String]) -> (Child, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hookmap-gateway"))
        .args(args)
        .env("HOOKMAP_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn the gateway binary");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("read the address line");
    let Some(addr) = line.trim().strip_prefix("listening on ") else {
        let _ = child.kill();
        panic!("the gateway did not start: first line {line:?}");
    };
    (child, addr.parse().expect("address"))
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}
