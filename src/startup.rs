//! Wiring: the database, its migrations, and the HTTP server on its listener.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::{middleware, web, App, HttpServer};
use anyhow::Context;

use crate::config::Config;
use crate::db::{Checkpoints, Db};
use crate::http::{configure, AppState};

pub struct Application {
    port: u16,
    server: Server,
    mail: crate::mail::sender::MailThread,
    upkeep: crate::db::checkpoint::Upkeep,
}

impl Application {
    /// Opens the database, applies pending migrations and binds the listener (port 0 picks
    /// a free port, which [`Application::port`] reports).
    pub fn build(config: Config) -> anyhow::Result<Application> {
        let db = Db::connect_with(
            &config.database_url,
            config.db_pool_size,
            Checkpoints::Background,
        )?;
        let applied = db.migrate()?;
        if !applied.is_empty() {
            tracing::info!(migrations = ?applied, "applied migrations");
        }
        warn_if_no_user(&db)?;
        let listener = TcpListener::bind(config.bind_addr)
            .with_context(|| format!("cannot listen on {} (BIND_ADDR)", config.bind_addr))?;
        let port = listener.local_addr()?.port();
        tracing::info!(address = %listener.local_addr()?, database = db.backend.as_str(), "Boucle is listening");
        let mail = crate::mail::sender::spawn(db.clone(), config.clone())?;
        let upkeep = crate::db::checkpoint::spawn(&db)?;
        let state = web::Data::new(AppState { db, config });
        let server = HttpServer::new(move || {
            App::new()
                .wrap(middleware::Logger::new("%a \"%r\" %s %b %Dms").log_target("boucle::http"))
                .wrap(middleware::Compress::default())
                .wrap(middleware::from_fn(crate::http::deadline::body_deadline))
                .app_data(state.clone())
                .configure(configure)
                .configure(crate::pages::configure)
        })
        .listen(listener)?
        .run();
        Ok(Application {
            port,
            server,
            mail,
            upkeep,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until the server stops; the mail and upkeep threads stop with it (or when this future is
    /// dropped).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let _mail = self.mail;
        let _upkeep = self.upkeep;
        self.server.await
    }
}

/// A fresh install has no user, so no token can be had: say how to make the first one.
fn warn_if_no_user(db: &Db) -> anyhow::Result<()> {
    use diesel::prelude::*;
    let mut conn = db.read_conn().context("cannot get a database connection")?;
    let users: i64 = crate::db::schema::users::table
        .count()
        .get_result(&mut *conn)?;
    if users == 0 {
        tracing::warn!(
            "no user yet: create the first coordinator with `boucle user add --email E --role coordinator --password-stdin`, then `boucle token create --email E --name N`"
        );
    }
    Ok(())
}
