//! Behind PgBouncer (Debian's package) in session pooling mode, in front of a cluster of the
//! test's own: everything the service does, the scheduler's session lock and the audit
//! trail's batches included. (Transaction pooling cannot work: docs/operations.md, "Scaling
//! out", says why.)

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use admin_adapters::RootKey;

use super::cluster::PrivateCluster;
use super::process::*;

/// A PgBouncer in front of `cluster`, in `mode`, on a port of its own; stopped when dropped.
struct Bouncer {
    child: Child,
    port: u16,
    _folder: tempfile::TempDir,
}

impl Bouncer {
    /// `None` when PgBouncer is not installed (outside CI; in CI that fails the test).
    fn start(cluster: &PrivateCluster, mode: &str) -> Option<Self> {
        let Some(program) = ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"]
            .into_iter()
            .map(PathBuf::from)
            .find(|path| path.exists())
        else {
            assert_ne!(
                std::env::var("CI").as_deref(),
                Ok("true"),
                "CI needs PgBouncer (.ci/run installs Debian's package)"
            );
            eprintln!("note: no pgbouncer found: PgBouncer test skipped");
            return None;
        };
        let folder = tempfile::tempdir().expect("a temporary folder");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("a free port")
            .local_addr()
            .expect("an address")
            .port();
        let users = folder.path().join("users.txt");
        std::fs::write(&users, "\"postgres\" \"\"\n").expect("writes the users");
        let config = folder.path().join("pgbouncer.ini");
        std::fs::write(
            &config,
            format!(
                "[databases]\n* = host=127.0.0.1 port={}\n[pgbouncer]\nlisten_addr = 127.0.0.1\n\
                 listen_port = {port}\nunix_socket_dir =\nauth_type = trust\nauth_file = {}\n\
                 pool_mode = {mode}\nmax_client_conn = 500\ndefault_pool_size = 40\n",
                cluster.port,
                users.display()
            ),
        )
        .expect("writes the configuration");
        // PgBouncer refuses to run as root.
        let mut command = if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&program);
            Command::new("chown")
                .args(["-R", "postgres", &folder.path().to_string_lossy()])
                .status()
                .expect("chown runs");
            command
        } else {
            Command::new(&program)
        };
        let child = command
            .arg("-q")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("pgbouncer starts");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "pgbouncer never listened");
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(Self {
            child,
            port,
            _folder: folder,
        })
    }

    fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }
}

impl Drop for Bouncer {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

#[test]
fn everything_works_behind_pgbouncer_in_session_mode() {
    let Some(cluster) = PrivateCluster::start() else {
        return;
    };
    let Some(bouncer) = Bouncer::start(&cluster, "session") else {
        return;
    };
    let url = bouncer.url("postgres");
    let key = RootKey::generate().to_hex();
    let admin = platform_admin(&url, &key);
    let cli = || admin_api_at(&url, &key);
    run(
        cli(),
        &[
            "seed",
            "--users",
            "500",
            "--orgs",
            "5",
            "--workspaces",
            "10",
            "--expired-tokens",
            "3000",
        ],
    );
    let mut serve = admin_api_at(&url, &key);
    serve
        .env("ADMIN_API_AUDIT_READS", "true")
        .env("ADMIN_API_CLEANUP_INTERVAL", "1s");
    let served = Served::start(serve);
    let token = Some(admin.token.as_str());
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let port = served.port;
            let token = admin.token.clone();
            std::thread::spawn(move || {
                (0..50)
                    .map(|i| {
                        let path = match i % 3 {
                            0 => "/v1/admin/platform/users?limit=50&include_total=true",
                            1 => "/v1/admin/platform/users?email_prefix=us&order=desc",
                            _ => "/v1/admin/platform-status",
                        };
                        request(port, "GET", path, Some(&token)).status
                    })
                    .collect::<Vec<u16>>()
            })
        })
        .collect();
    for thread in threads {
        assert!(
            thread
                .join()
                .expect("the requests")
                .iter()
                .all(|s| *s == 200)
        );
    }
    let cleanup = request(served.port, "POST", "/v1/admin/cleanup-tokens", token);
    assert_eq!(cleanup.status, 200, "{cleanup:?}");
    // The scheduler took its session lock through PgBouncer and cleaned.
    let deadline = Instant::now() + Duration::from_secs(20);
    while cluster.sql(
        "postgres",
        "SELECT count(*) FROM tokens WHERE expires_at < now()",
    ) != "0"
    {
        assert!(
            Instant::now() < deadline,
            "no scheduled cleanup:\n{}",
            served.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let verified = run(cli(), &["audit", "verify"]).line();
    assert!(verified.contains("events verified"), "{verified}");
    assert!(!served.log().contains("\"status\":5"), "{}", served.log());
}
