//! Delivery: builds each claimed mail with lettre and hands it to SMTP, or writes it as an
//! `.eml` file named after its outbox id. Runs on its own thread in `boucle serve`, so a
//! slow or absent mail server never holds up a request.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{Message, SmtpTransport, Transport as _};

use super::outbox::{claim, finish, OutboxRow};
use crate::config::Config;
use crate::db::Db;

/// Where mails go.
pub enum Transport {
    Smtp(Box<SmtpTransport>),
    Files(PathBuf),
}

impl Transport {
    pub fn from_settings(settings: &super::Settings) -> anyhow::Result<Transport> {
        match &settings.smtp_url {
            Some(url) => Ok(Transport::Smtp(Box::new(
                SmtpTransport::from_url(url)?
                    .timeout(Some(Duration::from_secs(20)))
                    .build(),
            ))),
            None => Ok(Transport::Files(PathBuf::from(&settings.mail_dir))),
        }
    }

    /// Delivers one mail; the error is kept in the outbox as written here.
    pub fn deliver(&self, row: &OutboxRow, from: &Mailbox) -> Result<(), Failure> {
        let message = build(row, from).map_err(Failure::permanent)?;
        match self {
            Transport::Smtp(smtp) => smtp.send(&message).map(drop).map_err(|e| Failure {
                permanent: e.is_permanent(),
                error: if e.is_permanent() {
                    format!("the SMTP server refused this mail for good: {e}")
                } else {
                    format!("the SMTP server refused or did not answer: {e}")
                },
            }),
            Transport::Files(dir) => write_file(dir, &row.id, &message.formatted()).map_err(|e| {
                Failure::transient(format!("cannot write the mail in {}: {e}", dir.display()))
            }),
        }
    }
}

/// Why a mail was not delivered; a permanent failure (a bad address, a 5xx answer) is not
/// tried again.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub error: String,
    pub permanent: bool,
}

impl Failure {
    pub fn permanent(error: String) -> Failure {
        Failure {
            error,
            permanent: true,
        }
    }
    pub fn transient(error: String) -> Failure {
        Failure {
            error,
            permanent: false,
        }
    }
}

/// Written whole under a temporary name, then renamed, so a reader never sees half a mail
/// and a second delivery of the same mail replaces the first.
fn write_file(dir: &std::path::Path, id: &str, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{id}.eml.tmp"));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, dir.join(format!("{id}.eml")))
}

/// The message of an outbox row: plain text, or text and HTML, with the CSV attached when
/// there is one; a Message-ID made from the row's id, so a mail sent again after a crash is
/// recognisable; and the unsubscribe headers of RFC 2369 and RFC 8058.
pub fn build(row: &OutboxRow, from: &Mailbox) -> Result<Message, String> {
    let to: Mailbox = row
        .recipient
        .parse()
        .map_err(|e| format!("the address {:?} is not valid: {e}", row.recipient))?;
    let mut builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(row.subject.clone())
        .message_id(Some(format!("<{}@boucle>", row.id)));
    if let Some(url) = &row.unsubscribe_url {
        builder = builder
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{url}>"),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_owned(),
            ));
    }
    let text = SinglePart::plain(row.body_text.clone());
    let body = match &row.body_html {
        Some(html) => MultiPart::alternative()
            .singlepart(text)
            .singlepart(SinglePart::html(html.clone())),
        None => MultiPart::mixed().singlepart(text),
    };
    let message = match (&row.attachment_name, &row.attachment) {
        (Some(name), Some(content)) => {
            let csv = ContentType::parse("text/csv; charset=utf-8").map_err(|e| e.to_string())?;
            builder.multipart(
                MultiPart::mixed()
                    .multipart(body)
                    .singlepart(Attachment::new(name.clone()).body(content.clone(), csv)),
            )
        }
        _ if row.body_html.is_none() => {
            builder.singlepart(SinglePart::plain(row.body_text.clone()))
        }
        _ => builder.multipart(body),
    };
    message.map_err(|e| format!("the mail cannot be built: {e}"))
}

/// Claims the mails due now and delivers them, until none is left. Returns how many were
/// sent.
pub fn deliver_due(
    db: &Db,
    transport: &Transport,
    config: &Config,
    worker: &str,
) -> anyhow::Result<usize> {
    let mut sent = 0;
    loop {
        let now = crate::db::catalog::now();
        let rows = claim(&mut *db.write_conn()?, worker, now, 20)?;
        if rows.is_empty() {
            return Ok(sent);
        }
        for row in rows {
            let outcome = transport.deliver(&row, &config.mail.from);
            match &outcome {
                Ok(()) => {
                    sent += 1;
                    tracing::info!(mail = %row.id, kind = %row.kind, to = %row.recipient, "mail sent");
                }
                Err(e) => {
                    tracing::warn!(mail = %row.id, to = %row.recipient, attempt = row.attempts, error = %e.error, "mail not sent")
                }
            }
            let mut conn = db.write_conn()?;
            crate::db::write_tx(&mut conn, |c| {
                finish(
                    c,
                    &row,
                    worker,
                    outcome,
                    &config.mail,
                    crate::db::catalog::now(),
                )
            })?;
        }
    }
}

/// The running mail thread; dropping this stops it after its current round.
pub struct MailThread {
    stop: Arc<AtomicBool>,
}

impl Drop for MailThread {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The mail thread of `boucle serve`: delivers the outbox, runs the alert sweep and queues
/// the digests when due. Errors are logged and tried again at the next round.
pub fn spawn(db: Db, config: Config) -> anyhow::Result<MailThread> {
    let transport = Transport::from_settings(&config.mail)?;
    let worker = format!("{}-{}", hostname(), uuid::Uuid::new_v4().simple());
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    std::thread::Builder::new()
        .name("boucle-mail".into())
        .spawn(move || {
            let mut next_sweep = Instant::now();
            while !stopped.load(Ordering::Relaxed) {
                if Instant::now() >= next_sweep {
                    next_sweep = Instant::now() + config.mail.sweep;
                    if let Err(e) = scheduled(&db, &config) {
                        tracing::error!(error.cause_chain = ?e, "alert sweep or digest failed");
                    }
                }
                if let Err(e) = deliver_due(&db, &transport, &config, &worker) {
                    tracing::error!(error.cause_chain = ?e, "mail delivery round failed");
                }
                let wake = Instant::now() + config.mail.poll;
                while Instant::now() < wake && !stopped.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(50).min(config.mail.poll));
                }
            }
        })?;
    Ok(MailThread { stop })
}

fn scheduled(db: &Db, config: &Config) -> anyhow::Result<()> {
    let mut conn = db.write_conn()?;
    let now = crate::db::catalog::now();
    crate::db::write_tx(&mut conn, |c| super::alerts::sweep(c, config, now))?;
    let queued = super::digest::queue_due(&mut conn, config, now)?;
    if queued > 0 {
        tracing::info!(mails = queued, "digests queued");
    }
    Ok(())
}

fn hostname() -> String {
    std::env::var("HOSTNAME").unwrap_or_else(|_| "boucle".to_owned())
}
