//! `boucle backup` while scans are being recorded, and `boucle restore`: every scan
//! acknowledged before the backup began is in the copy, the copy restores into a fresh place
//! with its figures checked, and every refusal leaves what was there as it was.

use std::collections::{BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use boucle::db::backup::{backup, inspect, restore};
use diesel::prelude::*;
use diesel::sql_types::Text;
use serde_json::json;

use crate::helpers::{small_loop, spawn_app, Backend};

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = Text)]
    id: String,
}

fn event_ids(file: &Path) -> BTreeSet<String> {
    let mut conn = SqliteConnection::establish(file.to_str().expect("utf-8")).expect("open");
    diesel::sql_query("SELECT id FROM events")
        .load::<Id>(&mut conn)
        .expect("events")
        .into_iter()
        .map(|r| r.id)
        .collect()
}

fn states(file: &Path) -> Vec<(String, String)> {
    #[derive(QueryableByName)]
    struct State {
        #[diesel(sql_type = Text)]
        code: String,
        #[diesel(sql_type = Text)]
        condition: String,
    }
    let mut conn = SqliteConnection::establish(file.to_str().expect("utf-8")).expect("open");
    diesel::sql_query("SELECT code, condition FROM containers ORDER BY code")
        .load::<State>(&mut conn)
        .expect("containers")
        .into_iter()
        .map(|s| (s.code, s.condition))
        .collect()
}

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn a_backup_taken_under_load_holds_every_acknowledged_scan_and_restores() {
    let app = spawn_app(Backend::Sqlite).await;
    let l = small_loop(&app).await;
    let jars = app
        .commission(&l.jar, &l.producer, 400, "2026-01-10T00:00:00Z")
        .await;
    let dir = Dir(std::env::temp_dir().join(format!("boucle-backup-{}", uuid::Uuid::new_v4())));
    std::fs::create_dir_all(&dir.0).expect("dir");
    let file = dir.0.join("loop.backup");

    // Four tills fill the jars one scan at a time, and keep the ids the service acknowledged.
    let queue = Arc::new(Mutex::new(jars.into_iter().collect::<VecDeque<_>>()));
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut tills = Vec::new();
    for _ in 0..4 {
        let (queue, acked) = (queue.clone(), acked.clone());
        let (client, address, token) = (app.client.clone(), app.address.clone(), app.token.clone());
        let site = l.producer.clone();
        tills.push(tokio::spawn(async move {
            loop {
                let Some(code) = queue.lock().expect("queue").pop_front() else { break };
                let body = json!({"scans": [{"code": code, "action": "fill", "site_id": site, "at": "2026-01-12T08:00:00Z"}]});
                let r = client
                    .post(format!("{address}/api/v1/scans"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                    .expect("the service answers");
                assert_eq!(r.status(), reqwest::StatusCode::OK);
                let answer: serde_json::Value = r.json().await.expect("json");
                assert_eq!(answer["results"][0]["status"], "recorded", "{answer}");
                let id = answer["results"][0]["id"].as_str().expect("id").to_owned();
                acked.lock().expect("acked").push(id);
            }
        }));
    }
    while acked.lock().expect("acked").len() < 100 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let before: Vec<String> = acked.lock().expect("acked").clone();
    let (url, to) = (app.config.database_url.clone(), file.clone());
    let said = tokio::task::spawn_blocking(move || backup(&url, &to))
        .await
        .expect("backup thread")
        .expect("the backup is taken while scans go on");
    for till in tills {
        till.await.expect("every scan of the tills was recorded");
    }
    let all = acked.lock().expect("acked").clone();
    assert_eq!(all.len(), 400);

    // Every scan acknowledged before the backup began is in it, and nothing else than what
    // the live database holds.
    let copy = inspect(&file).expect("the copy reads back");
    assert!(said.contains(&format!("{} events", copy.events)), "{said}");
    let in_copy = event_ids(&file);
    let live = event_ids(Path::new(&app.config.database_url));
    assert_eq!(in_copy.len() as i64, copy.events);
    for id in &before {
        assert!(
            in_copy.contains(id),
            "acknowledged scan {id} is missing from the backup"
        );
    }
    assert!(in_copy.is_subset(&live));
    // 400 commissioning events, then at least the acknowledged fills.
    assert!(copy.events >= 400 + before.len() as i64, "{copy:?}");
    assert_eq!(live.len(), 800);

    // A backup never overwrites a file.
    let size = std::fs::metadata(&file).expect("backup").len();
    let err = backup(&app.config.database_url, &file).expect_err("the file exists");
    assert!(
        err.to_string()
            .contains("exists already; a backup never overwrites a file"),
        "{err:#}"
    );
    assert_eq!(std::fs::metadata(&file).expect("backup").len(), size);

    // Restored into a fresh place: checked, the same events and the same containers.
    let restored = dir.0.join("restored.db");
    let said = restore(restored.to_str().expect("utf-8"), &file, false).expect("restore");
    assert!(
        said.contains(&format!(
            "the figures agree with the {} events",
            copy.events
        )),
        "{said}"
    );
    assert_eq!(event_ids(&restored), in_copy);
    assert_eq!(states(&restored), states(&file));
    let filled = states(&restored)
        .iter()
        .filter(|(_, c)| c == "filled")
        .count();
    assert_eq!(filled as i64, copy.events - 400);

    // Not over the live database, which the running service has open; it stays as it was.
    let live_url = app.config.database_url.clone();
    let err = restore(&live_url, &file, false).expect_err("a database is there");
    assert!(
        err.to_string()
            .contains("is a database already; add --replace"),
        "{err:#}"
    );
    let err = restore(&live_url, &file, true).expect_err("the service has it open");
    assert!(err.to_string().contains("is in use"), "{err:#}");
    assert_eq!(app.count_events(), 800);
    assert!(!Path::new(&format!("{live_url}.restoring")).exists());

    // Not a file that is no database, nor one that fails its integrity check.
    let junk = dir.0.join("junk.backup");
    std::fs::write(&junk, b"not a database at all, just text").expect("junk");
    let err = restore(restored.to_str().expect("utf-8"), &junk, true).expect_err("junk");
    assert!(
        err.to_string().contains("is not a SQLite database"),
        "{err:#}"
    );
    assert_eq!(event_ids(&restored), in_copy);

    // Over a database nobody has open, with --replace: the one there is kept beside it.
    let said = restore(restored.to_str().expect("utf-8"), &file, true).expect("replace");
    let kept = said
        .split("is kept as ")
        .nth(1)
        .expect("the kept database is named")
        .trim()
        .to_owned();
    assert_eq!(event_ids(Path::new(&kept)), in_copy);
    assert_eq!(event_ids(&restored), in_copy);
}
