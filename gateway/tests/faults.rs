//! Fault injection: a full disk, an unusable database at startup, slow and idle clients, a
//! flood of connections past the descriptor limit, SIGTERM under load.
//!
//! The tests that need root (mounting a small tmpfs) skip with a message when they cannot
//! mount, except under `CI=true`, where they fail instead.

mod common;

use std::io::{BufRead, BufReader, Read as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::client::{Conn, send};
use common::{KEY, WS, auth};
use hookmap_gateway::{Gateway, Registry, SqliteStore};
use hyper::Method;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const BIN: &str = env!("CARGO_BIN_EXE_hookmap-gateway");
const LEAD_FORM: &str = "/v1/partner/webforms/events/?configName=lead_form";
const SHOP: &str = "/v1/partner/shop/events/?configName=events_v1";

// ---- harness -----------------------------------------------------------------------------

/// The gateway binary; killed when dropped.
struct Bin {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Bin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn write_config(dir: &Path, extra: serde_json::Value) -> PathBuf {
    let mut cfg = json!({"workspaces": [{"id": WS, "key": KEY}], "rate_limit": {"per_second": 1e6}});
    if let (Some(cfg), Some(extra)) = (cfg.as_object_mut(), extra.as_object()) {
        cfg.extend(extra.clone());
    }
    let path = dir.join("gateway.json");
    std::fs::write(&path, cfg.to_string()).unwrap();
    path
}

/// Starts the binary, optionally under `prlimit --nofile=N:N`.
fn start(db: &Path, config: &Path, nofile: Option<u32>) -> Bin {
    let mut command = match nofile {
        Some(n) => {
            let mut c = Command::new("prlimit");
            c.arg(format!("--nofile={n}:{n}")).arg(BIN);
            c
        }
        None => Command::new(BIN),
    };
    let mut child = command
        .arg("--db")
        .arg(db)
        .args(["--listen", "127.0.0.1:0", "--config"])
        .arg(config)
        .env("HOOKMAP_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn the gateway binary");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("read the address line");
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .parse()
        .expect("address");
    Bin { child, addr }
}

fn lead(i: usize, tag: &str) -> String {
    json!({"email": format!("{tag}-{i}@example.com"), "first_name": "F", "form_name": "Contact Us",
        "submitted_at": 1_704_067_200_000_i64 + i as i64})
    .to_string()
}

/// Skips a test that cannot run here (says so on stderr), except under `CI=true`, where it
/// fails instead.
fn skip(what: &str, why: &str) {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{what}: {why} (CI=true, so not skipped)");
    }
    eprintln!("SKIPPED {what}: {why}");
}

/// A tmpfs of `size` mounted on a fresh directory; unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Result<Tmpfs, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(format!("mount -t tmpfs failed: {}", String::from_utf8_lossy(&out.stderr).trim()));
        }
        Ok(Tmpfs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn remount(&self, option: &str) -> bool {
        Command::new("mount")
            .args(["-o", &format!("remount,{option}")])
            .arg(self.dir.path())
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.dir.path()).status();
    }
}

/// Polls `check` until it returns `Some`, or panics after `deadline`.
async fn eventually<T, F: std::future::Future<Output = Option<T>>>(
    what: &str,
    deadline: Duration,
    mut check: impl FnMut() -> F,
) -> T {
    let until = Instant::now() + deadline;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < until, "{what}: not within {deadline:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// ---- the disk fills up ---------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_gets_500_loses_nothing_acknowledged_and_recovers() {
    let fs = match Tmpfs::mount("4m") {
        Ok(fs) => fs,
        Err(why) => return skip("disk-full test", &why),
    };
    let config = common::config();
    let store = SqliteStore::open(&fs.path().join("gateway.db"), config.idempotency_window()).unwrap();
    let registry = Registry::new(common::mappers::ALL.iter().copied()).unwrap();
    let gateway = Gateway::new(&config, registry, Arc::new(store)).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(gateway.serve(listener, async {
        let _ = stopped.await;
    }));

    let auth = auth();
    let pad = "x".repeat(20_000);
    let post = |i: usize| {
        let auth = auth.clone();
        let body = json!({"customer_id": format!("full-{i}"), "event": "E", "time": i, "attr": {"pad": pad}});
        async move {
            send(addr, Method::POST, SHOP, &[("authorization", auth.as_str())], body.to_string())
                .await
                .unwrap()
        }
    };
    let mut acked = Vec::new();
    let mut i = 0;
    // Room for some requests first.
    for _ in 0..5 {
        let r = post(i).await;
        assert_eq!(r.status, 200);
        acked.push((i, r.request_id().to_owned()));
        i += 1;
    }

    // Fill what is left of the filesystem.
    let filler = fs.path().join("filler");
    {
        use std::io::Write as _;
        let mut f = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        while f.write_all(&chunk).is_ok() {}
        let _ = f.flush();
        let _ = f.sync_all();
    }
    // Writes now fail: 500 (or 503), never a 200 that was not stored. SQLite may still reuse
    // room inside the log it already has, so some requests can succeed first.
    let mut refused = 0;
    for _ in 0..200 {
        let r = post(i).await;
        match r.status {
            200 => acked.push((i, r.request_id().to_owned())),
            500 | 503 => {
                refused += 1;
                assert_eq!(r.json()["error"]["type"], "Internal error");
            }
            other => panic!("unexpected {other}: {}", String::from_utf8_lossy(&r.body)),
        }
        i += 1;
        if refused >= 3 {
            break;
        }
    }
    assert!(refused >= 3, "the full disk was never noticed");
    // The look-ups and health check still answer while the disk is full.
    assert_eq!(send(addr, Method::GET, "/healthz", &[], "").await.unwrap().status, 200);

    // Space returns; the gateway recovers by itself.
    std::fs::remove_file(&filler).unwrap();
    let next = Arc::new(AtomicUsize::new(i));
    let recovered = eventually("accepting again after space returned", Duration::from_secs(30), || {
        let next = next.clone();
        async move {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let r = post(i).await;
            (r.status == 200).then(|| (i, r.request_id().to_owned()))
        }
    })
    .await;
    acked.push(recovered);

    for (i, rid) in &acked {
        let r =
            send(addr, Method::GET, &format!("/v1/requests/{rid}"), &[("authorization", auth.as_str())], "")
                .await
                .unwrap();
        assert_eq!(r.status, 200, "acknowledged request {i} ({rid}) lost");
        assert_eq!(r.json()["status"], "imported");
    }
    eprintln!("{} acknowledged, {refused} refused while full", acked.len());
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(30), task).await.expect("stops").unwrap().unwrap();

    // And after a restart on the same file.
    let store = SqliteStore::open(&fs.path().join("gateway.db"), config.idempotency_window()).unwrap();
    for (i, rid) in &acked {
        let info = hookmap_gateway::Store::request(&store, WS, rid).unwrap();
        assert!(info.is_some(), "acknowledged request {i} ({rid}) lost after a restart");
    }
}

// ---- an unusable database at startup -------------------------------------------------------

/// Runs the binary on `db` expecting it to refuse to start: its exit code and stderr.
fn refuses_to_start(db: &Path, config: &Path) -> (Option<i32>, String) {
    let mut child = Command::new(BIN)
        .arg("--db")
        .arg(db)
        .args(["--listen", "127.0.0.1:0", "--config"])
        .arg(config)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let until = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > until {
            let _ = child.kill();
            panic!("the gateway started on an unusable database {}", db.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert!(!stdout.contains("listening"), "{stdout}");
    (status.code(), stderr)
}

#[test]
fn an_unusable_database_is_a_clear_error_and_exit_code_1() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), json!({}));

    // A directory where the file should be (what root's disregard for permissions cannot mask).
    let as_dir = dir.path().join("a-directory.db");
    std::fs::create_dir(&as_dir).unwrap();
    let (code, stderr) = refuses_to_start(&as_dir, &config);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("hookmap-gateway: cannot open database"), "{stderr}");
    assert!(stderr.contains("a-directory.db"), "{stderr}");

    // A file that is not a SQLite database.
    let garbage = dir.path().join("not-a-database.db");
    std::fs::write(&garbage, vec![0x42u8; 8192]).unwrap();
    let (code, stderr) = refuses_to_start(&garbage, &config);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("not a database"), "{stderr}");
    assert_eq!(std::fs::read(&garbage).unwrap(), vec![0x42u8; 8192], "the file is left as it was");

    // A parent directory that does not exist.
    let (code, stderr) = refuses_to_start(&dir.path().join("missing/gateway.db"), &config);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("cannot open database"), "{stderr}");
}

#[test]
fn a_database_on_a_read_only_filesystem_is_a_clear_error() {
    let fs = match Tmpfs::mount("8m") {
        Ok(fs) => fs,
        Err(why) => return skip("read-only database test", &why),
    };
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), json!({}));
    let db = fs.path().join("gateway.db");
    // A real database, made by the gateway and closed cleanly.
    {
        let store = SqliteStore::open(&db, Duration::from_secs(60)).unwrap();
        drop(store);
    }
    assert!(fs.remount("ro"), "remount read-only");
    let (code, stderr) = refuses_to_start(&db, &config);
    assert!(fs.remount("rw"));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("hookmap-gateway: cannot open database"), "{stderr}");
    assert!(stderr.contains(&db.display().to_string()), "{stderr}");
    eprintln!("read-only filesystem: {}", stderr.trim());
}

// ---- slow and idle clients ----------------------------------------------------------------

/// Whether the server closes `stream` (EOF or reset) within `deadline`; what it sent first.
async fn closed_within(stream: &mut TcpStream, deadline: Duration) -> Option<Vec<u8>> {
    let mut got = Vec::new();
    let until = tokio::time::Instant::now() + deadline;
    loop {
        let mut buf = [0u8; 4096];
        match tokio::time::timeout_at(until, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(got),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_a_byte_at_a_time_are_cut_off_and_others_are_served() {
    let mut config = common::config();
    config.limits.header_read_timeout_seconds = 1;
    config.body_timeout_seconds = 1;
    let gw = common::TestGateway::with_config(config).await;
    let addr = gw.addr;

    // Headers trickling in, one byte every 100 ms: cut off about a second after the first.
    let head = format!(
        "POST {SHOP} HTTP/1.1\r\nhost: x\r\nauthorization: {}\r\ncontent-length: 2\r\n\r\n{{}}",
        auth()
    );
    let mut slow = TcpStream::connect(addr).await.unwrap();
    let trickle = tokio::spawn(async move {
        for b in head.bytes() {
            if slow.write_all(&[b]).await.is_err() {
                return Some(slow);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        None
    });
    // Meanwhile other clients are answered.
    let body = json!({"customer_id": "fast", "event": "E", "time": 1}).to_string();
    assert_eq!(gw.post("events", "events_v1", &body).await.status, 200);
    let stream = tokio::time::timeout(Duration::from_secs(30), trickle).await.expect("trickle ends").unwrap();
    let mut stream = stream.expect("the server closed the connection before the headers were complete");
    assert!(closed_within(&mut stream, Duration::from_secs(5)).await.is_some());

    // A body a byte at a time: 408 once body_timeout_seconds has passed.
    let mut slow = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {SHOP} HTTP/1.1\r\nhost: x\r\nauthorization: {}\r\ncontent-length: 100\r\n\r\n",
        auth()
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    let writer = tokio::spawn(async move {
        let (mut rd, mut wr) = slow.into_split();
        let feeding = tokio::spawn(async move {
            for _ in 0..100 {
                if wr.write_all(b" ").await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(30), rd.read_to_end(&mut answer)).await;
        feeding.abort();
        answer
    });
    let answer = String::from_utf8_lossy(&writer.await.unwrap()).into_owned();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");

    // A keep-alive connection that goes quiet after a request is closed too.
    let mut idle = TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n").await.unwrap();
    let got = closed_within(&mut idle, Duration::from_secs(10)).await.expect("idle keep-alive closed");
    assert!(String::from_utf8_lossy(&got).starts_with("HTTP/1.1 200"));

    // Headers above max_header_bytes: 431, not unbounded buffering.
    let mut big = TcpStream::connect(addr).await.unwrap();
    let huge = format!("GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: {}\r\n\r\n", "a".repeat(200 * 1024));
    let _ = big.write_all(huge.as_bytes()).await;
    let got = closed_within(&mut big, Duration::from_secs(10)).await.expect("closed");
    assert!(String::from_utf8_lossy(&got).starts_with("HTTP/1.1 431"), "{}", String::from_utf8_lossy(&got));
    gw.stop().await;
}

/// VmRSS of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_idle_connections_and_a_flood_past_the_fd_limit() {
    if Command::new("prlimit").arg("--version").output().is_err() {
        return skip("connection flood test", "prlimit (util-linux) is not installed");
    }
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), json!({"limits": {"header_read_timeout_seconds": 2}}));
    // 256 descriptors: at most 192 connections, the rest wait in the backlog.
    let gateway = start(&dir.path().join("gateway.db"), &config, Some(256));
    let addr = gateway.addr;
    let pid = gateway.child.id();

    // 2,000 connections that never send a byte: far more than the gateway may hold open.
    let mut idle = Vec::new();
    for _ in 0..2000 {
        match TcpStream::connect(addr).await {
            Ok(s) => idle.push(s),
            Err(_) => break, // the backlog is full: the flood is as big as it gets
        }
    }
    eprintln!("{} idle connections opened", idle.len());
    assert!(idle.len() > 256);

    // A real client is still answered: the idle ones are closed after the header timeout and
    // the waiting ones accepted.
    let auth = auth();
    let mut acked = Vec::new();
    for i in 0..5 {
        let r = eventually("a request is answered during the flood", Duration::from_secs(60), || {
            let auth = auth.clone();
            async move {
                send(addr, Method::POST, LEAD_FORM, &[("authorization", auth.as_str())], lead(i, "flood"))
                    .await
                    .ok()
            }
        })
        .await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        acked.push(r.request_id().to_owned());
    }
    // The idle connections are all closed by the gateway in the end.
    let mut closed = 0;
    for s in idle.iter_mut() {
        if closed_within(s, Duration::from_secs(60)).await.is_some() {
            closed += 1;
        }
    }
    assert_eq!(closed, idle.len(), "every idle connection is closed by the header timeout");
    let rss = rss_kib(pid);
    eprintln!("gateway RSS after the flood: {rss} KiB");
    assert!(rss < 512 * 1024, "RSS {rss} KiB");
    drop(idle);

    // Still alive, still answering, and storing.
    for rid in &acked {
        let r =
            send(addr, Method::GET, &format!("/v1/requests/{rid}"), &[("authorization", auth.as_str())], "")
                .await
                .unwrap();
        assert_eq!(r.status, 200);
    }
    assert!(gateway_alive(pid));
}

fn gateway_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

// ---- SIGTERM under load -------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_keeps_every_acknowledged_request() {
    const WORKERS: usize = 24;
    const TERM_AFTER: usize = 150;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gateway.db");
    let config = write_config(dir.path(), json!({}));
    let mut gateway = start(&db, &config, None);
    let addr = gateway.addr;
    let pid = gateway.child.id();

    let next = Arc::new(AtomicUsize::new(0));
    let acked = Arc::new(Mutex::new(Vec::<(usize, String)>::new()));
    let other = Arc::new(Mutex::new(Vec::<u16>::new()));
    let (term_tx, mut term_rx) = tokio::sync::watch::channel(false);
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let (next, acked, other, term_tx) = (next.clone(), acked.clone(), other.clone(), term_tx.clone());
            tokio::spawn(async move {
                let auth = auth();
                // A new connection after each close, until the gateway refuses connections.
                'connections: loop {
                    let Ok(mut conn) = Conn::open(addr).await else { return };
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let headers =
                            [("authorization", auth.as_str()), ("content-type", "application/json")];
                        match conn.send(Method::POST, LEAD_FORM, &headers, lead(i, "term")).await {
                            Ok(reply) if reply.status == 200 => {
                                let mut acked = acked.lock().unwrap();
                                acked.push((i, reply.request_id().to_owned()));
                                if acked.len() == TERM_AFTER {
                                    let _ = term_tx.send(true);
                                }
                            }
                            Ok(reply) => other.lock().unwrap().push(reply.status),
                            Err(_) => continue 'connections,
                        }
                    }
                }
            })
        })
        .collect();
    drop(term_tx);
    tokio::time::timeout(Duration::from_secs(60), term_rx.wait_for(|t| *t))
        .await
        .expect("enough requests acknowledged")
        .expect("signalled");
    let killed = Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap();
    assert!(killed.success());

    // It stops by itself, cleanly.
    let until = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = gateway.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < until, "the gateway did not stop after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status after SIGTERM: {status}");
    for w in workers {
        tokio::time::timeout(Duration::from_secs(60), w).await.expect("workers stop").unwrap();
    }
    let acked = std::mem::take(&mut *acked.lock().unwrap());
    let other = std::mem::take(&mut *other.lock().unwrap());
    eprintln!("{} acknowledged; other answers: {other:?}", acked.len());
    assert!(other.is_empty(), "only 200s or no answer at all: {other:?}");

    // Restart on the same file: every 200 is there.
    drop(gateway);
    let gateway = start(&db, &config, None);
    let auth = auth();
    for (i, rid) in &acked {
        let r = send(
            gateway.addr,
            Method::GET,
            &format!("/v1/requests/{rid}"),
            &[("authorization", auth.as_str())],
            "",
        )
        .await
        .unwrap();
        assert_eq!(r.status, 200, "acknowledged request {i} ({rid}) lost");
        assert_eq!(r.json()["status"], "imported");
    }
}
