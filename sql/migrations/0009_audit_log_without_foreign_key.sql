-- The audit log names its actor without a foreign key. The key made every audit row lock
-- the acting user's row (FOR KEY SHARE) in the writing transaction, so an officer's
-- concurrent requests contended on one users row and turned its locks into multixacts; the
-- append alone cost a third more than it needs to. The log is evidence, written by the
-- server for authenticated users only, and users are deactivated, never deleted: the key
-- guarded nothing that can happen.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_actor_fk;
