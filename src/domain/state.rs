//! The container state machine of DESIGN section 2: what each action needs and what it does.

use chrono::NaiveDateTime;

use super::words::text_enum;

text_enum!(
    /// What happened to a container.
    Action {
        Commission = "commission",
        Fill = "fill",
        Sell = "sell",
        Return = "return",
        Ship = "ship",
        Receive = "receive",
        Wash = "wash",
        Reject = "reject",
        Break = "break",
        Lose = "lose",
        Retire = "retire",
        Undo = "undo",
    }
);

/// `undo` cancels an earlier scan made by mistake (the event it names); it is never folded.
/// The scans a person may undo, when nothing was recorded on the container after them.
pub const UNDOABLE: &[Action] = &[Action::Fill, Action::Sell, Action::Return];

text_enum!(
    /// Where a container is (the `state` field).
    Place {
        AtSite = "at_site",
        InTransit = "in_transit",
        WithConsumer = "with_consumer",
        Washing = "washing",
        Retired = "retired",
    }
);

text_enum!(
    /// What is in a container.
    Condition {
        Clean = "clean",
        Filled = "filled",
        Dirty = "dirty",
    }
);

text_enum!(
    SiteKind {
        Shop = "shop",
        Washer = "washer",
        Producer = "producer",
        Company = "company",
        Hub = "hub",
    }
);

text_enum!(
    /// What carried a shipment.
    Vehicle {
        Van = "van",
        Truck = "truck",
        Car = "car",
        CargoBike = "cargo_bike",
        Other = "other",
    }
);

text_enum!(
    RetiredReason {
        Broken = "broken",
        Lost = "lost",
        EndOfLife = "end_of_life",
    }
);

/// `reason` of the two `wash` events of a batch: loaded into the machine, then out clean.
pub const WASH_STARTED: &str = "started";
pub const WASH_FINISHED: &str = "finished";
/// `reason` of a `reject` event that sends the container back to the dirty pile.
pub const REJECT_REWASH: &str = "rewash";

/// One event as the rules see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Ev {
    pub action: Action,
    pub site_id: String,
    pub site_kind: SiteKind,
    /// The destination of a `ship`.
    pub to_site_id: Option<String>,
    pub at: NaiveDateTime,
    pub inferred: bool,
    pub shipment_id: Option<String>,
    pub batch_id: Option<String>,
    pub reason: Option<String>,
}

impl Ev {
    pub fn new(action: Action, site_id: &str, site_kind: SiteKind, at: NaiveDateTime) -> Ev {
        Ev {
            action,
            site_id: site_id.to_owned(),
            site_kind,
            to_site_id: None,
            at,
            inferred: false,
            shipment_id: None,
            batch_id: None,
            reason: None,
        }
    }

    fn is_wash_start(&self) -> bool {
        self.action == Action::Wash && self.reason.as_deref() == Some(WASH_STARTED)
    }
}

/// Where a container is and what is in it: the fold of its events.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerState {
    pub state: Place,
    pub condition: Condition,
    pub site_id: String,
    pub shipment_id: Option<String>,
    pub dest_site_id: Option<String>,
    pub batch_id: Option<String>,
    pub uses: i64,
    pub retired_reason: Option<RetiredReason>,
    pub last_event_at: NaiveDateTime,
}

/// Why an action cannot be applied; rendered for people by [`Refusal::message`].
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// The action is never done at this kind of site.
    SiteKind {
        action: Action,
        kind: SiteKind,
        expected: &'static str,
    },
    /// The container is known to be at another site.
    ElsewhereAt {
        site_id: String,
    },
    /// The container is in a state the action does not start from.
    State {
        found: Box<ContainerState>,
        expected: &'static str,
    },
    Retired {
        reason: Option<RetiredReason>,
    },
    BeforeCommissioning {
        commissioned_at: NaiveDateTime,
    },
    /// Recording the scan would make a later, already recorded event impossible.
    ConflictsWithLater {
        action: Action,
        at: NaiveDateTime,
    },
    /// The writer records only at its own site (`access::Reach`).
    ForbiddenSite {
        site_id: String,
    },
    /// A site user ends the life only of what its site holds (`access::authorise`).
    NotHeld {
        found: Box<ContainerState>,
    },
}

impl Refusal {
    /// A stable snake_case code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::SiteKind { .. } => "wrong_site_kind",
            Refusal::ElsewhereAt { .. } => "wrong_site",
            Refusal::State { .. } => "invalid_transition",
            Refusal::Retired { .. } => "container_retired",
            Refusal::BeforeCommissioning { .. } => "before_commissioning",
            Refusal::ConflictsWithLater { .. } => "conflicts_with_later_event",
            Refusal::ForbiddenSite { .. } => "forbidden_site",
            Refusal::NotHeld { .. } => "forbidden_container",
        }
    }

    /// A sentence for a person, naming the container, what was found and what was expected.
    pub fn message(
        &self,
        code: &str,
        action: Action,
        site_name: &dyn Fn(&str) -> String,
    ) -> String {
        match self {
            Refusal::SiteKind { kind, expected, .. } => {
                format!("{action} is scanned at {expected}, not at a {kind} site")
            }
            Refusal::ElsewhereAt { site_id } => {
                format!("container {code} is at {}, not at this site", site_name(site_id))
            }
            Refusal::State { found, expected } => format!(
                "container {code} is {}; to {action} it, it must be {expected}",
                describe(found, site_name)
            ),
            Refusal::Retired { reason } => format!(
                "container {code} was retired ({}); a retired container cannot be used again",
                reason.map_or("no reason given", RetiredReason::as_str)
            ),
            Refusal::BeforeCommissioning { commissioned_at } => format!(
                "container {code} was commissioned at {commissioned_at} UTC, after this scan's time"
            ),
            Refusal::ConflictsWithLater { action: later, at } => format!(
                "container {code} has a later {later} at {at} UTC that this {action} would make impossible"
            ),
            Refusal::ForbiddenSite { site_id } => format!(
                "your account records only at its own site, not at {}",
                site_name(site_id)
            ),
            Refusal::NotHeld { found } => format!(
                "container {code} is {}; your account may {action} only a container on its \
                 site's premises, with a consumer of its shop or on a shipment from or to its \
                 site: ask a coordinator",
                describe(found, site_name)
            ),
        }
    }
}

/// The container's state in words, e.g. "at Biocoop Rennes, dirty".
pub fn describe(s: &ContainerState, site_name: &dyn Fn(&str) -> String) -> String {
    let site = site_name(&s.site_id);
    match s.state {
        Place::AtSite => format!("at {site}, {}", s.condition),
        Place::InTransit => match &s.dest_site_id {
            Some(dest) => format!("in transit from {site} to {}", site_name(dest)),
            None => format!("in transit from {site}"),
        },
        Place::WithConsumer => format!("with a consumer (sold by {site})"),
        Place::Washing => format!("being washed at {site}"),
        Place::Retired => format!(
            "retired ({})",
            s.retired_reason
                .map_or("no reason given", RetiredReason::as_str)
        ),
    }
}

/// The state right after commissioning.
pub fn commissioned(ev: &Ev) -> ContainerState {
    ContainerState {
        state: Place::AtSite,
        condition: Condition::Clean,
        site_id: ev.site_id.clone(),
        shipment_id: None,
        dest_site_id: None,
        batch_id: None,
        uses: 0,
        retired_reason: None,
        last_event_at: ev.at,
    }
}

/// Whether `ev` may happen to a container in state `s` (the transition table).
pub fn check(s: &ContainerState, ev: &Ev) -> Result<(), Refusal> {
    if s.state == Place::Retired {
        return Err(Refusal::Retired {
            reason: s.retired_reason,
        });
    }
    let wrong = |expected| {
        Err(Refusal::State {
            found: Box::new(s.clone()),
            expected,
        })
    };
    let here = |s: &ContainerState| s.site_id == ev.site_id;
    let on_premises = |expected| {
        if s.state == Place::AtSite && !here(s) {
            Err(Refusal::ElsewhereAt {
                site_id: s.site_id.clone(),
            })
        } else {
            wrong(expected)
        }
    };
    match ev.action {
        Action::Undo => wrong("undone through its own route, never folded"),
        Action::Commission => wrong("new (it is commissioned already)"),
        Action::Fill => {
            const EXPECTED: &str = "clean, on the premises of a producer or company";
            if !matches!(ev.site_kind, SiteKind::Producer | SiteKind::Company) {
                return Err(site_kind(ev, "a producer or company"));
            }
            match (s.state, s.condition) {
                (Place::AtSite, Condition::Clean) if here(s) => Ok(()),
                _ => on_premises(EXPECTED),
            }
        }
        Action::Sell => {
            if ev.site_kind != SiteKind::Shop {
                return Err(site_kind(ev, "a shop"));
            }
            match (s.state, s.condition) {
                (Place::AtSite, Condition::Filled) if here(s) => Ok(()),
                _ => on_premises("filled, on the shelves of this shop"),
            }
        }
        Action::Return => match (s.state, s.condition) {
            (Place::WithConsumer, _) => Ok(()),
            (Place::AtSite, Condition::Filled) if here(s) => Ok(()),
            _ => on_premises("with a consumer, or filled on this site's shelves"),
        },
        Action::Ship => match s.state {
            Place::AtSite if here(s) => Ok(()),
            _ => on_premises("on the premises of the shipment's origin"),
        },
        // A shipment arrives where it was bound, and a batch is finished where it runs.
        Action::Receive => match s.state {
            Place::InTransit
                if s.shipment_id == ev.shipment_id
                    && s.dest_site_id.as_deref() == Some(ev.site_id.as_str()) =>
            {
                Ok(())
            }
            _ => wrong("in transit on this shipment, bound for this site"),
        },
        Action::Wash if ev.is_wash_start() => {
            if ev.site_kind != SiteKind::Washer {
                return Err(site_kind(ev, "a washer"));
            }
            match (s.state, s.condition) {
                (Place::AtSite, Condition::Dirty) if here(s) => Ok(()),
                _ => on_premises("dirty, on the premises of this washer"),
            }
        }
        Action::Wash | Action::Reject => match s.state {
            Place::Washing if s.batch_id == ev.batch_id && here(s) => Ok(()),
            _ => wrong("in this wash batch, at this washer"),
        },
        Action::Break | Action::Lose | Action::Retire => Ok(()),
    }
}

fn site_kind(ev: &Ev, expected: &'static str) -> Refusal {
    Refusal::SiteKind {
        action: ev.action,
        kind: ev.site_kind,
        expected,
    }
}

/// What `ev` does to a container. Total: it never refuses, so that a log recorded under
/// other rules still folds; [`check`] decides what may be recorded.
pub fn apply(s: &ContainerState, ev: &Ev) -> ContainerState {
    let mut n = s.clone();
    n.last_event_at = ev.at;
    let at_site = |n: &mut ContainerState, place: Place| {
        n.state = place;
        n.site_id = ev.site_id.clone();
        n.shipment_id = None;
        n.dest_site_id = None;
        n.batch_id = None;
    };
    match ev.action {
        Action::Undo => {}
        Action::Commission => return commissioned(ev),
        Action::Fill => {
            at_site(&mut n, Place::AtSite);
            n.condition = Condition::Filled;
            n.uses += 1;
        }
        Action::Sell => at_site(&mut n, Place::WithConsumer),
        Action::Return => {
            at_site(&mut n, Place::AtSite);
            n.condition = Condition::Dirty;
        }
        Action::Ship => {
            at_site(&mut n, Place::InTransit);
            n.shipment_id = ev.shipment_id.clone();
            n.dest_site_id = ev.to_site_id.clone();
        }
        Action::Receive => at_site(&mut n, Place::AtSite),
        Action::Wash if ev.is_wash_start() => {
            at_site(&mut n, Place::Washing);
            n.batch_id = ev.batch_id.clone();
        }
        Action::Wash => {
            at_site(&mut n, Place::AtSite);
            n.condition = Condition::Clean;
        }
        Action::Reject if ev.reason.as_deref() == Some(REJECT_REWASH) => {
            at_site(&mut n, Place::AtSite);
            n.condition = Condition::Dirty;
        }
        Action::Reject | Action::Break => retire(&mut n, ev, RetiredReason::Broken),
        Action::Lose => retire(&mut n, ev, RetiredReason::Lost),
        Action::Retire => {
            let reason = ev.reason.as_deref().and_then(RetiredReason::parse);
            retire(&mut n, ev, reason.unwrap_or(RetiredReason::EndOfLife));
        }
    }
    n
}

fn retire(n: &mut ContainerState, ev: &Ev, reason: RetiredReason) {
    n.state = Place::Retired;
    n.site_id = ev.site_id.clone();
    n.shipment_id = None;
    n.dest_site_id = None;
    n.batch_id = None;
    n.retired_reason = Some(reason);
}
