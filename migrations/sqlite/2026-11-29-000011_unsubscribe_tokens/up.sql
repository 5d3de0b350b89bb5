-- Every user gets an unsubscribe secret now rather than when a first mail is queued (which
-- wrote the user's row inside the transaction that recorded the events). 32 random bytes.
UPDATE users SET unsubscribe_token = lower(hex(randomblob(32))) WHERE unsubscribe_token IS NULL;
