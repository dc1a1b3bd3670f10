//! Configuration, read once from the environment. Secrets are kept wrapped: nothing here
//! prints a key or a database password.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use admin_adapters::{BiscuitAuthority, DatabaseUrl, PoolSettings, PreviousKey, RootKey, files};
use admin_domain::parse_duration;
use anyhow::{Context, bail};

/// Where the embedded defaults live: the SQLite file and the generated root key.
pub const DATA_DIR: &str = "data";

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line.
    Json,
    /// Human-readable lines.
    Pretty,
}

/// Where the root key comes from.
#[derive(Clone)]
pub enum KeySource {
    /// `ADMIN_API_ROOT_KEY`.
    Inline(RootKey),
    /// `ADMIN_API_ROOT_KEY_FILE`, which must exist.
    File(PathBuf),
    /// Neither: a key file under `./data/`, created on first use.
    Generated(PathBuf),
}

impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::Inline(_) => f.write_str("Inline(<redacted>)"),
            KeySource::File(path) => f.debug_tuple("File").field(path).finish(),
            KeySource::Generated(path) => f.debug_tuple("Generated").field(path).finish(),
        }
    }
}

/// Everything the service is configured with.
#[derive(Debug, Clone)]
pub struct Config {
    /// `DATABASE_URL`: `postgres://…` or `sqlite://PATH`; default `sqlite://data/admin-api.db`.
    pub database_url: DatabaseUrl,
    /// `DATABASE_REPLICA_URL`: a PostgreSQL server the platform listings and reads may come
    /// from, and `ADMIN_API_REPLICA_MAX_LAG` (default `5s`), how far behind the primary it may
    /// be and still be read from.
    pub replica: Option<(DatabaseUrl, Duration)>,
    /// Where the root key comes from.
    pub root_key: KeySource,
    /// `ADMIN_API_BIND`: the listen address; default `127.0.0.1:8080`.
    pub bind: String,
    /// `ADMIN_API_MANAGEMENT_BIND`: where metrics, health and readiness are served for
    /// operators; default `127.0.0.1:9000`.
    pub management_bind: String,
    /// `ADMIN_API_TOKEN_RETENTION`: how long stale token records are kept; default `0s`.
    pub token_retention: Duration,
    /// `ADMIN_API_LOG_FORMAT`: `json` or `pretty` (default).
    pub log_format: LogFormat,
    /// `ADMIN_API_WORKERS`: HTTP worker threads; default one per CPU.
    pub workers: usize,
    /// `ADMIN_API_DB_POOL_SIZE` (default four connections per worker), `ADMIN_API_DB_TIMEOUT`,
    /// `ADMIN_API_STATEMENT_TIMEOUT`.
    pub pool: PoolSettings,
    /// `ADMIN_API_DRAIN_DELAY`: after SIGTERM, how long to keep serving while `/readyz` fails,
    /// so load balancers stop routing here first; default `1s`.
    pub drain_delay: Duration,
    /// `ADMIN_API_SHUTDOWN_GRACE`: the longest requests in flight may take to finish after
    /// SIGTERM; default `30s`.
    pub shutdown_grace: Duration,
    /// `ADMIN_API_REQUEST_TIMEOUT`: the longest a client may take to send a request's head;
    /// default `5s`.
    pub request_timeout: Duration,
    /// `ADMIN_API_KEEP_ALIVE`: how long an idle connection is kept open; default `15s`.
    pub keep_alive: Duration,
    /// `ADMIN_API_MAX_CONNECTIONS`: the most connections each worker holds; default `2048`.
    pub max_connections: usize,
    /// `ADMIN_API_CLEANUP_INTERVAL`: how often one of the instances cleans token records;
    /// unset: never on its own.
    pub cleanup_interval: Option<Duration>,
    /// `ADMIN_API_CLEANUP_RATE`: the most rows per second scheduled cleanups delete; default
    /// `50000`.
    pub cleanup_rate: usize,
    /// `ADMIN_API_AUDIT_READS`: record the platform listings and reads in the audit trail too
    /// (`true` or `false`, default `false`).
    pub audit_reads: bool,
    /// `ADMIN_API_PREVIOUS_ROOT_KEYS`: comma-separated keys tokens may still be signed with
    /// after a rotation (private hex as `keygen` printed, or public `ed25519/<hex>`).
    pub previous_keys: Vec<PreviousKey>,
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// Reads the configuration through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let duration = |name: &'static str, default: &str| -> anyhow::Result<Duration> {
            let text = lookup(name).unwrap_or_else(|| default.to_owned());
            Ok(parse_duration(name, &text)?)
        };
        let number = |name: &'static str, default: usize| -> anyhow::Result<usize> {
            match lookup(name) {
                None => Ok(default),
                Some(text) => match text.parse::<usize>() {
                    Ok(n) if n > 0 => Ok(n),
                    _ => bail!("{name} must be a positive whole number, not {text:?}"),
                },
            }
        };
        let database_url = match lookup("DATABASE_URL") {
            Some(url) => DatabaseUrl::parse(&url)?,
            None => DatabaseUrl::Sqlite(PathBuf::from(DATA_DIR).join("admin-api.db")),
        };
        let replica = match lookup("DATABASE_REPLICA_URL") {
            None => None,
            Some(_) if matches!(database_url, DatabaseUrl::Sqlite(_)) => {
                bail!("DATABASE_REPLICA_URL needs DATABASE_URL on PostgreSQL too")
            }
            Some(url) => Some((
                DatabaseUrl::replica(&url)?,
                duration("ADMIN_API_REPLICA_MAX_LAG", "5s")?,
            )),
        };
        let root_key = match (
            lookup("ADMIN_API_ROOT_KEY"),
            lookup("ADMIN_API_ROOT_KEY_FILE"),
        ) {
            (Some(hex), _) => {
                KeySource::Inline(RootKey::parse(&hex).context("ADMIN_API_ROOT_KEY")?)
            }
            (None, Some(path)) => KeySource::File(PathBuf::from(path)),
            (None, None) => KeySource::Generated(PathBuf::from(DATA_DIR).join("root-key")),
        };
        let log_format = match lookup("ADMIN_API_LOG_FORMAT").as_deref() {
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => bail!("ADMIN_API_LOG_FORMAT must be json or pretty, not {other:?}"),
        };
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        let workers = number("ADMIN_API_WORKERS", cpus)?;
        Ok(Self {
            database_url,
            replica,
            root_key,
            bind: lookup("ADMIN_API_BIND").unwrap_or_else(|| "127.0.0.1:8080".to_owned()),
            management_bind: lookup("ADMIN_API_MANAGEMENT_BIND")
                .unwrap_or_else(|| "127.0.0.1:9000".to_owned()),
            token_retention: duration("ADMIN_API_TOKEN_RETENTION", "0s")?,
            cleanup_interval: match lookup("ADMIN_API_CLEANUP_INTERVAL") {
                None => None,
                Some(_) => match duration("ADMIN_API_CLEANUP_INTERVAL", "")? {
                    interval if interval.is_zero() => {
                        bail!("ADMIN_API_CLEANUP_INTERVAL must be longer than 0s")
                    }
                    interval => Some(interval),
                },
            },
            cleanup_rate: number("ADMIN_API_CLEANUP_RATE", 50_000)?,
            audit_reads: match lookup("ADMIN_API_AUDIT_READS").map(|v| v.to_ascii_lowercase()) {
                None => false,
                Some(v) if matches!(v.as_str(), "true" | "1" | "yes" | "on") => true,
                Some(v) if matches!(v.as_str(), "false" | "0" | "no" | "off") => false,
                Some(v) => bail!("ADMIN_API_AUDIT_READS must be true or false, not {v:?}"),
            },
            log_format,
            workers,
            pool: PoolSettings {
                max_size: number("ADMIN_API_DB_POOL_SIZE", 4 * workers)?,
                checkout_timeout: duration("ADMIN_API_DB_TIMEOUT", "2s")?,
                statement_timeout: duration("ADMIN_API_STATEMENT_TIMEOUT", "10s")?,
            },
            drain_delay: duration("ADMIN_API_DRAIN_DELAY", "1s")?,
            shutdown_grace: duration("ADMIN_API_SHUTDOWN_GRACE", "30s")?,
            request_timeout: duration("ADMIN_API_REQUEST_TIMEOUT", "5s")?,
            keep_alive: duration("ADMIN_API_KEEP_ALIVE", "15s")?,
            max_connections: number("ADMIN_API_MAX_CONNECTIONS", 2_048)?,
            previous_keys: lookup("ADMIN_API_PREVIOUS_ROOT_KEYS")
                .iter()
                .flat_map(|keys| keys.split(','))
                .filter(|key| !key.trim().is_empty())
                .map(|key| PreviousKey::parse(key).context("ADMIN_API_PREVIOUS_ROOT_KEYS"))
                .collect::<anyhow::Result<_>>()?,
        })
    }

    /// The token authority: signing with the root key (see [`Config::load_root_key`]),
    /// verifying with it and the previous keys.
    pub fn token_authority(&self) -> anyhow::Result<BiscuitAuthority> {
        Ok(BiscuitAuthority::with_previous_keys(
            &self.load_root_key()?,
            &self.previous_keys,
        ))
    }

    /// The root key: from the environment, from its file, or from `./data/root-key`, which is
    /// created (readable by its owner only) when missing.
    pub fn load_root_key(&self) -> anyhow::Result<RootKey> {
        match &self.root_key {
            KeySource::Inline(key) => Ok(key.clone()),
            KeySource::File(path) => read_key(path),
            KeySource::Generated(path) if path.exists() => read_key(path),
            KeySource::Generated(path) => {
                let key = RootKey::generate();
                write_key(path, &key)?;
                tracing::warn!(
                    path = %path.display(),
                    "no ADMIN_API_ROOT_KEY: created a new root key file; set ADMIN_API_ROOT_KEY in production"
                );
                Ok(key)
            }
        }
    }
}

fn read_key(path: &std::path::Path) -> anyhow::Result<RootKey> {
    if files::open_to_others(path) {
        tracing::warn!(
            path = %path.display(),
            "the root key file can be read by other users: chmod 600 it"
        );
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the root key file {}", path.display()))?;
    RootKey::parse(&text).with_context(|| format!("root key file {}", path.display()))
}

fn write_key(path: &std::path::Path, key: &RootKey) -> anyhow::Result<()> {
    use std::io::Write;
    if let Some(folder) = path.parent().filter(|f| !f.as_os_str().is_empty()) {
        files::private_folder(folder)
            .with_context(|| format!("cannot create {}", folder.display()))?;
    }
    let mut file = files::create_private_file(path)
        .with_context(|| format!("cannot create the root key file {}", path.display()))?;
    writeln!(file, "{}", key.to_hex()).with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> anyhow::Result<Config> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_are_the_embedded_sqlite_database_and_a_generated_key() {
        let config = config(&[]).expect("defaults");
        assert_eq!(
            config.database_url,
            DatabaseUrl::Sqlite(PathBuf::from("data/admin-api.db"))
        );
        assert!(matches!(config.root_key, KeySource::Generated(_)));
        assert_eq!(config.bind, "127.0.0.1:8080");
        assert_eq!(config.management_bind, "127.0.0.1:9000");
        assert_eq!(config.token_retention, Duration::ZERO);
        assert_eq!(config.log_format, LogFormat::Pretty);
    }

    #[test]
    fn every_setting_is_read_from_its_variable() {
        let key = RootKey::generate().to_hex();
        let config = config(&[
            ("DATABASE_URL", "postgres://u:secret@db/admin"),
            ("ADMIN_API_ROOT_KEY", &key),
            ("ADMIN_API_BIND", "0.0.0.0:9000"),
            ("ADMIN_API_MANAGEMENT_BIND", "10.0.0.1:9100"),
            ("ADMIN_API_TOKEN_RETENTION", "7d"),
            ("ADMIN_API_LOG_FORMAT", "json"),
            ("ADMIN_API_WORKERS", "3"),
            ("ADMIN_API_DB_POOL_SIZE", "5"),
        ])
        .expect("valid");
        assert_eq!(config.database_url.backend(), "postgres");
        assert_eq!(config.bind, "0.0.0.0:9000");
        assert_eq!(config.management_bind, "10.0.0.1:9100");
        assert_eq!(config.token_retention, Duration::from_secs(7 * 86_400));
        assert_eq!(config.log_format, LogFormat::Json);
        assert_eq!((config.workers, config.pool.max_size), (3, 5));
        let printed = format!("{config:?}");
        assert!(
            !printed.contains("secret") && !printed.contains(&key),
            "secrets never print: {printed}"
        );
    }

    #[test]
    fn the_root_key_comes_from_its_variable_else_from_the_key_file() {
        let folder = tempfile::tempdir().expect("a temporary folder");
        let path = folder.path().join("root-key");
        let (in_file, inline) = (RootKey::generate(), RootKey::generate());
        std::fs::write(&path, format!("{}\n", in_file.to_hex())).expect("written");
        let file = path.to_str().expect("a UTF-8 path");

        let from_file = config(&[("ADMIN_API_ROOT_KEY_FILE", file)]).expect("valid");
        assert_eq!(
            from_file.load_root_key().expect("read").to_hex(),
            in_file.to_hex()
        );
        let both = config(&[
            ("ADMIN_API_ROOT_KEY_FILE", file),
            ("ADMIN_API_ROOT_KEY", &inline.to_hex()),
        ])
        .expect("valid");
        assert_eq!(
            both.load_root_key().expect("inline").to_hex(),
            inline.to_hex()
        );

        let missing = folder.path().join("no-such-key");
        let missing = config(&[("ADMIN_API_ROOT_KEY_FILE", missing.to_str().expect("UTF-8"))])
            .expect("valid");
        let error = format!("{:#}", missing.load_root_key().expect_err("no file"));
        assert!(error.contains("no-such-key"), "names the file: {error}");
        std::fs::write(&path, "not a key").expect("written");
        let error = format!("{:#}", from_file.load_root_key().expect_err("no key"));
        assert!(error.contains("root key file"), "says which: {error}");
        assert!(
            !error.contains("not a key"),
            "never echoes key material: {error}"
        );
    }

    #[test]
    fn bad_values_are_refused_with_the_variable_named() {
        for (name, value) in [
            ("DATABASE_URL", "mysql://x"),
            ("ADMIN_API_ROOT_KEY", "nothex"),
            ("ADMIN_API_TOKEN_RETENTION", "forever"),
            ("ADMIN_API_LOG_FORMAT", "xml"),
            ("ADMIN_API_WORKERS", "0"),
            ("ADMIN_API_CLEANUP_INTERVAL", "0s"),
            ("ADMIN_API_CLEANUP_INTERVAL", "hourly"),
            ("ADMIN_API_CLEANUP_RATE", "0"),
            ("ADMIN_API_CLEANUP_RATE", "fast"),
        ] {
            let error = config(&[(name, value)]).err().map(|e| format!("{e:#}"));
            assert!(
                error.as_deref().is_some_and(|e| e.contains(name)),
                "{name}: {error:?}"
            );
        }
    }

    #[test]
    fn a_replica_is_read_from_only_when_named_within_the_lag_given() {
        assert!(config(&[]).expect("valid").replica.is_none());
        let primary = ("DATABASE_URL", "postgres://u@db1,db2/admin");
        let named = config(&[
            primary,
            ("DATABASE_REPLICA_URL", "postgres://u:secret@db3/admin"),
        ])
        .expect("valid");
        let (url, max_lag) = named.replica.clone().expect("a replica");
        assert_eq!(url.location(), "db3:5432/admin as u");
        assert_eq!(max_lag, Duration::from_secs(5));
        assert!(!format!("{named:?}").contains("secret"));
        let lagging = config(&[
            primary,
            ("DATABASE_REPLICA_URL", "postgresql://db3/admin"),
            ("ADMIN_API_REPLICA_MAX_LAG", "30s"),
        ])
        .expect("valid");
        assert_eq!(
            lagging.replica.map(|(_, lag)| lag),
            Some(Duration::from_secs(30))
        );
        for (vars, said) in [
            (
                vec![("DATABASE_REPLICA_URL", "postgres://db3/admin")],
                "needs DATABASE_URL on PostgreSQL",
            ),
            (
                vec![primary, ("DATABASE_REPLICA_URL", "sqlite://x")],
                "DATABASE_REPLICA_URL must start",
            ),
            (
                vec![
                    primary,
                    ("DATABASE_REPLICA_URL", "postgres://db3/admin"),
                    ("ADMIN_API_REPLICA_MAX_LAG", "soon"),
                ],
                "ADMIN_API_REPLICA_MAX_LAG",
            ),
        ] {
            let error = config(&vars).err().map(|e| format!("{e:#}"));
            assert!(
                error.as_deref().is_some_and(|e| e.contains(said)),
                "{said}: {error:?}"
            );
        }
    }

    #[test]
    fn cleanups_are_scheduled_only_when_asked_at_the_rate_given() {
        let unset = config(&[]).expect("valid");
        assert_eq!((unset.cleanup_interval, unset.cleanup_rate), (None, 50_000));
        let set = config(&[
            ("ADMIN_API_CLEANUP_INTERVAL", "1h"),
            ("ADMIN_API_CLEANUP_RATE", "2000"),
        ])
        .expect("valid");
        assert_eq!(set.cleanup_interval, Some(Duration::from_secs(3_600)));
        assert_eq!(set.cleanup_rate, 2_000);
    }
}
