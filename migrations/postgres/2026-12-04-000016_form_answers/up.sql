-- The answer to each page form that records, by the key drawn when the form was shown: the
-- first submission claims the key and records, and a reload, the back button or a second
-- click finds the key taken and is shown the same answer, recording nothing more. Kept a day.
-- Keep in step with the other backend's tree.
CREATE TABLE form_answers (
    key TEXT PRIMARY KEY NOT NULL,
    session_id TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    status BIGINT,
    location TEXT,
    page TEXT,
    -- The codes of the containers a label sheet form commissioned, printed from them.
    codes TEXT
);
CREATE INDEX form_answers_created ON form_answers (created_at);
