//! PostgreSQL servers of the test's own, in temporary folders, that the test may stop, start,
//! replicate and promote (never the shared server).

use std::path::{Path, PathBuf};
use std::process::Command;

/// A private PostgreSQL cluster, removed when dropped.
pub struct PrivateCluster {
    folder: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
}

impl PrivateCluster {
    /// Initializes and starts a cluster, or `None` when PostgreSQL's server programs are not
    /// installed (outside CI; in CI that fails the test).
    pub fn start() -> Option<Self> {
        let cluster = Self::empty()?;
        cluster.as_owner(
            &cluster.bin.join("initdb"),
            &[
                "-D",
                &cluster.data(),
                "--auth=trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        );
        cluster.resume();
        Some(cluster)
    }

    /// A folder and a port of its own, nothing in them yet; `None` as [`PrivateCluster::start`].
    fn empty() -> Option<Self> {
        let Some(bin) = server_programs() else {
            assert_ne!(
                std::env::var("CI").as_deref(),
                Ok("true"),
                "CI needs PostgreSQL's server programs (initdb, pg_ctl, pg_basebackup)"
            );
            eprintln!("note: no initdb found: private-cluster test skipped");
            return None;
        };
        let folder = tempfile::tempdir().expect("a temporary folder");
        if running_as_root() {
            run(Command::new("chown").args(["postgres:postgres", &folder.path().to_string_lossy()]));
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("a free port")
            .local_addr()
            .expect("an address")
            .port();
        Some(Self { folder, bin, port })
    }

    /// A streaming standby of `primary`, made with `pg_basebackup -R` and started. With
    /// `synchronous`, the primary then waits for it to flush every commit
    /// (`synchronous_standby_names = '*'`): an acknowledged write survives the primary.
    pub fn standby_of(primary: &PrivateCluster, synchronous: bool) -> Self {
        let standby = Self::empty().expect("the primary found the server programs");
        let port = primary.port.to_string();
        standby.as_owner(
            &standby.bin.join("pg_basebackup"),
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                "postgres",
                "-D",
                &standby.data(),
                "-R",
                "-X",
                "stream",
                "--no-sync",
            ],
        );
        standby.resume();
        if synchronous {
            primary.sql(
                "postgres",
                "ALTER SYSTEM SET synchronous_standby_names = '*'; SELECT pg_reload_conf();",
            );
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            while primary.sql("postgres", "SELECT sync_state FROM pg_stat_replication") != "sync" {
                assert!(
                    std::time::Instant::now() < deadline,
                    "the standby never synced"
                );
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        }
        standby
    }

    /// Promotes this standby to a primary, and waits until it is one.
    pub fn promote(&self) {
        self.pg_ctl(&["promote", "-w", "-t", "60"]);
    }

    /// Runs `sql` in `database` with psql, each `;`-separated statement on its own (so that
    /// `ALTER SYSTEM` runs outside a transaction), and returns what it printed, trimmed
    /// (unaligned, tuples only).
    pub fn sql(&self, database: &str, sql: &str) -> String {
        let url = self.url(database);
        let mut psql = Command::new("psql");
        psql.args(["-qAtX", "-v", "ON_ERROR_STOP=1", "-d", &url]);
        for statement in sql.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            psql.args(["-c", statement]);
        }
        let output = psql.output().expect("psql runs");
        assert!(
            output.status.success(),
            "{sql}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    /// A URL to one of its databases.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Stops the server, as a crash or a failover would: connections drop at once.
    pub fn stop(&self) {
        self.pg_ctl(&["stop", "-m", "immediate", "-w"]);
    }

    /// Starts the server again and waits until it accepts connections.
    pub fn resume(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.path().display()
        );
        let log = self.path().join("server.log");
        self.pg_ctl(&[
            "start",
            "-w",
            "-t",
            "60",
            "-l",
            &log.to_string_lossy(),
            "-o",
            &options,
        ]);
    }

    fn path(&self) -> &Path {
        self.folder.path()
    }

    fn data(&self) -> String {
        self.path().join("data").to_string_lossy().into_owned()
    }

    fn pg_ctl(&self, args: &[&str]) {
        let data = self.data();
        let mut all = vec!["-D", data.as_str()];
        all.extend_from_slice(args);
        self.as_owner(&self.bin.join("pg_ctl"), &all);
    }

    /// Runs a server program as the cluster's owner (PostgreSQL refuses to run as root).
    fn as_owner(&self, program: &Path, args: &[&str]) {
        run(&mut owner_command(program, args));
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let data = self.data();
        let _ = owner_command(
            &self.bin.join("pg_ctl"),
            &["-D", &data, "stop", "-m", "immediate"],
        )
        .output();
    }
}

fn owner_command(program: &Path, args: &[&str]) -> Command {
    let mut command = if running_as_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    };
    command.args(args);
    command
}

fn run(command: &mut Command) {
    let output = command.output().expect("the program runs");
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// The folder holding initdb and pg_ctl: `pg_config --bindir`, else Debian's layout.
fn server_programs() -> Option<PathBuf> {
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let debian = std::fs::read_dir("/usr/lib/postgresql")
        .ok()
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"));
    from_pg_config
        .into_iter()
        .chain(debian)
        .find(|bin| bin.join("initdb").exists() && bin.join("pg_ctl").exists())
}
