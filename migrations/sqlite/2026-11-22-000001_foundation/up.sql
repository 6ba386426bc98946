-- Beacon's foundation: forces, users, programmes, status reports, funding and spend,
-- the per-programme yearly totals the lists read, and the audit trail.
-- Keep in step with migrations/postgres: same tables, same constraints.

CREATE TABLE forces (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    ons_code TEXT NOT NULL UNIQUE,
    country TEXT NOT NULL CHECK (country IN ('England', 'Wales'))
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'finance', 'lead', 'auditor', 'viewer')),
    active BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE programmes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    capability_area TEXT NOT NULL,
    sponsor TEXT NOT NULL,
    lead_force_id TEXT REFERENCES forces (id),
    stage TEXT NOT NULL CHECK (stage IN ('pipeline', 'delivery', 'live', 'closed')),
    start_date DATE,
    planned_end_date DATE,
    whole_life_cost_pence BIGINT CHECK (whole_life_cost_pence >= 0),
    current_rating TEXT CHECK (current_rating IN ('red', 'amber_red', 'amber', 'amber_green', 'green')),
    rating_since TIMESTAMP,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (start_date IS NULL OR planned_end_date IS NULL OR planned_end_date >= start_date),
    CHECK ((current_rating IS NULL) = (rating_since IS NULL))
);

CREATE TABLE programme_owners (
    programme_id BIGINT NOT NULL REFERENCES programmes (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    added_at TIMESTAMP NOT NULL,
    PRIMARY KEY (programme_id, user_id)
);
CREATE INDEX programme_owners_user ON programme_owners (user_id);

CREATE TABLE status_reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    programme_id BIGINT NOT NULL REFERENCES programmes (id),
    rating TEXT NOT NULL CHECK (rating IN ('red', 'amber_red', 'amber', 'amber_green', 'green')),
    rationale TEXT NOT NULL,
    period_end DATE NOT NULL,
    -- NULL for published ratings loaded from public sources; `source` names them.
    reported_by BIGINT REFERENCES users (id),
    reported_at TIMESTAMP NOT NULL,
    source TEXT NOT NULL,
    CHECK (rating = 'green' OR rationale <> '')
);
CREATE INDEX status_reports_programme ON status_reports (programme_id, reported_at, id);

CREATE TABLE funding_streams (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- allocated_pence is the sum of the stream's ledger entries for the year, kept in the
-- same transaction as each entry, so that the envelope check reads one row.
CREATE TABLE envelopes (
    stream_id BIGINT NOT NULL REFERENCES funding_streams (id),
    financial_year INTEGER NOT NULL,
    amount_pence BIGINT NOT NULL CHECK (amount_pence >= 0),
    allocated_pence BIGINT NOT NULL CHECK (allocated_pence >= 0),
    basis TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (stream_id, financial_year),
    CHECK (allocated_pence <= amount_pence)
);

CREATE TABLE ledger_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    stream_id BIGINT NOT NULL,
    programme_id BIGINT NOT NULL REFERENCES programmes (id),
    financial_year INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('allocation', 'adjustment', 'withdrawal')),
    amount_pence BIGINT NOT NULL,
    reason TEXT NOT NULL CHECK (reason <> ''),
    recorded_by BIGINT REFERENCES users (id),
    recorded_at TIMESTAMP NOT NULL,
    FOREIGN KEY (stream_id, financial_year) REFERENCES envelopes (stream_id, financial_year),
    CHECK ((kind = 'allocation' AND amount_pence > 0)
        OR (kind = 'withdrawal' AND amount_pence < 0)
        OR (kind = 'adjustment' AND amount_pence <> 0))
);
CREATE INDEX ledger_entries_programme ON ledger_entries (programme_id, financial_year, stream_id);
CREATE INDEX ledger_entries_stream ON ledger_entries (stream_id, financial_year);

CREATE TABLE spend_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    programme_id BIGINT NOT NULL REFERENCES programmes (id),
    financial_year INTEGER NOT NULL,
    category TEXT NOT NULL CHECK (category IN ('run', 'change')),
    amount_pence BIGINT NOT NULL CHECK (amount_pence <> 0),
    description TEXT NOT NULL CHECK (description <> ''),
    recorded_by BIGINT REFERENCES users (id),
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX spend_entries_programme ON spend_entries (programme_id, financial_year);

-- The projection of the ledger and spend that list pages read: one row per programme
-- per year, updated in the same transaction as each entry.
CREATE TABLE programme_year_totals (
    programme_id BIGINT NOT NULL REFERENCES programmes (id),
    financial_year INTEGER NOT NULL,
    allocated_pence BIGINT NOT NULL,
    spent_run_pence BIGINT NOT NULL,
    spent_change_pence BIGINT NOT NULL,
    PRIMARY KEY (programme_id, financial_year),
    CHECK (allocated_pence >= 0 AND spent_run_pence >= 0 AND spent_change_pence >= 0)
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TIMESTAMP NOT NULL,
    actor_id BIGINT REFERENCES users (id),
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    before TEXT,
    after TEXT
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);
