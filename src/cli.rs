//! The command line: serve, migrate, and the bootstrap of users and tokens.

use std::io::BufRead;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::db::audit::By;
use crate::db::auth::{create_token, find_user_by_email, revoke_tokens, Revoke};
use crate::db::catalog::now;
use crate::db::{write_tx, Db};
use crate::domain::roles::Role;
pub use crate::sim::command::{prepare_demo, simulate, DEMO_DATABASE};

#[derive(Parser)]
#[command(
    name = "boucle",
    version,
    about = "Follows the containers of a local reuse loop. Settings come from environment variables (see the README)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the API (the default).
    Serve,
    /// Print the API's OpenAPI document (JSON), as served at /api/v1/openapi.json.
    Openapi,
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Recompute the figures' counters from the event log and report any difference.
    CheckFigures {
        /// Replace the stored counters with the recomputed ones.
        #[arg(long)]
        repair: bool,
    },
    /// Fill the database with a simulated loop, through the same code paths as the API.
    Simulate(SimArgs),
    /// Simulate the default loop into a fresh demo database, print a sign-in, and serve.
    Demo(SimArgs),
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Import sites, types or containers from a CSV file: all rows, or none.
    Import {
        /// sites, types or containers.
        what: String,
        /// The CSV file, with a header line.
        file: std::path::PathBuf,
    },
    /// Copy the SQLite database into FILE, consistently, while the service goes on serving.
    Backup {
        /// A new file: a backup never overwrites one.
        file: std::path::PathBuf,
    },
    /// Check the backup FILE (integrity, figures) and restore it at DATABASE_URL.
    Restore {
        file: std::path::PathBuf,
        /// Replace the database at DATABASE_URL, which no program may have open; it is kept,
        /// renamed with the time of the restore.
        #[arg(long)]
        replace: bool,
    },
    /// Print the audit log, newest first: sign-ins, tokens made and revoked, users added.
    Audit {
        /// Only entries of this action: sign_in, sign_in_failed, sign_in_refused, sign_out,
        /// token_created, token_revoked or user_added.
        #[arg(long)]
        action: Option<String>,
        /// Only entries where this e-mail acted or was acted on.
        #[arg(long)]
        email: Option<String>,
        /// How many entries, at most.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Export events, containers, sites or types as CSV on standard output.
    Export {
        /// events, containers, sites or types.
        what: String,
        /// For events: the first day (YYYY-MM-DD), default the first event's.
        #[arg(long)]
        from: Option<String>,
        /// For events: the day after the last (YYYY-MM-DD), default tomorrow.
        #[arg(long)]
        to: Option<String>,
    },
}

#[derive(clap::Args, Clone)]
pub struct SimArgs {
    /// zerowest (shops, a washer and producers) or big-bags (firms of an industrial park).
    #[arg(long, default_value = "zerowest")]
    pub scenario: String,
    /// Days to simulate, ending yesterday.
    #[arg(long, default_value_t = 365)]
    pub days: u32,
    /// Multiplies the fleet and the daily fills (10 gives about ten times the events).
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// The same seed gives the same loop.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a user; the password is read from the first line of standard input.
    Add {
        #[arg(long)]
        email: String,
        /// shop, washer, producer, coordinator or admin.
        #[arg(long)]
        role: String,
        /// The site of a shop, washer or producer user.
        #[arg(long)]
        site: Option<String>,
        /// The language of the user's mails: fr or en.
        #[arg(long, default_value = "fr")]
        language: String,
        /// Read the password from standard input (required: passwords never go on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it, alone, on standard output.
    Create {
        #[arg(long)]
        email: String,
        /// What will use the token, e.g. "till 1".
        #[arg(long)]
        name: String,
    },
    /// Revoke a user's tokens with this name (all of them without --name).
    Revoke {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: Option<String>,
    },
}

/// Runs a command other than `serve`; returns what to print on standard output.
pub fn run_admin(command: Command, config: &Config) -> anyhow::Result<String> {
    // These two must not create or migrate the database they name.
    match &command {
        Command::Backup { file } => return crate::db::backup::backup(&config.database_url, file),
        Command::Restore { file, replace } => {
            return crate::db::backup::restore(&config.database_url, file, *replace)
        }
        _ => {}
    }
    let db = Db::connect(&config.database_url, 2)?;
    db.migrate()?;
    let mut conn = db
        .write_conn()
        .context("cannot get a database connection")?;
    match command {
        Command::Serve => bail!("serve is not an administrative command"),
        Command::Backup { .. } | Command::Restore { .. } => {
            bail!("backup and restore are answered before the database is opened")
        }
        Command::Migrate => Ok(String::new()),
        Command::CheckFigures { repair } => check_figures(&mut conn, repair),
        Command::Import { what, file } => {
            let out = crate::interop::cli::import(&mut conn, config, &what, &file)?;
            crate::db::deltas::fold(&mut conn)?;
            Ok(out)
        }
        Command::Export { what, from, to } => {
            crate::interop::cli::export(&mut conn, &what, from.as_deref(), to.as_deref())
        }
        Command::Simulate(args) => {
            drop(conn);
            let summary = simulate(&db, config, &args)?;
            Ok(summary)
        }
        Command::Audit {
            action,
            email,
            limit,
        } => audit(&mut conn, action.as_deref(), email, limit),
        Command::Demo(_) => bail!("demo is not an administrative command"),
        Command::Openapi => bail!("openapi needs no database"),
        Command::User {
            command:
                UserCommand::Add {
                    email,
                    role,
                    site,
                    language,
                    password_stdin: _,
                },
        } => {
            let lang = crate::mail::Lang::parse(&language).with_context(|| {
                format!("--language {language:?} is not offered; give fr or en")
            })?;
            let role = Role::parse(&role).with_context(|| {
                format!(
                    "--role {role:?} is not a role; give one of {}",
                    Role::choices()
                )
            })?;
            let password = read_password()?;
            let new = crate::db::users::NewUser {
                email: &email,
                role,
                site_id: site.as_deref(),
                language: lang,
                password: &password,
            };
            write_tx(&mut conn, |conn| -> anyhow::Result<String> {
                match crate::db::users::add(conn, &new, &By::command_line(), now())? {
                    Ok(user) => {
                        eprintln!("added {} user {} ({})", role.as_str(), user.email, user.id);
                        Ok(String::new())
                    }
                    Err(why) => bail!("{}", refusal(&why)),
                }
            })
        }
        Command::Token {
            command: TokenCommand::Create { email, name },
        } => {
            write_tx(&mut conn, |conn| {
                let user = find_user_by_email(conn, &email)?
                    .with_context(|| format!("no user has the e-mail {email}"))?;
                if name.trim().is_empty() {
                    bail!("--name must not be empty: name the device or script that will use the token");
                }
                Ok(create_token(
                    conn,
                    &user,
                    name.trim(),
                    &By::command_line(),
                    now(),
                )?)
            })
        }
        Command::Token {
            command: TokenCommand::Revoke { email, name },
        } => write_tx(&mut conn, |conn| {
            let user = find_user_by_email(conn, &email)?
                .with_context(|| format!("no user has the e-mail {email}"))?;
            let which = Revoke {
                user_id: &user.id,
                email: &user.email,
                token_id: None,
                name: name.as_deref(),
            };
            let n = revoke_tokens(conn, &which, &By::command_line(), now())?;
            eprintln!("revoked {n} token(s) of {email}");
            Ok(String::new())
        }),
    }
}

/// Why `user add` refused, with the options to change.
fn refusal(why: &crate::db::users::Refusal) -> String {
    use crate::db::users::Refusal;
    match why {
        Refusal::Email(e) => format!("--email {e:?} is not an e-mail address mail can be sent to; give one such as lea@laiterie.fr"),
        Refusal::ShortPassword => format!("the password must have at least {} characters", crate::db::users::MIN_PASSWORD),
        Refusal::Taken(e) => format!("a user with the e-mail {e} exists already"),
        Refusal::NeedsSite(r) => format!("a {} user belongs to a site: give --site SITE_ID", r.as_str()),
        Refusal::NoSite(r) => format!("a {} works across sites: leave out --site", r.as_str()),
        Refusal::UnknownSite(id) => format!("no site has the id {id}"),
        Refusal::WrongSite(r, name, kind) => format!("a {} user cannot belong to {name}, which is a {kind}", r.as_str()),
    }
}

fn audit(
    conn: &mut crate::db::DbConnection,
    action: Option<&str>,
    email: Option<String>,
    limit: i64,
) -> anyhow::Result<String> {
    use crate::db::audit::{list, AuditAction, Filter};
    let action = action
        .map(|a| {
            AuditAction::parse(a).with_context(|| {
                format!(
                    "--action {a:?} is not known; give one of {}",
                    AuditAction::choices()
                )
            })
        })
        .transpose()?;
    if limit < 1 {
        bail!("--limit {limit} lists nothing; give 1 or more");
    }
    let email = email.map(|e| e.trim().to_lowercase());
    let filter = Filter {
        action,
        email,
        before: None,
        limit,
    };
    let entries = list(conn, &filter)?.unwrap_or_default();
    let mut out = String::from("at\taction\tactor\tsubject\tclient\tdetail\n");
    for e in entries {
        let at = crate::domain::time::rfc3339::text(&e.at);
        let dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
        out.push_str(&format!(
            "{at}\t{}\t{}\t{}\t{}\t{}\n",
            e.action,
            dash(e.actor),
            dash(e.subject),
            dash(e.client),
            e.detail
        ));
    }
    Ok(out.trim_end().to_owned())
}

fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\n', '\r']).to_owned();
    if password.chars().count() < crate::db::users::MIN_PASSWORD {
        bail!(
            "the password on standard input must have at least {} characters",
            crate::db::users::MIN_PASSWORD
        );
    }
    Ok(password)
}

fn check_figures(conn: &mut crate::db::DbConnection, repair: bool) -> anyhow::Result<String> {
    use crate::db::check;
    let fresh = check::recompute(conn, |n| eprint!("\rrecomputing: {n} containers"))?;
    eprintln!();
    let diffs = check::differences(conn, &fresh)?;
    let summary = format!(
        "checked {} containers and {} events",
        fresh.containers, fresh.events
    );
    if diffs.is_empty() {
        return Ok(format!("{summary}: the stored figures agree with the log"));
    }
    for d in &diffs {
        println!("{d}");
    }
    if repair {
        write_tx(conn, |c| check::repair(c, &fresh))?;
        if !fresh.states.is_empty() {
            bail!("{summary}: counters, loads, trips and holdings repaired from the log, but {} containers' stored states disagree with their events (above); those are not changed automatically", fresh.states.len());
        }
        return Ok(format!(
            "{summary}: {} differences, repaired from the log",
            diffs.len()
        ));
    }
    bail!("{summary}: {} differences between the stored figures and the log (run with --repair to rebuild them)", diffs.len())
}
