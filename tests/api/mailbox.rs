//! Reading the mails Boucle sent: `.eml` files of the file transport, or the Maildir of the
//! real SMTP server `.ci/run` starts.

use std::path::{Path, PathBuf};
use std::time::Duration;

use mailparse::{MailHeaderMap, ParsedMail};
use serde_json::Value;

use crate::helpers::TestApp;

/// One mail as its reader sees it.
#[derive(Debug, Clone)]
pub struct Received {
    pub to: String,
    pub subject: String,
    pub message_id: String,
    pub list_unsubscribe: Option<String>,
    pub text: String,
    pub html: Option<String>,
    /// File name and content.
    pub attachment: Option<(String, String)>,
}

fn walk(part: &ParsedMail, out: &mut Received) {
    if !part.subparts.is_empty() {
        for p in &part.subparts {
            walk(p, out);
        }
        return;
    }
    // Lines end with CRLF on the wire; read them as the text was written.
    let body = part
        .get_body()
        .expect("a readable part")
        .replace("\r\n", "\n");
    let disposition = part.get_content_disposition();
    if let Some(name) = disposition.params.get("filename") {
        out.attachment = Some((name.clone(), body));
    } else if part.ctype.mimetype == "text/html" {
        out.html = Some(body);
    } else if part.ctype.mimetype == "text/plain" {
        out.text = body;
    }
}

pub fn parse(bytes: &[u8]) -> Received {
    let mail = mailparse::parse_mail(bytes).expect("a mail");
    let h = &mail.headers;
    let mut r = Received {
        to: h.get_first_value("To").unwrap_or_default(),
        subject: h.get_first_value("Subject").unwrap_or_default(),
        message_id: h.get_first_value("Message-ID").unwrap_or_default(),
        list_unsubscribe: h.get_first_value("List-Unsubscribe"),
        text: String::new(),
        html: None,
        attachment: None,
    };
    walk(&mail, &mut r);
    r
}

fn read_dir(dir: &Path) -> Vec<Received> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return vec![];
    };
    let mut paths: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| parse(&std::fs::read(p).expect("mail file")))
        .collect()
}

/// The `.eml` files the service wrote in its mail folder.
pub fn files(app: &TestApp) -> Vec<Received> {
    read_dir(Path::new(&app.config.mail.mail_dir))
}

pub fn smtp_url() -> String {
    std::env::var("BOUCLE_TEST_SMTP_URL").expect("BOUCLE_TEST_SMTP_URL is set for SMTP runs")
}

/// The mails the test SMTP server received for any of `addresses`.
pub fn smtp_received(addresses: &[String]) -> Vec<Received> {
    let root = std::env::var("BOUCLE_TEST_MAILDIR")
        .expect("BOUCLE_TEST_MAILDIR names the SMTP server's Maildir (see .ci/smtp.sh)");
    let mut all = read_dir(&Path::new(&root).join("new"));
    all.extend(read_dir(&Path::new(&root).join("cur")));
    all.retain(|m| addresses.iter().any(|a| m.to.contains(a.as_str())));
    all
}

/// Waits (up to 20 s) until `read` gives at least `n` mails, then a little longer so that a
/// mail sent twice would show, and returns them sorted by recipient and subject.
pub async fn wait_for(n: usize, read: impl Fn() -> Vec<Received>) -> Vec<Received> {
    for _ in 0..400 {
        if read().len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    let mut got = read();
    got.sort_by(|a, b| (&a.to, &a.subject).cmp(&(&b.to, &b.subject)));
    got
}

/// The outbox as a coordinator reads it.
pub async fn outbox(app: &TestApp, status: &str) -> Vec<Value> {
    let path = if status.is_empty() {
        "/api/v1/outbox?limit=1000".to_owned()
    } else {
        format!("/api/v1/outbox?status={status}&limit=1000")
    };
    let r = app.get(&path).await;
    assert_eq!(r.status, reqwest::StatusCode::OK, "{:?}", r.body);
    r.body.as_array().expect("a list").clone()
}

/// Waits (up to 20 s) until the mails of `status` satisfy `done`, and returns them.
pub async fn outbox_until(
    app: &TestApp,
    status: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    for _ in 0..400 {
        let mails = outbox(app, status).await;
        if done(&mails) {
            return mails;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    outbox(app, status).await
}

/// Waits (up to 20 s) until no mail is queued or being sent.
pub async fn wait_until_delivered(app: &TestApp) {
    for _ in 0..400 {
        let pending = outbox(app, "queued").await.len() + outbox(app, "sending").await.len();
        if pending == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("mails still waiting: {:?}", outbox(app, "").await);
}

/// Recipients and subjects, for comparing with what a test expects.
pub fn to_and_subject(mails: &[Received]) -> Vec<(String, String)> {
    mails
        .iter()
        .map(|m| (m.to.clone(), m.subject.clone()))
        .collect()
}
