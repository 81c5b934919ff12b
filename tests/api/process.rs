//! The real `etrack` binary as a child process, for what only whole processes show: start-up
//! refusals, several processes on one database, shutdown on signals.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use etrack::config::DatabaseUrl;

use crate::helpers::{ADMIN_EMAIL, JWT_SECRET, PASSWORD};

pub fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_etrack"))
}

pub fn url_text(url: &DatabaseUrl) -> String {
    match url {
        DatabaseUrl::Sqlite(p) | DatabaseUrl::Postgres(p) => p.clone(),
    }
}

pub struct ServerProcess {
    pub child: Child,
    pub base: String,
}

impl ServerProcess {
    /// Starts `etrack serve` on a free port of the loopback and waits until it listens.
    pub fn start(url: &DatabaseUrl) -> ServerProcess {
        ServerProcess::start_with(url, &[])
    }

    /// The same, with more environment.
    pub fn start_with(url: &DatabaseUrl, env: &[(&str, &str)]) -> ServerProcess {
        ServerProcess::start_at(url, "127.0.0.1:0", env)
    }

    /// The same, listening on `bind` (to restart a killed server where its clients expect it).
    pub fn start_at(url: &DatabaseUrl, bind: &str, env: &[(&str, &str)]) -> ServerProcess {
        let mut command = binary();
        command
            .args(["serve", "--bind", bind, "--workers", "2"])
            .env("DATABASE_URL", url_text(url))
            .env("ETRACK_JWT_SECRET", JWT_SECRET)
            .env("ETRACK_ADMIN_EMAIL", ADMIN_EMAIL)
            .env("ETRACK_ADMIN_PASSWORD", PASSWORD)
            .env("RUST_LOG", "warn")
            .env(
                "ETRACK_MAIL",
                format!(
                    "file:{}",
                    std::env::temp_dir().join("etrack-test-mail").display()
                ),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .envs(env.iter().copied());
        let mut child = command.spawn().expect("the binary starts");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("serving on port ").nth(1) {
                    let port: u16 = rest.split(' ').next().unwrap().parse().unwrap();
                    let _ = tx.send(port);
                }
            }
        });
        let port = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the server reports its port");
        ServerProcess {
            child,
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    /// Sends a signal (`TERM`, `KILL`, ...) to the process.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Waits for the process to exit, at most `timeout`.
    pub fn wait(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + timeout;
        while std::time::Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs an `etrack` command on a database: (success, stdout and stderr).
pub fn run_etrack(url: &DatabaseUrl, args: &[&str]) -> (bool, String) {
    let out = binary()
        .args(args)
        .env("DATABASE_URL", url_text(url))
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Two server processes on one fresh database, with a client of each. The database and the
/// processes go when this is dropped.
pub struct TwoProcesses {
    pub a: crate::helpers::TestApp,
    pub b: crate::helpers::TestApp,
    _servers: (ServerProcess, ServerProcess),
    _db: crate::helpers::TestDb,
}

impl TwoProcesses {
    /// `None` where the backend is unreachable (the test then skips, as `TestDb::create` says).
    pub fn start(backend: crate::helpers::Backend) -> Option<TwoProcesses> {
        let db = crate::helpers::TestDb::create(backend)?;
        let servers = (ServerProcess::start(&db.url), ServerProcess::start(&db.url));
        Some(TwoProcesses {
            a: crate::helpers::TestApp::remote(&servers.0.base, backend),
            b: crate::helpers::TestApp::remote(&servers.1.base, backend),
            _servers: servers,
            _db: db,
        })
    }
}
