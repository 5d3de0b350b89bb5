-- Every user gets an unsubscribe secret now rather than when a first mail is queued (which
-- wrote the user's row inside the transaction that recorded the events, and on PostgreSQL
-- could deadlock with the transactions whose events name the user). gen_random_uuid() draws
-- from the server's strong random source: two of them give 244 random bits.
UPDATE users SET unsubscribe_token = replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')
 WHERE unsubscribe_token IS NULL;
