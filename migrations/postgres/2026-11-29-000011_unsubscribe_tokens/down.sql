-- Tokens stay; nothing to undo.
SELECT 1;
