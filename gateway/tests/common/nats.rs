//! NATS servers for the broker tests: one, or a JetStream cluster, on free loopback ports, each
//! with its own store directory, killed (SIGKILL) and restarted at will.

// Shared by the tests and the load benchmark, which use different parts.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The `nats-server` binary, or `None` (after saying so) when the machine has none. Under
/// `CI=true` a missing server is a failure: CI must install it (`.ci/run` does).
pub fn server_binary() -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/bin")])
        .map(|dir| dir.join("nats-server"))
        .find(|path| path.is_file());
    if found.is_none() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("nats-server is not installed, and CI=true: the broker tests must run");
        }
        eprintln!("SKIPPED: nats-server is not installed (apt-get install nats-server)");
    }
    found
}

/// `n` different ports that were free a moment ago. All are held open until all are found: one
/// at a time, the system may hand out a port it has just handed out (two servers of a cluster
/// once got the same cluster port, and the second could not start).
pub fn free_ports(n: usize) -> Vec<u16> {
    let held: Vec<TcpListener> = (0..n).map(|_| TcpListener::bind("127.0.0.1:0").expect("bind")).collect();
    held.iter().map(|l| l.local_addr().expect("addr").port()).collect()
}

/// One server of a [`Cluster`].
pub struct Server {
    pub port: u16,
    cluster_port: Option<u16>,
    routes: Vec<u16>,
    name: String,
    dir: PathBuf,
    child: Option<Child>,
}

impl Server {
    fn spawn(&mut self, binary: &PathBuf) {
        std::fs::create_dir_all(&self.dir).expect("server dir");
        let mut command = Command::new(binary);
        command
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string(), "-js", "-n", &self.name])
            .arg("-sd")
            .arg(&self.dir)
            .arg("-l")
            .arg(self.dir.join("server.log"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(cluster_port) = self.cluster_port {
            let routes: Vec<String> = self.routes.iter().map(|p| format!("nats://127.0.0.1:{p}")).collect();
            command
                .args(["--cluster_name", "hookmap-test"])
                .args(["--cluster", &format!("nats://127.0.0.1:{cluster_port}")])
                .args(["--routes", &routes.join(",")]);
        }
        let mut child = command.spawn().expect("spawn nats-server");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            // Say why: a port taken since `free_ports` found it free shows in the server's log.
            let exited = child.try_wait().ok().flatten();
            if exited.is_some() || Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
                let lines: Vec<&str> = log.lines().collect();
                let tail = lines[lines.len().saturating_sub(15)..].join("\n");
                panic!(
                    "nats-server {} did not start on port {} (cluster port {:?}; {}); its log ends:\n{tail}",
                    self.name,
                    self.port,
                    self.cluster_port,
                    exited.map_or("still running".to_owned(), |s| format!("exited: {s}")),
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.child = Some(child);
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// NATS servers with JetStream; a cluster when there are several.
pub struct Cluster {
    binary: PathBuf,
    pub servers: Vec<Server>,
    _dir: tempfile::TempDir,
}

impl Cluster {
    /// `n` servers (1, or 3 for a cluster), or `None` when nats-server is missing.
    pub fn start(n: usize) -> Option<Cluster> {
        let binary = server_binary()?;
        let dir = tempfile::tempdir().expect("temp dir");
        let ports = free_ports(2 * n);
        let (client_ports, cluster_ports) = ports.split_at(n);
        let servers: Vec<Server> = (0..n)
            .map(|i| Server {
                port: client_ports[i],
                cluster_port: (n > 1).then(|| cluster_ports[i]),
                routes: cluster_ports.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, p)| *p).collect(),
                name: format!("n{i}"),
                dir: dir.path().join(format!("n{i}")),
                child: None,
            })
            .collect();
        // Built first, so that the servers already started are killed when a later one fails.
        let mut cluster = Cluster { binary, servers, _dir: dir };
        let binary = cluster.binary.clone();
        for server in &mut cluster.servers {
            server.spawn(&binary);
        }
        Some(cluster)
    }

    /// Every server's client URL, comma-separated, as the gateway's `--nats` takes it.
    pub fn url(&self) -> String {
        self.servers.iter().map(|s| format!("nats://127.0.0.1:{}", s.port)).collect::<Vec<_>>().join(",")
    }

    /// `kill -9` of server `i`.
    pub fn kill(&mut self, i: usize) {
        self.servers[i].kill();
    }

    /// Starts server `i` again, on its ports and its store.
    pub fn restart(&mut self, i: usize) {
        let binary = self.binary.clone();
        self.servers[i].spawn(&binary);
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for server in &mut self.servers {
            server.kill();
        }
    }
}
