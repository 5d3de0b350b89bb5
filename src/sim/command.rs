//! `boucle simulate` and `boucle demo`: a simulated loop from the command line.

use anyhow::{bail, Context};

use crate::config::Config;
use crate::db::audit::By;
use crate::db::auth::{create_token, hash_password, insert_user};
use crate::db::catalog::now;
use crate::db::models::User;
use crate::db::{write_tx, Db};
use crate::domain::roles::Role;

use crate::cli::SimArgs;

/// Runs `boucle simulate` into `db`, with a progress bar on standard error.
pub fn simulate(db: &Db, config: &Config, args: &SimArgs) -> anyhow::Result<String> {
    use crate::sim::{run, scenario, Options};
    let chosen = match args.scenario.as_str() {
        "zerowest" => scenario::zerowest(),
        "big-bags" => scenario::big_bags(),
        other => bail!("--scenario {other:?} is not known; give zerowest or big-bags"),
    };
    if !(args.scale > 0.0 && args.scale.is_finite()) || args.days == 0 {
        bail!("--scale must be above 0 and --days at least 1");
    }
    let name = chosen.name;
    let opts = Options {
        scenario: chosen,
        days: args.days,
        scale: args.scale,
        seed: args.seed,
        end: chrono::Utc::now().date_naive(),
        prefix: config.code_prefix.clone(),
        detour_factor: config.detour_factor,
    };
    let started = std::time::Instant::now();
    let summary = run(db, &opts, |day, days, s| {
        let width = 30;
        let done = (day as usize * width) / days.max(1) as usize;
        eprint!(
            "\r[{}{}] day {day}/{days}, {} events",
            "#".repeat(done),
            ".".repeat(width - done),
            s.recorded
        );
    })?;
    eprintln!();
    for r in &summary.first_rejections {
        eprintln!("refused: {r}");
    }
    if summary.rejected > 0 {
        bail!(
            "{} simulated scans were refused (see above): the simulation and the rules disagree",
            summary.rejected
        );
    }
    Ok(format!(
        "simulated {} days of {name} in {:.1} s: {} sites, {} containers, {} events",
        args.days,
        started.elapsed().as_secs_f64(),
        summary.sites,
        summary.containers,
        summary.recorded
    ))
}

/// Where `boucle demo` keeps its loop, made afresh each time.
pub const DEMO_DATABASE: &str = "boucle-demo.db";

/// Simulates the default loop into a fresh demo database and creates a coordinator; returns
/// what to tell the person, and points `config` at the demo database.
pub fn prepare_demo(config: &mut Config, args: &SimArgs) -> anyhow::Result<String> {
    for suffix in ["", "-wal", "-shm"] {
        let path = format!("{DEMO_DATABASE}{suffix}");
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("cannot remove the old demo database {path}"))
            }
        }
    }
    config.database_url = DEMO_DATABASE.to_owned();
    let db = Db::connect(DEMO_DATABASE, config.db_pool_size)?;
    db.migrate()?;
    let simulated = simulate(&db, config, args)?;
    let password: String = {
        use rand::Rng;
        const CHARS: &[u8] = b"abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789";
        let mut rng = rand::thread_rng();
        (0..16)
            .map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char)
            .collect()
    };
    let email = "demo@boucle.local";
    let mut conn = db
        .write_conn()
        .context("cannot get a database connection")?;
    let token = write_tx(&mut conn, |c| -> anyhow::Result<String> {
        let user = User {
            id: uuid::Uuid::now_v7().to_string(),
            email: email.to_owned(),
            role: Role::Coordinator.as_str().to_owned(),
            site_id: None,
            password_hash: hash_password(&password)?,
            created_at: now(),
        };
        insert_user(c, &user)?;
        Ok(create_token(c, &user, "demo", &By::command_line(), now())?)
    })?;
    let today = chrono::Utc::now().date_naive();
    let from = today - chrono::Days::new(u64::from(args.days));
    let base = &config.base_url;
    Ok(format!(
        "{simulated}\n\nThe demo loop is served at {base} from {DEMO_DATABASE}.\n\
         Coordinator: {email}, password {password}\n\
         API token:   {token}\n\
         Try: curl -H 'Authorization: Bearer {token}' '{base}/api/v1/reports/loop?from={from}&to={today}'\n"
    ))
}
