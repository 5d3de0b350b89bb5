//! One simulated day: wash, restock, fill and deliver, sell and return, collect.

use rand::Rng;

use super::{Sim, Tx, Where};
use crate::db::wash::{self, Completion, NewBatch};
use crate::domain::access::Reach;
use crate::domain::state::Action;

/// A Poisson draw (Knuth), for the day's fills.
fn poisson(rng: &mut impl Rng, mean: f64) -> usize {
    if mean <= 0.0 {
        return 0;
    }
    if mean > 30.0 {
        // Normal approximation, good enough for large means.
        let u: f64 = rng.gen_range(-1.0..1.0) + rng.gen_range(-1.0..1.0) + rng.gen_range(-1.0..1.0);
        return (mean + u * mean.sqrt()).round().max(0.0) as usize;
    }
    let limit = (-mean).exp();
    let (mut k, mut p) = (0, 1.0);
    loop {
        p *= rng.gen::<f64>();
        if p <= limit {
            return k;
        }
        k += 1;
    }
}

impl Sim<'_> {
    fn at_site(&self, pred: impl Fn(&Where) -> bool) -> Vec<usize> {
        self.places
            .iter()
            .enumerate()
            .filter(|(_, w)| pred(w))
            .map(|(i, _)| i)
            .collect()
    }

    /// The washer washes what came in, with a few rejects.
    pub(super) fn wash(&mut self, tx: &mut Tx<'_>, day: u32) -> anyhow::Result<()> {
        let dirty = self.at_site(|w| *w == Where::Dirty(0));
        if dirty.is_empty() {
            return Ok(());
        }
        let open = NewBatch {
            id: None,
            site_id: self.sites[0].clone(),
            codes: dirty.iter().map(|&i| self.codes[i].clone()).collect(),
            started_at: self.at(day, 5, 0),
            program: Some("standard".into()),
            temperature_c: Some(65.0),
        };
        tx.rec.reach = Reach::Site(open.site_id.clone());
        let report = match wash::open(tx.conn, &mut tx.rec, &open)? {
            Ok(r) => r,
            Err(why) => anyhow::bail!("the simulated wash batch was refused: {}", why.message),
        };
        let mut inside = Vec::new();
        for (o, &i) in report.results.iter().zip(&dirty) {
            if self.count(o) {
                inside.push(i);
            }
        }
        let s = &self.opts.scenario;
        let mut rejected = Vec::new();
        let mut fate = Vec::new();
        for &i in &inside {
            let r: f64 = self.rng.gen();
            let place = if r < s.broken_share {
                rejected.push((self.codes[i].clone(), "broken".to_owned()));
                Where::Retired
            } else if r < s.broken_share + s.rewash_share {
                rejected.push((self.codes[i].clone(), "rewash".to_owned()));
                Where::Dirty(0)
            } else {
                Where::Clean(0)
            };
            fate.push((i, place));
        }
        let n = inside.len() as f64;
        let done = Completion {
            finished_at: self.at(day, 6, 30),
            rejected,
            water_l: Some(n * 0.8),
            energy_kwh: Some(n * 0.15),
        };
        let completed = match wash::complete(tx.conn, &mut tx.rec, report.batch, &done)? {
            Ok(r) => r,
            Err(why) => anyhow::bail!("the simulated wash completion was refused: {}", why.message),
        };
        for o in &completed.results {
            self.count(o);
        }
        for (i, place) in fate {
            self.places[i] = place;
        }
        Ok(())
    }

    /// The washer sends clean containers to the fillers that run low.
    pub(super) fn restock(&mut self, tx: &mut Tx<'_>, day: u32) -> anyhow::Result<()> {
        let target = ((self.opts.scenario.restock_target as f64) * self.opts.scale).ceil() as usize;
        let mut spare = self.at_site(|w| *w == Where::Clean(0));
        for (k, f) in self.fillers.clone().into_iter().enumerate() {
            let have = self
                .places
                .iter()
                .filter(|w| **w == Where::Clean(f))
                .count();
            let take = target.saturating_sub(have).min(spare.len());
            let batch: Vec<usize> = spare.drain(..take).collect();
            let departed = self.at(day, 7, k as u32);
            for i in self.ship(tx, &batch, 0, f, departed, "van")? {
                self.places[i] = Where::Clean(f);
            }
        }
        Ok(())
    }

    /// Fillers fill the day's containers and send them to the users.
    pub(super) fn fill_and_deliver(&mut self, tx: &mut Tx<'_>, day: u32) -> anyhow::Result<()> {
        let s = &self.opts.scenario;
        let mean = s.fills_per_day * self.opts.scale;
        for (k, f) in self.fillers.clone().into_iter().enumerate() {
            let n = poisson(&mut self.rng, mean);
            let clean: Vec<usize> = self
                .at_site(|w| *w == Where::Clean(f))
                .into_iter()
                .take(n)
                .collect();
            let mut filled = Vec::new();
            for (j, i) in clean.into_iter().enumerate() {
                let at = self.at(day, 9, (k + j) as u32);
                if self.rng.gen_bool(0.002) {
                    if self.scan(tx, i, Action::Break, f, at, Some("broken"))? {
                        self.places[i] = Where::Retired;
                    }
                } else if self.scan(tx, i, Action::Fill, f, at, None)? {
                    self.places[i] = Where::Filled(f);
                    filled.push(i);
                }
            }
            // Deliveries go out every few days, with what was filled since.
            if (day + k as u32) % self.opts.scenario.deliver_every.max(1) != 0 {
                continue;
            }
            let filled = self.at_site(|w| *w == Where::Filled(f));
            let candidates: Vec<usize> = self.users.iter().copied().filter(|&u| u != f).collect();
            if filled.is_empty() || candidates.is_empty() {
                continue;
            }
            // Half to one shop, half to another, as a producer's round does.
            let half = filled.len().div_ceil(2);
            for part in [filled[..half].to_vec(), filled[half..].to_vec()] {
                let to = candidates[self.rng.gen_range(0..candidates.len())];
                let departed = self.at(day, 10, k as u32);
                let vehicle = self.opts.scenario.delivery_vehicle;
                for i in self.ship(tx, &part, f, to, departed, vehicle)? {
                    self.places[i] = if self.opts.scenario.consumers {
                        Where::Filled(to)
                    } else {
                        let back = self.delay(day);
                        Where::Out {
                            site: to,
                            sold: false,
                            back,
                            lost: day + self.opts.scenario.lost_after_days,
                        }
                    };
                }
            }
        }
        Ok(())
    }

    fn delay(&mut self, day: u32) -> Option<u32> {
        let s = &self.opts.scenario;
        self.rng
            .gen_bool(s.return_rate.clamp(0.0, 1.0))
            .then(|| day + self.rng.gen_range(s.delay_days.0..=s.delay_days.1))
    }

    /// Shops sell and take back; firms empty what they received.
    pub(super) fn use_and_return(
        &mut self,
        tx: &mut Tx<'_>,
        day: u32,
        sunday: bool,
    ) -> anyhow::Result<()> {
        let s = &self.opts.scenario;
        let (sell_chance, consumers, lost_after) = (s.sell_chance, s.consumers, s.lost_after_days);
        for i in 0..self.places.len() {
            match self.places[i] {
                Where::Filled(u)
                    if consumers
                        && !sunday
                        && self.users.contains(&u)
                        && self.rng.gen_bool(sell_chance) =>
                {
                    let scanned = self.scans_sales[u];
                    if scanned {
                        let (h, m) = (12 + self.rng.gen_range(0..6), self.rng.gen_range(0..60));
                        let at = self.at(day, h, m);
                        if !self.scan(tx, i, Action::Sell, u, at, None)? {
                            continue;
                        }
                    }
                    let back = self.delay(day);
                    self.places[i] = Where::Out {
                        site: u,
                        sold: scanned,
                        back,
                        lost: day + lost_after,
                    };
                }
                Where::Out {
                    site, sold, back, ..
                } if back == Some(day) && !sunday => {
                    // A sale scanned lets the container come back to any shop.
                    let to = if sold && self.rng.gen_bool(0.1) {
                        self.users[self.rng.gen_range(0..self.users.len())]
                    } else {
                        site
                    };
                    let to = if self.scans_sales[to] || to == site {
                        to
                    } else {
                        site
                    };
                    let (h, m) = (13 + self.rng.gen_range(0..5), self.rng.gen_range(0..60));
                    let at = self.at(day, h, m);
                    if self.scan(tx, i, Action::Return, to, at, None)? {
                        self.places[i] = Where::Dirty(to);
                    }
                }
                Where::Out {
                    site,
                    back: None,
                    lost,
                    ..
                } if lost <= day => {
                    let at = self.at(day, 18, 30);
                    let recorded = self.scan(tx, i, Action::Lose, site, at, Some("lost"))?;
                    if recorded {
                        self.places[i] = Where::Retired;
                    }
                }
                Where::Out {
                    site,
                    sold,
                    back: Some(b),
                    lost,
                } if b == day && sunday => {
                    // Sundays are closed: the return waits for Monday.
                    self.places[i] = Where::Out {
                        site,
                        sold,
                        back: Some(day + 1),
                        lost,
                    };
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Each user's dirty containers go to the washer on its collection day.
    pub(super) fn collect(&mut self, tx: &mut Tx<'_>, day: u32) -> anyhow::Result<()> {
        let every = self.opts.scenario.collect_every.max(1);
        let vehicle = self.opts.scenario.collection_vehicle;
        for (k, u) in self.users.clone().into_iter().enumerate() {
            if (day + k as u32) % every != 0 {
                continue;
            }
            let dirty = self.at_site(|w| *w == Where::Dirty(u));
            let departed = self.at(day, 19, k as u32);
            for i in self.ship(tx, &dirty, u, 0, departed, vehicle)? {
                self.places[i] = Where::Dirty(0);
            }
        }
        Ok(())
    }
}
