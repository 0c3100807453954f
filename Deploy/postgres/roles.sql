-- The broker's database roles and database, created once per cluster by a superuser:
--     psql -U postgres -v ON_ERROR_STOP=1 -f roles.sql
-- No password is set here (none belongs in the repository): give each login role one with
-- psql's \password, or authenticate by client certificate (pg_hba.conf `cert`), then run
-- `credit-broker migrate` as credit_broker_owner and grants.sql after it.
--
--   credit_broker_owner        owns the database, its schema and every object the migrations create:
--                              runs `migrate`, `contracts apply`, `keys`, `audit verify`, retention.
--   credit_broker_gateway      the role `credit-broker serve` connects as: reads what it serves,
--                              appends to the ledgers, can never rewrite them (grants.sql).
--   credit_broker_ingest       the role `credit-broker ingest` connects as: writes subjects and records.
--   credit_broker_replication  streams WAL to standbys and takes base backups (pg_basebackup).
DO $$
DECLARE
    wanted text[][] := ARRAY[
        ['credit_broker_owner', 'LOGIN'],
        ['credit_broker_gateway', 'LOGIN'],
        ['credit_broker_ingest', 'LOGIN'],
        ['credit_broker_replication', 'LOGIN REPLICATION']
    ];
BEGIN
    FOR i IN 1 .. array_length(wanted, 1) LOOP
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = wanted[i][1]) THEN
            EXECUTE format('CREATE ROLE %I %s', wanted[i][1], wanted[i][2]);
        END IF;
    END LOOP;
END
$$;

-- The runtime roles hold a gateway's pool of connections each; a limit per role keeps one runaway
-- gateway host from taking every slot of the server (see postgresql.conf.md: max_connections).
ALTER ROLE credit_broker_gateway CONNECTION LIMIT 200;
ALTER ROLE credit_broker_ingest CONNECTION LIMIT 8;
-- Gateway statements are short: one running 30 s is stuck (postgresql.conf.md explains each).
ALTER ROLE credit_broker_gateway SET statement_timeout = '30s';
ALTER ROLE credit_broker_gateway SET idle_in_transaction_session_timeout = '30s';
ALTER ROLE credit_broker_gateway SET jit = off;

SELECT 'CREATE DATABASE credit_broker OWNER credit_broker_owner ENCODING ''UTF8'' LC_COLLATE ''C'' LC_CTYPE ''C'' TEMPLATE template0'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'credit_broker') \gexec

\connect credit_broker
REVOKE ALL ON DATABASE credit_broker FROM PUBLIC;
GRANT CONNECT ON DATABASE credit_broker TO credit_broker_gateway, credit_broker_ingest;
-- The ingest stages each batch in temporary tables (RecordWriter); the gateway creates none.
GRANT TEMPORARY ON DATABASE credit_broker TO credit_broker_ingest;
-- PostgreSQL 15 gives the schema to the database owner and no CREATE to PUBLIC; older servers did.
ALTER SCHEMA public OWNER TO credit_broker_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO credit_broker_gateway, credit_broker_ingest;
