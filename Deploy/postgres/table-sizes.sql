-- Rows and bytes per table and per subject kind, the per-row costs behind Deploy/scale-out.md:
--     psql "$OWNER_DATABASE_URL" -X -f table-sizes.sql
-- Run it on a loaded database after VACUUM ANALYZE (sizes of freshly bulk-loaded tables).
\pset footer off
SELECT c.relname AS "table",
       (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I', c.relname), false, true, '')))[1]::text::bigint AS "rows",
       pg_table_size(c.oid) AS "heap+toast bytes",
       pg_indexes_size(c.oid) AS "index bytes",
       round(pg_total_relation_size(c.oid)::numeric
             / nullif((xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I', c.relname), false, true, '')))[1]::text::bigint, 0)) AS "bytes/row"
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind = 'r'
ORDER BY pg_total_relation_size(c.oid) DESC;

-- Subjects by kind (USCC 91…: enterprise, 92…: individual business) and their current records.
SELECT CASE WHEN s.kind = 'person' THEN 'person'
            WHEN left(s.subject_key, 2) = '91' THEN 'enterprise'
            WHEN left(s.subject_key, 2) = '92' THEN 'individual business'
            ELSE 'other organisation' END AS "kind",
       count(DISTINCT s.subject_key) AS "subjects",
       count(r.subject_key) AS "records",
       round(count(r.subject_key)::numeric / count(DISTINCT s.subject_key), 2) AS "records/subject",
       round(avg(pg_column_size(r.*))) AS "avg record tuple bytes"
FROM subjects s LEFT JOIN records r USING (subject_key)
GROUP BY 1 ORDER BY 2 DESC;
