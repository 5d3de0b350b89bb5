// Kept by hand, with column types that both backends share (see docs/ARCHITECTURE.md).

diesel::table! {
    sites (id) {
        id -> Text,
        name -> Text,
        kind -> Text,
        lat -> Double,
        lon -> Double,
        address -> Nullable<Text>,
        email -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    routes (from_site_id, to_site_id) {
        from_site_id -> Text,
        to_site_id -> Text,
        distance_km -> Double,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    container_types (id) {
        id -> Text,
        name -> Text,
        material -> Text,
        capacity_ml -> Nullable<Double>,
        tare_mass_g -> Double,
        single_use_mass_g -> Double,
        created_at -> Timestamp,
        asset_type -> BigInt,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        role -> Text,
        site_id -> Nullable<Text>,
        password_hash -> Text,
        created_at -> Timestamp,
        language -> Text,
        unsubscribe_token -> Nullable<Text>,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Text,
        user_id -> Text,
        name -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    shipments (id) {
        id -> Text,
        from_site_id -> Text,
        to_site_id -> Text,
        departed_at -> Timestamp,
        received_at -> Nullable<Timestamp>,
        vehicle -> Nullable<Text>,
        distance_km -> Double,
        distance_source -> Text,
        user_id -> Nullable<Text>,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    wash_batches (id) {
        id -> Text,
        site_id -> Text,
        started_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        program -> Nullable<Text>,
        temperature_c -> Nullable<Double>,
        water_l -> Nullable<Double>,
        energy_kwh -> Nullable<Double>,
        washed -> BigInt,
        rejected -> BigInt,
        user_id -> Nullable<Text>,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    containers (id) {
        id -> Text,
        serial -> BigInt,
        code -> Text,
        type_id -> Text,
        state -> Text,
        condition -> Text,
        site_id -> Text,
        shipment_id -> Nullable<Text>,
        dest_site_id -> Nullable<Text>,
        batch_id -> Nullable<Text>,
        uses -> BigInt,
        retired_reason -> Nullable<Text>,
        last_event_at -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        last_fill_at -> Nullable<Timestamp>,
        open_trips -> Text,
    }
}

diesel::table! {
    events (seq) {
        seq -> BigInt,
        id -> Text,
        container_id -> Text,
        action -> Text,
        site_id -> Text,
        to_site_id -> Nullable<Text>,
        at -> Timestamp,
        recorded_at -> Timestamp,
        user_id -> Nullable<Text>,
        shipment_id -> Nullable<Text>,
        batch_id -> Nullable<Text>,
        reason -> Nullable<Text>,
        undoes -> Nullable<Text>,
    }
}

diesel::table! {
    daily_figures (day, site_id, type_id) {
        day -> Text,
        site_id -> Text,
        type_id -> Text,
        fills -> BigInt,
        first_fills -> BigInt,
        cycles -> BigInt,
        cycle_ms -> BigInt,
        returns -> BigInt,
        trips -> BigInt,
        trips_returned -> BigInt,
        retired -> BigInt,
        broken -> BigInt,
        lost -> BigInt,
        washes -> BigInt,
        commissioned -> BigInt,
        commissioned_us -> BigInt,
        retired_us -> BigInt,
    }
}

diesel::table! {
    shipment_loads (shipment_id, type_id) {
        shipment_id -> Text,
        type_id -> Text,
        containers -> BigInt,
    }
}

diesel::table! {
    emission_factors (id) {
        id -> Text,
        kind -> Text,
        subject -> Text,
        per -> Text,
        value -> Double,
        unit -> Text,
        source -> Text,
        version -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    trips (container_id, received_at) {
        container_id -> Text,
        shop_id -> Text,
        type_id -> Text,
        received_at -> Timestamp,
        returned_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    mail_opt_outs (user_id, kind) {
        user_id -> Text,
        kind -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    low_stock_thresholds (site_id, type_id) {
        site_id -> Text,
        type_id -> Text,
        min_clean -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    collection_thresholds (site_id) {
        site_id -> Text,
        min_dirty -> Nullable<BigInt>,
        max_wait_days -> Nullable<Double>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    alerts (id) {
        id -> Text,
        kind -> Text,
        subject -> Text,
        site_id -> Nullable<Text>,
        type_id -> Nullable<Text>,
        shipment_id -> Nullable<Text>,
        batch_id -> Nullable<Text>,
        detail -> Text,
        raised_at -> Timestamp,
        cleared_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        kind -> Text,
        user_id -> Nullable<Text>,
        recipient -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Nullable<Text>,
        attachment_name -> Nullable<Text>,
        attachment -> Nullable<Text>,
        unsubscribe_url -> Nullable<Text>,
        alert_id -> Nullable<Text>,
        status -> Text,
        attempts -> BigInt,
        next_attempt_at -> Timestamp,
        claimed_by -> Nullable<Text>,
        claimed_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    digests (kind, period_start) {
        kind -> Text,
        period_start -> Text,
        period_end -> Text,
        queued_at -> Timestamp,
    }
}

diesel::table! {
    web_sessions (id) {
        id -> Text,
        user_id -> Text,
        csrf_token -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sign_in_failures (id) {
        id -> Text,
        email -> Text,
        client -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    /// Kept by triggers on `containers` (migration 10): in-transit containers count at their
    /// destination, retired ones nowhere.
    holdings (site_id, type_id, state, condition) {
        site_id -> Text,
        type_id -> Text,
        state -> Text,
        condition -> Text,
        n -> BigInt,
    }
}

diesel::table! {
    /// A view (migration 14): `holdings` plus the deltas not folded yet (PostgreSQL), one row
    /// a key. Read the holdings here; write them only through the triggers.
    holdings_now (site_id, type_id, state, condition) {
        site_id -> Text,
        type_id -> Text,
        state -> Text,
        condition -> Text,
        n -> BigInt,
    }
}

diesel::table! {
    /// Append-only (migration 13): sign-ins, tokens and users added, who did it and from where.
    audit_log (id) {
        id -> Text,
        at -> Timestamp,
        action -> Text,
        actor_id -> Nullable<Text>,
        actor -> Nullable<Text>,
        subject -> Nullable<Text>,
        client -> Nullable<Text>,
        detail -> Text,
    }
}

diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(web_sessions -> users (user_id));
diesel::joinable!(events -> containers (container_id));
diesel::joinable!(events -> shipments (shipment_id));
diesel::joinable!(containers -> container_types (type_id));

diesel::table! {
    form_answers (key) {
        key -> Text,
        session_id -> Text,
        created_at -> Timestamp,
        status -> Nullable<BigInt>,
        location -> Nullable<Text>,
        page -> Nullable<Text>,
        codes -> Nullable<Text>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    sites,
    routes,
    container_types,
    users,
    api_tokens,
    shipments,
    wash_batches,
    containers,
    events,
    daily_figures,
    shipment_loads,
    emission_factors,
    trips,
    mail_opt_outs,
    low_stock_thresholds,
    collection_thresholds,
    alerts,
    outbox,
    digests,
    web_sessions,
    sign_in_failures,
    form_answers,
    holdings,
    holdings_now,
    audit_log,
);
