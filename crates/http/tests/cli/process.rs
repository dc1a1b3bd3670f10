//! Running the binary, and talking HTTP/1.1 to it over a plain socket.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use admin_adapters::testing::TestDatabase;

/// A platform administrator made with the CLI.
pub struct Admin {
    /// Their user id.
    pub user: String,
    /// A token of theirs, scoped to the platform organization.
    pub token: String,
}

/// Migrates the database at `url`, then creates the platform organization and an admin of it.
pub fn platform_admin(url: &str, key: &str) -> Admin {
    let cli = || admin_api_at(url, key);
    run(cli(), &["migrate"]);
    let platform = run(
        cli(),
        &["org", "create", "--name", "Platform", "--platform"],
    )
    .line();
    let user = run(cli(), &["user", "create", "--email", "admin@example.com"]).line();
    run(
        cli(),
        &[
            "member", "add", "--org", &platform, "--user", &user, "--role", "admin",
        ],
    );
    let token = run(
        cli(),
        &[
            "token", "issue", "--user", &user, "--org", &platform, "--ttl", "1h",
        ],
    )
    .line();
    Admin { user, token }
}

/// The binary, with a clean environment pointing at `db` and `key`.
pub fn admin_api(db: &TestDatabase, key: &str) -> Command {
    admin_api_at(&db.url, key)
}

/// The binary, with a clean environment pointing at the database `url` and `key`.
pub fn admin_api_at(url: &str, key: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_admin-api"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", url)
        .env("ADMIN_API_ROOT_KEY", key)
        .env("RUST_LOG", "info")
        .env("ADMIN_API_LOG_FORMAT", "json");
    command
}

/// What a command printed, and how it ended.
#[derive(Debug)]
pub struct Ran {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    /// The command succeeded and printed exactly one line: return it.
    pub fn line(&self) -> String {
        assert_eq!(self.code, Some(0), "{self:?}");
        let lines: Vec<&str> = self.stdout.lines().collect();
        assert_eq!(lines.len(), 1, "exactly one line on stdout: {self:?}");
        lines[0].to_owned()
    }

    /// The command failed with `code` and one clear line on stderr: return it.
    pub fn failure(&self, code: i32) -> String {
        assert_eq!(self.code, Some(code), "{self:?}");
        assert!(self.stdout.is_empty(), "nothing on stdout: {self:?}");
        assert!(
            !self.stderr.contains("panicked") && !self.stderr.contains("backtrace"),
            "{self:?}"
        );
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| !l.starts_with('{'))
            .collect();
        assert_eq!(lines.len(), 1, "one line on stderr besides logs: {self:?}");
        assert!(lines[0].starts_with("error: "), "{self:?}");
        lines[0].to_owned()
    }
}

/// Runs `command` with `args`, `input` on its standard input.
pub fn run_with_input(mut command: Command, args: &[&str], input: &str) -> Ran {
    let mut child = command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("writes stdin");
    ran(child.wait_with_output().expect("the binary ends"))
}

fn ran(output: Output) -> Ran {
    let Output {
        status,
        stdout,
        stderr,
    } = output;
    Ran {
        code: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

pub fn run(mut command: Command, args: &[&str]) -> Ran {
    ran(command.args(args).output().expect("the binary runs"))
}

/// The ports of a `serving` log line, the API's and the management listener's: JSON
/// (`"port":N` among its fields) or human-readable (`INFO serving port=N ...`).
fn serving_ports(line: &str) -> Option<(u16, u16)> {
    let port = |value: Option<u64>| value.and_then(|port| u16::try_from(port).ok());
    if let Ok(entry) = serde_json::from_str::<serde_json::Value>(line) {
        let fields = &entry["fields"];
        return (fields["message"] == "serving")
            .then(|| {
                Some((
                    port(fields["port"].as_u64())?,
                    port(fields["management_port"].as_u64())?,
                ))
            })
            .flatten();
    }
    let (_, fields) = line.split_once(" serving ")?;
    let field = |name: &str| {
        fields
            .split_whitespace()
            .find_map(|f| f.strip_prefix(name)?.strip_prefix('='))
            .and_then(|n| n.parse().ok())
    };
    Some((port(field("port"))?, port(field("management_port"))?))
}

/// A running `admin-api serve`, killed when dropped.
pub struct Served {
    pub child: Child,
    pub port: u16,
    pub management_port: u16,
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Served {
    /// Starts `serve` on a free port and waits for its `serving` log line, JSON or not.
    pub fn start(command: Command) -> Self {
        Self::start_as(command, &["serve"])
    }

    /// Like [`Served::start`], with `args` for the command line (none: the default command).
    pub fn start_as(mut command: Command, args: &[&str]) -> Self {
        let mut child = command
            .env("ADMIN_API_BIND", "127.0.0.1:0")
            .env("ADMIN_API_MANAGEMENT_BIND", "127.0.0.1:0")
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve starts");
        let stderr = child.stderr.take().expect("stderr");
        // Every line is kept; the port of the `serving` line is sent back. A reader thread,
        // so that a server that never says it is serving fails the test instead of hanging it.
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = std::sync::Arc::clone(&log);
        let (serving, port) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let ports = serving_ports(&line);
                // Kept before the ports are sent: once `start` returns, the log holds the line.
                kept.lock().expect("the log").push(line);
                if let Some(ports) = ports {
                    let _ = serving.send(ports);
                }
            }
        });
        let (port, management_port) =
            port.recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| {
                    let _ = child.kill();
                    panic!(
                        "serve did not say it was serving:\n{}",
                        log.lock().expect("the log").join("\n")
                    )
                });
        Self {
            child,
            port,
            management_port,
            log,
        }
    }

    /// What the server logged so far.
    pub fn log(&self) -> String {
        self.log.lock().expect("the log").join("\n")
    }

    /// The first logged line containing `needle`; the test fails, showing the log, if none.
    pub fn logged(&self, needle: &str) -> String {
        let log = self.log();
        log.lines()
            .find(|line| line.contains(needle))
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no log line carries {needle}:\n{log}"))
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Waits for the process to exit, at most `limit`.
    pub fn wait(&mut self, limit: Duration) -> Option<i32> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("waits") {
                return status.code();
            }
            assert!(Instant::now() < deadline, "did not exit within {limit:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> Response {
        request(self.port, "GET", path, token)
    }

    /// A GET on the management listener.
    pub fn manage(&self, path: &str) -> Response {
        request(self.management_port, "GET", path, None)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response read whole.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Response {
    /// The value of the header `name` (any case), if the head has it.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }
}

/// One HTTP/1.1 request on a fresh connection, read to its end.
pub fn request(port: u16, method: &str, path: &str, token: Option<&str>) -> Response {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let authorization = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(stream, "{method} {path} HTTP/1.1\r\nHost: localhost\r\n{authorization}Content-Length: 0\r\nConnection: close\r\n\r\n")
        .expect("sends");
    let mut raw = String::new();
    stream.read_to_string(&mut raw).expect("reads");
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Response {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    }
}
