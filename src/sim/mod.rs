//! `boucle simulate`: a realistic loop played through the same code paths as the API
//! (the database layer's recorder, shipments and wash batches), seeded so runs repeat.

pub mod command;
pub mod scenario;

use anyhow::Context;
use chrono::{Datelike, NaiveDate, NaiveDateTime, Weekday};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::db::catalog::{insert_site, insert_type, now};
use crate::db::containers::{commission, Commission};
use crate::db::models::{ContainerType, Site};
use crate::db::scans::{EventRequest, Outcome, Recorder, Status};
use crate::db::shipments::{self, NewShipment};
use crate::db::{write_tx, Db, DbConnection};
use crate::domain::access::Reach;
use crate::domain::state::Action;
use scenario::{Scenario, SiteSpec};

pub struct Options {
    pub scenario: Scenario,
    pub days: u32,
    pub scale: f64,
    pub seed: u64,
    /// The first day after the simulated period (today by default: the loop runs up to
    /// yesterday evening).
    pub end: NaiveDate,
    pub prefix: String,
    pub detour_factor: f64,
}

#[derive(Debug, Default)]
pub struct Summary {
    pub sites: usize,
    pub containers: usize,
    pub recorded: u64,
    /// Scans the service refused: none in a correct simulation.
    pub rejected: u64,
    pub first_rejections: Vec<String>,
}

/// The day's transaction: its connection and the recorder of its events.
struct Tx<'c> {
    conn: &'c mut DbConnection,
    rec: Recorder,
}

#[derive(Clone, Copy, PartialEq)]
enum Where {
    Clean(usize),
    Filled(usize),
    /// On a shelf or at a firm, until `back` (a return, or an emptying) or `lost`.
    Out {
        site: usize,
        sold: bool,
        back: Option<u32>,
        lost: u32,
    },
    Dirty(usize),
    Retired,
}

struct Sim<'a> {
    opts: &'a Options,
    rng: StdRng,
    /// Site ids: the washer first, then the fillers, then the users (if apart).
    sites: Vec<String>,
    fillers: Vec<usize>,
    users: Vec<usize>,
    scans_sales: Vec<bool>,
    codes: Vec<String>,
    places: Vec<Where>,
    start: NaiveDate,
    summary: Summary,
}

fn site(s: &SiteSpec, now: NaiveDateTime) -> Site {
    Site {
        id: uuid::Uuid::now_v7().to_string(),
        name: s.name.clone(),
        kind: s.kind.to_owned(),
        lat: s.lat,
        lon: s.lon,
        address: None,
        email: None,
        created_at: now,
    }
}

/// Plays the scenario into `db`; `progress(day, days)` is called after each day.
pub fn run(
    db: &Db,
    opts: &Options,
    mut progress: impl FnMut(u32, u32, &Summary),
) -> anyhow::Result<Summary> {
    let mut conn = db
        .write_conn()
        .context("cannot get a database connection")?;
    let start = opts
        .end
        .checked_sub_days(chrono::Days::new(u64::from(opts.days)))
        .context("the period starts before the calendar")?;
    let mut sim = Sim {
        opts,
        rng: StdRng::seed_from_u64(opts.seed),
        sites: vec![],
        fillers: vec![],
        users: vec![],
        scans_sales: vec![],
        codes: vec![],
        places: vec![],
        start,
        summary: Summary::default(),
    };
    write_tx(&mut conn, |c| sim.set_up(c))?;
    for day in 0..opts.days {
        sim.play_day(&mut conn, day)?;
        progress(day + 1, opts.days, &sim.summary);
    }
    Ok(sim.summary)
}

impl Sim<'_> {
    fn at(&self, day: u32, hour: u32, minute: u32) -> NaiveDateTime {
        let date = self.start + chrono::Days::new(u64::from(day));
        date.and_hms_opt(hour.min(23), minute % 60, 0)
            .unwrap_or_default()
    }

    fn set_up(&mut self, conn: &mut DbConnection) -> anyhow::Result<()> {
        let s = &self.opts.scenario;
        let t = now();
        let add = |spec: &SiteSpec, conn: &mut DbConnection| -> anyhow::Result<String> {
            let row = site(spec, t);
            insert_site(conn, &row)?;
            Ok(row.id)
        };
        self.sites.push(add(&s.washer, conn)?);
        for f in &s.fillers {
            self.fillers.push(self.sites.len());
            self.sites.push(add(f, conn)?);
        }
        match &s.users {
            Some(users) => {
                for u in users {
                    self.users.push(self.sites.len());
                    self.sites.push(add(u, conn)?);
                }
            }
            None => self.users = self.fillers.clone(),
        }
        for _ in 0..self.sites.len() {
            let scans = self.rng.gen_bool(s.scanning_shops.clamp(0.0, 1.0));
            self.scans_sales.push(scans);
        }
        let commissioned_at = self.at(0, 4, 0);
        for spec in &s.types {
            let ty = ContainerType {
                id: uuid::Uuid::now_v7().to_string(),
                name: spec.name.to_owned(),
                material: spec.material.to_owned(),
                capacity_ml: spec.capacity_ml,
                tare_mass_g: spec.tare_mass_g,
                single_use_mass_g: spec.single_use_mass_g,
                created_at: t,
                asset_type: 0,
            };
            insert_type(conn, &ty)?;
            let count = ((spec.fleet as f64 * self.opts.scale).round() as usize).max(1);
            let mut left = count;
            while left > 0 {
                let n = left.min(10_000);
                let order = Commission {
                    type_id: &ty.id,
                    site_id: &self.sites[0],
                    count: n,
                    at: commissioned_at,
                    user_id: None,
                    prefix: &self.opts.prefix,
                    now: t,
                };
                for c in commission(conn, &order)? {
                    self.codes.push(c.code);
                    self.places.push(Where::Clean(0));
                }
                self.summary.recorded += n as u64;
                left -= n;
            }
        }
        self.summary.sites = self.sites.len();
        self.summary.containers = self.codes.len();
        Ok(())
    }

    fn count(&mut self, outcome: &Outcome) -> bool {
        match outcome.status {
            Status::Recorded => {
                self.summary.recorded += 1;
                true
            }
            _ => {
                self.summary.rejected += 1;
                if self.summary.first_rejections.len() < 5 {
                    let why = outcome
                        .error
                        .as_ref()
                        .map_or_else(String::new, |e| e.message.clone());
                    self.summary
                        .first_rejections
                        .push(format!("{}: {why}", outcome.code));
                }
                false
            }
        }
    }

    fn scan(
        &mut self,
        tx: &mut Tx<'_>,
        i: usize,
        action: Action,
        site: usize,
        at: NaiveDateTime,
        reason: Option<&str>,
    ) -> anyhow::Result<bool> {
        let req = EventRequest {
            id: None,
            code: self.codes[i].clone(),
            action,
            site_id: self.sites[site].clone(),
            to_site_id: None,
            at,
            shipment_id: None,
            batch_id: None,
            reason: reason.map(str::to_owned),
        };
        tx.rec.reach = Reach::Site(req.site_id.clone());
        let outcome = tx.rec.record(tx.conn, &req)?;
        Ok(self.count(&outcome))
    }

    /// Ships containers `items` from one site to another, received `hours` later.
    fn ship(
        &mut self,
        tx: &mut Tx<'_>,
        items: &[usize],
        from: usize,
        to: usize,
        departed: NaiveDateTime,
        vehicle: &str,
    ) -> anyhow::Result<Vec<usize>> {
        if items.is_empty() {
            return Ok(vec![]);
        }
        let req = NewShipment {
            id: None,
            from_site_id: self.sites[from].clone(),
            to_site_id: self.sites[to].clone(),
            codes: items.iter().map(|&i| self.codes[i].clone()).collect(),
            departed_at: departed,
            distance_km: None,
            vehicle: Some(vehicle.to_owned()),
            detour_factor: self.opts.detour_factor,
        };
        tx.rec.reach = Reach::Site(req.from_site_id.clone());
        let report = match shipments::create(tx.conn, &mut tx.rec, &req)? {
            Ok(r) => r,
            Err(why) => anyhow::bail!("the simulated shipment was refused: {}", why.message),
        };
        let mut moved = Vec::new();
        for (o, &i) in report.results.iter().zip(items) {
            if self.count(o) {
                moved.push(i);
            }
        }
        let arrival = departed + chrono::TimeDelta::hours(1);
        tx.rec.reach = Reach::Site(req.to_site_id.clone());
        let received = shipments::receive(tx.conn, &mut tx.rec, report.shipment, arrival, None)?;
        if let Ok(r) = received {
            for o in &r.results {
                self.count(o);
            }
        }
        Ok(moved)
    }

    /// One day, each of its rounds in its own transaction, as the sites would record them
    /// (and so that SQLite's write-ahead log is checkpointed between them), then a fold.
    fn play_day(&mut self, conn: &mut DbConnection, day: u32) -> anyhow::Result<()> {
        let sunday = (self.start + chrono::Days::new(u64::from(day))).weekday() == Weekday::Sun;
        let restock = day % self.opts.scenario.restock_every == 0;
        type Round = fn(&mut Sim<'_>, &mut Tx<'_>, u32, bool) -> anyhow::Result<()>;
        let rounds: [(bool, Round); 5] = [
            (true, |s, tx, day, _| s.wash(tx, day)),
            (restock, |s, tx, day, _| s.restock(tx, day)),
            (!sunday, |s, tx, day, _| s.fill_and_deliver(tx, day)),
            (true, |s, tx, day, sunday| s.use_and_return(tx, day, sunday)),
            (true, |s, tx, day, _| s.collect(tx, day)),
        ];
        for (run, round) in rounds {
            if run {
                write_tx(conn, |c| {
                    let mut tx = Tx {
                        conn: c,
                        // Each step is recorded as the user of its site would (`Reach`).
                        rec: Recorder::new(None, Reach::Loop, &self.opts.prefix, now()),
                    };
                    round(self, &mut tx, day, sunday)?;
                    Ok::<(), anyhow::Error>(tx.rec.finish(tx.conn)?)
                })?;
            }
        }
        // On PostgreSQL, the day's counters into the tables, so that the deltas of a long
        // simulation never pile up for the readers to add (a no-op on SQLite).
        crate::db::deltas::fold(conn)?;
        Ok(())
    }
}

#[path = "day.rs"]
mod day;
