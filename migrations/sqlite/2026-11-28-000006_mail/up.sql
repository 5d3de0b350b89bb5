-- Mail: what each user wants to receive, the thresholds of the alerts, the alerts in force
-- and the outbox every mail goes through. Keep in step with the other backend's tree.
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT 'fr';
-- A random secret behind the unsubscribe links of the user's mails, made with the first mail.
ALTER TABLE users ADD COLUMN unsubscribe_token TEXT;
CREATE UNIQUE INDEX users_unsubscribe_token ON users (unsubscribe_token);

-- Kinds of mail a user chose not to receive; every other kind their role gets is sent.
CREATE TABLE mail_opt_outs (
    user_id TEXT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, kind)
);

CREATE TABLE low_stock_thresholds (
    site_id TEXT NOT NULL REFERENCES sites(id),
    type_id TEXT NOT NULL REFERENCES container_types(id),
    min_clean BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (site_id, type_id)
);

-- Per shop; a null column takes the loop-wide default (ALERT_COLLECT_MIN_DIRTY, _MAX_DAYS).
CREATE TABLE collection_thresholds (
    site_id TEXT PRIMARY KEY NOT NULL REFERENCES sites(id),
    min_dirty BIGINT,
    max_wait_days DOUBLE,
    updated_at TIMESTAMP NOT NULL
);

-- One row per time a condition started; at most one in force per kind and subject, which is
-- what makes an alert mail go out once per start, whichever instance notices it.
CREATE TABLE alerts (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    site_id TEXT REFERENCES sites(id),
    type_id TEXT REFERENCES container_types(id),
    shipment_id TEXT REFERENCES shipments(id),
    batch_id TEXT REFERENCES wash_batches(id),
    detail TEXT NOT NULL,
    raised_at TIMESTAMP NOT NULL,
    cleared_at TIMESTAMP
);
CREATE UNIQUE INDEX alerts_in_force ON alerts (kind, subject) WHERE cleared_at IS NULL;

-- Every mail, written in the transaction of the change that caused it, then delivered by
-- the sender of `boucle serve`. status: queued, sending, sent, failed.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    user_id TEXT REFERENCES users(id),
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT,
    attachment_name TEXT,
    attachment TEXT,
    unsubscribe_url TEXT,
    alert_id TEXT REFERENCES alerts(id),
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_by TEXT,
    claimed_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_created ON outbox (created_at);

-- Digests queued, one row per kind and period, so several instances send each once.
CREATE TABLE digests (
    kind TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    queued_at TIMESTAMP NOT NULL,
    PRIMARY KEY (kind, period_start)
);
