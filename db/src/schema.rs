//! The one Diesel schema for both backends. Only types that `MultiConnection` maps on
//! SQLite and PostgreSQL alike: BigInt, Integer, Text, Bool, Date, Timestamp (UTC).

diesel::table! {
    forces (id) {
        id -> Text,
        name -> Text,
        ons_code -> Text,
        country -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        password_hash -> Text,
        role -> Text,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        token_version -> BigInt,
    }
}

diesel::table! {
    sign_in_attempts (id) {
        id -> BigInt,
        account -> Text,
        address -> Text,
        started_at -> Timestamp,
        succeeded -> Nullable<Bool>,
    }
}

diesel::table! {
    programmes (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        description -> Text,
        capability_area -> Text,
        sponsor -> Text,
        lead_force_id -> Nullable<Text>,
        stage -> Text,
        start_date -> Nullable<Date>,
        planned_end_date -> Nullable<Date>,
        whole_life_cost_pence -> Nullable<BigInt>,
        current_rating -> Nullable<Text>,
        rating_since -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    programme_owners (programme_id, user_id) {
        programme_id -> BigInt,
        user_id -> BigInt,
        added_at -> Timestamp,
    }
}

diesel::table! {
    status_reports (id) {
        id -> BigInt,
        programme_id -> BigInt,
        rating -> Text,
        rationale -> Text,
        period_end -> Date,
        reported_by -> Nullable<BigInt>,
        reported_at -> Timestamp,
        source -> Text,
    }
}

diesel::table! {
    funding_streams (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        description -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    envelopes (stream_id, financial_year) {
        stream_id -> BigInt,
        financial_year -> Integer,
        amount_pence -> BigInt,
        allocated_pence -> BigInt,
        basis -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    envelope_changes (id) {
        id -> BigInt,
        stream_id -> BigInt,
        financial_year -> Integer,
        amount_pence -> BigInt,
        change_pence -> BigInt,
        basis -> Text,
        recorded_by -> Nullable<BigInt>,
        recorded_at -> Timestamp,
        effective_on -> Date,
    }
}

diesel::table! {
    ledger_entries (id) {
        id -> BigInt,
        stream_id -> BigInt,
        programme_id -> BigInt,
        financial_year -> Integer,
        kind -> Text,
        amount_pence -> BigInt,
        reason -> Text,
        recorded_by -> Nullable<BigInt>,
        recorded_at -> Timestamp,
        envelope_change_id -> Nullable<BigInt>,
        effective_on -> Date,
    }
}

diesel::table! {
    envelope_days (stream_id, financial_year, day) {
        stream_id -> BigInt,
        financial_year -> Integer,
        day -> Date,
        amount_pence -> BigInt,
        allocated_pence -> BigInt,
    }
}

diesel::table! {
    programme_days (programme_id, financial_year, day) {
        programme_id -> BigInt,
        financial_year -> Integer,
        day -> Date,
        allocated_pence -> BigInt,
        spent_run_pence -> BigInt,
        spent_change_pence -> BigInt,
    }
}

diesel::table! {
    spend_entries (id) {
        id -> BigInt,
        programme_id -> BigInt,
        financial_year -> Integer,
        category -> Text,
        amount_pence -> BigInt,
        description -> Text,
        recorded_by -> Nullable<BigInt>,
        recorded_at -> Timestamp,
        effective_on -> Date,
    }
}

diesel::table! {
    programme_year_totals (programme_id, financial_year) {
        programme_id -> BigInt,
        financial_year -> Integer,
        allocated_pence -> BigInt,
        spent_run_pence -> BigInt,
        spent_change_pence -> BigInt,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        actor_id -> Nullable<BigInt>,
        actor -> Text,
        action -> Text,
        entity -> Text,
        entity_id -> Text,
        before -> Nullable<Text>,
        after -> Nullable<Text>,
        seq -> Nullable<BigInt>,
        prev_hash -> Nullable<Text>,
        hash -> Nullable<Text>,
    }
}

diesel::table! {
    alerts (id) {
        id -> BigInt,
        unique_key -> Text,
        kind -> Text,
        programme_id -> BigInt,
        recipient -> Text,
        details -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_until -> Nullable<Timestamp>,
        claimed_by -> Nullable<Text>,
        last_error -> Nullable<Text>,
        message_id -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(programmes -> forces (lead_force_id));
diesel::joinable!(programme_owners -> programmes (programme_id));
diesel::joinable!(programme_owners -> users (user_id));
diesel::joinable!(status_reports -> programmes (programme_id));
diesel::joinable!(envelopes -> funding_streams (stream_id));
diesel::joinable!(ledger_entries -> programmes (programme_id));
diesel::joinable!(ledger_entries -> funding_streams (stream_id));
diesel::joinable!(spend_entries -> programmes (programme_id));
diesel::joinable!(envelope_changes -> funding_streams (stream_id));
diesel::joinable!(programme_year_totals -> programmes (programme_id));
diesel::joinable!(programme_days -> programmes (programme_id));
diesel::joinable!(envelope_days -> funding_streams (stream_id));
diesel::joinable!(alerts -> programmes (programme_id));

diesel::allow_tables_to_appear_in_same_query!(
    envelope_changes,
    forces,
    users,
    sign_in_attempts,
    programmes,
    programme_owners,
    status_reports,
    funding_streams,
    envelopes,
    ledger_entries,
    spend_entries,
    programme_year_totals,
    envelope_days,
    programme_days,
    audit_log,
    alerts,
);
