-- Who queried me (m0080) finds a subject's meter events through meter_events_subject. It was a
-- B-tree on (subject_hash, occurred_at DESC, id DESC): 64 hex characters, a time and an id per
-- event. A subject hash is random, so every answered query's meter event put its entry on a random
-- leaf of an index that grows with the ledger and soon outgrows the buffer cache: on the gateway
-- bench's ledger (3,862,404 events, 128 MB of shared_buffers) it was 570 MB (420 MB rebuilt), and
-- 40,000 events inserted by one statement took 1.33–1.76 s with it against 0.64–0.68 s without it.
--
-- A hash index keeps a 4-byte hash code per event: 127 MB on the same ledger, and the same 40,000
-- events took 0.78–0.82 s. The listing only ever asks for one subject's events (equality), which a
-- hash index finds; it then sorts them by time, which costs little for the few events most subjects
-- have (0.05 ms for four) and grows with a subject's events (63–190 ms a page for one subject with
-- 100,000, against 0.4–0.7 ms through the B-tree).
--
-- Built in this migration's transaction: writes to meter_events wait for it (5.5 s on the ledger
-- above, so about two and a half minutes for every 100 million events).
DROP INDEX meter_events_subject;
CREATE INDEX meter_events_subject ON meter_events USING hash (subject_hash) WHERE subject_hash IS NOT NULL;
