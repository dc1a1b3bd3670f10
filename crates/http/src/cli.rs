//! The `admin-api` command: one binary that serves and administers. Commands that create
//! something print only the new id (or token) on stdout; everything else goes to stderr.

use std::io::Write;

use admin_adapters::{Database, DatabaseUrl, RootKey};
use admin_domain::{
    AdminError, BearerToken, ChainCheck, Conflict, Email, Missing, Name, NewOrganization,
    OrganizationId, Provisioning, Role, SeedPlan, Slug, TokenId, Ttl, UserId,
};
use anyhow::{Context, bail};
use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::{server, wire};

/// The command line: what `admin-api --help` shows comes from `about` and the doc comments
/// of the commands.
#[derive(Debug, Parser)]
#[command(
    name = "admin-api",
    version,
    about = "Serves the platform admin API, and administers its data: organizations, users, \
             memberships, workspaces and tokens.",
    long_about = None,
    disable_help_subcommand = true
)]
pub struct Cli {
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (the default).
    Serve,
    /// Apply pending database migrations.
    Migrate,
    /// Print a new root private key, hex.
    Keygen,
    /// Organizations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Users.
    #[command(subcommand)]
    User(UserCommand),
    /// Memberships.
    #[command(subcommand)]
    Member(MemberCommand),
    /// Workspaces.
    #[command(subcommand)]
    Workspace(WorkspaceCommand),
    /// Tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// The audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Write bulk synthetic data.
    Seed {
        /// Users to create.
        #[arg(long, default_value_t = 0)]
        users: usize,
        /// Organizations to create.
        #[arg(long, default_value_t = 0)]
        orgs: usize,
        /// Workspaces to create.
        #[arg(long, default_value_t = 0)]
        workspaces: usize,
        /// Expired token records to create.
        #[arg(long = "expired-tokens", default_value_t = 0)]
        expired_tokens: usize,
    },
}

/// `admin-api org …`
#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Create an organization; prints its id.
    Create {
        /// Its name.
        #[arg(long, value_parser = Name::parse)]
        name: Name,
        /// Its slug (derived from the name when omitted).
        #[arg(long, value_parser = Slug::parse)]
        slug: Option<Slug>,
        /// Make it the platform organization (there can be one).
        #[arg(long)]
        platform: bool,
    },
}

/// `admin-api user …`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; prints its id.
    Create {
        /// Its email address.
        #[arg(long, value_parser = Email::parse)]
        email: Email,
        /// Its display name.
        #[arg(long, value_parser = Name::parse)]
        name: Option<Name>,
    },
}

/// `admin-api member …`
#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// Make a user a member of an organization, or change its role there.
    Add {
        /// The organization's id.
        #[arg(long)]
        org: OrganizationId,
        /// The user's id.
        #[arg(long)]
        user: UserId,
        /// owner, admin, member or viewer.
        #[arg(long)]
        role: Role,
    },
}

/// `admin-api workspace …`
#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    /// Create a workspace; prints its id.
    Create {
        /// The organization's id.
        #[arg(long)]
        org: OrganizationId,
        /// Its name.
        #[arg(long, value_parser = Name::parse)]
        name: Name,
        /// Its slug (derived from the name when omitted).
        #[arg(long, value_parser = Slug::parse)]
        slug: Option<Slug>,
    },
}

/// `admin-api token …`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Issue a token; prints it.
    Issue {
        /// The user's id.
        #[arg(long)]
        user: UserId,
        /// The organization to scope it to.
        #[arg(long)]
        org: Option<OrganizationId>,
        /// How long it lives: 30s, 15m, 12h, 7d…
        #[arg(long, value_parser = Ttl::parse, default_value = "15m")]
        ttl: Ttl,
    },
    /// Revoke a token (and every token attenuated from it): by its text, `-` to read it from
    /// standard input (so it never shows in a process list), or by its record's id.
    Revoke {
        /// The token, or `-` for standard input.
        #[arg(required_unless_present = "id", conflicts_with = "id")]
        token: Option<String>,
        /// The id of the token's record, instead of its text.
        #[arg(long)]
        id: Option<TokenId>,
    },
}

/// `admin-api audit …`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the whole chain, recomputing every hash: exit 0 when it holds, 1 naming the first
    /// event that does not.
    Verify,
    /// Print the newest event's hash, to keep where the database's administrators cannot
    /// write.
    Head,
}

/// Runs a command.
pub async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Keygen => print(RootKey::generate().to_hex()),
        Command::Serve => serve(config).await,
        Command::Migrate => {
            let database = open(&config).await?;
            let applied = database.migrate().await?;
            tracing::info!(applied, "migrations applied");
            Ok(())
        }
        command => administer(command, config).await,
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    // The first line says which instance logs what follows, and which build it is.
    let instance_id = uuid::Uuid::new_v4().to_string();
    tracing::info!(%instance_id, version = env!("CARGO_PKG_VERSION"), "starting");
    let mut database = open(&config).await?;
    if let Some((url, max_lag)) = &config.replica {
        database = database
            .with_replica(url.clone(), *max_lag)
            .context("cannot open the replica")?;
    }
    if matches!(config.database_url, DatabaseUrl::Postgres(_)) {
        match database.pending_migrations().await {
            Ok(0) => {}
            Ok(pending) => {
                bail!("the database lacks {pending} migration(s): run `admin-api migrate` first")
            }
            Err(error) => tracing::warn!(
                error = %crate::errors::error_chain(&error),
                "cannot check migrations: the database is unreachable; /readyz fails until it answers"
            ),
        }
    }
    let authority = config.token_authority()?;
    server::start(&config, database, authority, instance_id)?
        .until_stopped()
        .await
}

async fn administer(command: Command, config: Config) -> anyhow::Result<()> {
    let database = open(&config).await?;
    let provisioning = Provisioning::new(database.clone(), database.clone(), database.clone());
    match command {
        Command::Org(OrgCommand::Create {
            name,
            slug,
            platform,
        }) => {
            let derived = slug.is_none();
            let organization = provisioning
                .create_organization(NewOrganization {
                    name,
                    slug,
                    platform,
                })
                .await
                .map_err(|error| explained(error, derived))?;
            print(organization.id)
        }
        Command::User(UserCommand::Create { email, name }) => print(
            provisioning
                .create_user(email, name)
                .await
                .map_err(|error| explained(error, false))?
                .id,
        ),
        Command::Member(MemberCommand::Add { org, user, role }) => {
            provisioning
                .set_membership(user, org, role)
                .await
                .map_err(|error| explained(error, false))?;
            Ok(())
        }
        Command::Workspace(WorkspaceCommand::Create { org, name, slug }) => {
            let derived = slug.is_none();
            let workspace = provisioning
                .create_workspace(org, name, slug)
                .await
                .map_err(|error| explained(error, derived))?;
            print(workspace.id)
        }
        Command::Token(command) => tokens(command, &config, database).await,
        Command::Audit(AuditCommand::Verify) => match provisioning.verify_trail().await? {
            ChainCheck::Intact { events, head } => {
                print(format!("{events} events verified, head {head}"))
            }
            ChainCheck::Broken { seq, id, problem } => {
                bail!("audit verify: event #{seq} ({id}): {problem}")
            }
        },
        Command::Audit(AuditCommand::Head) => print(provisioning.trail_head().await?.hash),
        Command::Seed {
            users,
            orgs,
            workspaces,
            expired_tokens,
        } => {
            let plan = SeedPlan {
                users,
                organizations: orgs,
                workspaces,
                expired_tokens,
            };
            provisioning
                .seed(plan)
                .await
                .map_err(|error| explained(error, false))?;
            tracing::info!(users, orgs, workspaces, expired_tokens, "seeded");
            Ok(())
        }
        Command::Serve | Command::Migrate | Command::Keygen => unreachable!("handled by run"),
    }
}

/// The token commands: the only ones that sign or verify, so the only ones that load the
/// root key.
async fn tokens(command: TokenCommand, config: &Config, database: Database) -> anyhow::Result<()> {
    let service = server::admin_service(
        config,
        database.clone(),
        database,
        config.token_authority()?,
    );
    match command {
        TokenCommand::Issue { user, org, ttl } => print(
            service
                .issue_token(user, org, ttl)
                .await
                .map_err(|error| explained(error, false))
                .context("cannot issue")?
                .token,
        ),
        TokenCommand::Revoke { token, id } => {
            // clap requires exactly one of the two.
            let revocation = match (id, token.as_deref()) {
                (Some(id), _) => service.revoke_by_operator(id).await,
                (None, text) => {
                    let text = match text {
                        Some("-") => read_token_from_stdin()?,
                        other => other.unwrap_or_default().to_owned(),
                    };
                    let token = BearerToken::parse(text.trim()).context("not a token")?;
                    service.revoke_text_by_operator(&token).await
                }
            }
            .map_err(|error| explained(error, false))
            .context("cannot revoke")?;
            tracing::info!(
                revoked_at = %wire::timestamp(revocation.revoked_at),
                already_revoked = revocation.already_revoked,
                "token revoked"
            );
            Ok(())
        }
    }
}

/// A use case's failure, as the one line a user of the command reads. `derived_slug`: the
/// command derived a slug from the name, which the user can give instead.
fn explained(error: AdminError, derived_slug: bool) -> anyhow::Error {
    let sentence = match &error {
        AdminError::Conflict(Conflict::SlugTaken) => "an organization already has this slug",
        AdminError::Conflict(Conflict::SecondPlatform) => "a platform organization already exists",
        AdminError::Conflict(Conflict::EmailTaken) => "a user already has this email",
        AdminError::Conflict(Conflict::WorkspaceSlugTaken) => {
            "the organization already has a workspace with this slug"
        }
        AdminError::Conflict(Conflict::DuplicateId) => "a record with this id already exists",
        AdminError::NotFound(Missing::User) => "no user has this id",
        AdminError::NotFound(Missing::Organization) => "no organization has this id",
        AdminError::NotFound(Missing::Workspace) => "no workspace has this id",
        AdminError::NotFound(Missing::Token) => "no record of this token",
        AdminError::NotFound(Missing::Referenced) => {
            "a user or organization it names does not exist"
        }
        AdminError::Invalid(invalid) if invalid.field == "slug" && derived_slug => {
            return anyhow::anyhow!("{invalid}: give --slug");
        }
        _ => return error.into(),
    };
    anyhow::anyhow!(sentence)
}

/// A token on standard input: its first line, at most a little more than a token can be.
fn read_token_from_stdin() -> anyhow::Result<String> {
    use std::io::Read;
    let mut text = String::new();
    std::io::stdin()
        .take(2 * BearerToken::MAX_LEN as u64)
        .read_to_string(&mut text)
        .context("cannot read the token from standard input")?;
    match text.lines().next().map(str::trim) {
        Some(line) if !line.is_empty() => Ok(line.to_owned()),
        _ => bail!("no token on standard input"),
    }
}

async fn open(config: &Config) -> anyhow::Result<Database> {
    Database::open(config.database_url.clone(), config.pool)
        .await
        .context("cannot open the database")
}

/// Prints a command's one result on stdout.
fn print(value: impl std::fmt::Display) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{value}").context("cannot write to stdout")
}
