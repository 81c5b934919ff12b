// The tables, written once for both backends (see migrations/sqlite and migrations/postgres).

diesel::table! {
    organizations (id) {
        id -> Text,
        kind -> Text,
        name -> Text,
        name_ar -> Text,
        search_key -> Text,
        country -> Nullable<Text>,
        parent_id -> Nullable<Text>,
        status -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    organization_countries (organization_id, country) {
        organization_id -> Text,
        country -> Text,
    }
}

diesel::table! {
    organization_grants (organization_id, dataset) {
        organization_id -> Text,
        dataset -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        organization_id -> Text,
        email -> Text,
        full_name -> Text,
        role -> Text,
        language -> Text,
        password_hash -> Text,
        active -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        console_secret_hash -> Nullable<Text>,
    }
}

diesel::table! {
    refresh_tokens (token_hash) {
        token_hash -> Text,
        session_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        organization_id -> Text,
        name -> Text,
        role -> Text,
        key_hash -> Text,
        prefix -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    seasons (id) {
        id -> Text,
        kind -> Text,
        hijri_year -> Integer,
        name -> Text,
        starts_on -> Date,
        ends_on -> Date,
        housing_deadline -> Date,
        transport_deadline -> Date,
        catering_deadline -> Date,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    quotas (season_id, country) {
        season_id -> Text,
        country -> Text,
        pilgrims -> BigInt,
        allocated -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    allocations (season_id, organization_id) {
        season_id -> Text,
        organization_id -> Text,
        pilgrims -> BigInt,
        suballocated -> BigInt,
        lock_version -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    extensions (id) {
        id -> Text,
        season_id -> Text,
        organization_id -> Text,
        contract_type -> Text,
        until -> Date,
        reason -> Text,
        granted_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    facilities (id) {
        id -> Text,
        provider_id -> Text,
        kind -> Text,
        name -> Text,
        search_key -> Text,
        city -> Text,
        licence_no -> Text,
        licence_valid_from -> Date,
        licence_valid_to -> Date,
        capacity -> BigInt,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        name_ar -> Text,
    }
}

diesel::table! {
    facility_days (facility_id, day) {
        facility_id -> Text,
        day -> Date,
        capacity -> BigInt,
        held -> BigInt,
    }
}

diesel::table! {
    client_days (season_id, organization_id, allocation_key, day) {
        season_id -> Text,
        organization_id -> Text,
        allocation_key -> Text,
        day -> Date,
        held -> BigInt,
    }
}

diesel::table! {
    contracts (id) {
        id -> Text,
        season_id -> Text,
        contract_type -> Text,
        client_id -> Text,
        client_office_id -> Nullable<Text>,
        client_country -> Text,
        provider_id -> Text,
        facility_id -> Text,
        status -> Text,
        starts_on -> Date,
        ends_on -> Date,
        units -> BigInt,
        route_from -> Nullable<Text>,
        route_to -> Nullable<Text>,
        meals_per_day -> Nullable<BigInt>,
        unit_price -> BigInt,
        currency -> Text,
        total -> BigInt,
        search_key -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        status_reason -> Nullable<Text>,
    }
}

diesel::table! {
    amendments (id) {
        id -> Text,
        contract_id -> Text,
        status -> Text,
        starts_on -> Date,
        ends_on -> Date,
        units -> BigInt,
        route_from -> Nullable<Text>,
        route_to -> Nullable<Text>,
        meals_per_day -> Nullable<BigInt>,
        unit_price -> BigInt,
        total -> BigInt,
        reason -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    contract_events (id) {
        id -> Text,
        contract_id -> Text,
        amendment_id -> Nullable<Text>,
        action -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        reason -> Nullable<Text>,
        actor_user_id -> Nullable<Text>,
        actor_api_key_id -> Nullable<Text>,
        organization_id -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    idempotent_requests (organization_id, idempotency_key) {
        organization_id -> Text,
        idempotency_key -> Text,
        request_hash -> Text,
        response_body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    throttles (throttle_key) {
        throttle_key -> Text,
        failures -> Integer,
        last_at -> Timestamp,
        blocked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    pilgrim_groups (id) {
        id -> Text,
        season_id -> Text,
        organization_id -> Text,
        office_id -> Nullable<Text>,
        country -> Text,
        name -> Text,
        pilgrims -> BigInt,
        arrival_port -> Text,
        arrival_date -> Date,
        departure_port -> Text,
        departure_date -> Date,
        stays -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    inspections (id) {
        id -> Text,
        contract_id -> Text,
        facility_id -> Text,
        inspected_on -> Date,
        result -> Text,
        findings -> Text,
        organization_id -> Text,
        actor_user_id -> Nullable<Text>,
        actor_api_key_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Text,
        seq -> Nullable<BigInt>,
        at -> Timestamp,
        actor_user_id -> Nullable<Text>,
        actor_api_key_id -> Nullable<Text>,
        organization_id -> Nullable<Text>,
        action -> Text,
        entity_id -> Nullable<Text>,
        request_id -> Nullable<Text>,
        prev_hash -> Nullable<Text>,
        hash -> Nullable<Text>,
    }
}

diesel::table! {
    audit_head (id) {
        id -> Integer,
        seq -> BigInt,
        hash -> Text,
    }
}

diesel::table! {
    notifications (id) {
        id -> Text,
        organization_id -> Text,
        template -> Text,
        params -> Text,
        entity_id -> Nullable<Text>,
        read_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        notification_id -> Nullable<Text>,
        recipient_email -> Text,
        recipient_name -> Text,
        language -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_by -> Nullable<Text>,
        claimed_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        sent_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    reminders (season_id, organization_id, contract_type, days_before) {
        season_id -> Text,
        organization_id -> Text,
        contract_type -> Text,
        days_before -> Integer,
        sent_at -> Timestamp,
    }
}

diesel::table! {
    feed_events (seq) {
        seq -> BigInt,
        tx -> BigInt,
        id -> Text,
        event_type -> Text,
        occurred_at -> Timestamp,
        season_id -> Text,
        record_type -> Text,
        record_id -> Text,
        record_version -> Nullable<BigInt>,
        contract_id -> Nullable<Text>,
        status -> Nullable<Text>,
        client_id -> Nullable<Text>,
        client_office_id -> Nullable<Text>,
        client_country -> Nullable<Text>,
        provider_id -> Nullable<Text>,
        recipient_id -> Nullable<Text>,
    }
}

diesel::table! {
    names_edition (id) {
        id -> Integer,
        tag -> Text,
    }
}

diesel::table! {
    readiness_marks (season_id, organization_id) {
        season_id -> Text,
        organization_id -> Text,
        version -> BigInt,
        fingerprint -> Text,
    }
}

diesel::table! {
    readiness_view (season_id, client_id) {
        season_id -> Text,
        client_id -> Text,
        allocation -> BigInt,
        planned -> BigInt,
        unplanned -> BigInt,
        ready -> Bool,
        rank -> BigInt,
        housing_needed -> BigInt,
        housing_covered -> BigInt,
        transport_needed -> BigInt,
        transport_covered -> BigInt,
        catering_needed -> BigInt,
        catering_covered -> BigInt,
        gaps -> BigInt,
        visa_eligible -> BigInt,
        unfunded -> BigInt,
        lapsing -> BigInt,
    }
}

diesel::table! {
    document_contents (sha256) {
        sha256 -> Text,
        size -> BigInt,
        media_type -> Text,
        content -> Binary,
        created_at -> Timestamp,
    }
}

diesel::table! {
    document_rules (season_id, contract_type, kind) {
        season_id -> Text,
        contract_type -> Text,
        kind -> Text,
    }
}

diesel::table! {
    documents (id) {
        id -> Text,
        record_kind -> Text,
        record_id -> Text,
        kind -> Text,
        name -> Text,
        media_type -> Text,
        sha256 -> Text,
        size -> BigInt,
        valid_from -> Nullable<Date>,
        valid_until -> Nullable<Date>,
        organization_id -> Text,
        uploaded_by_user_id -> Nullable<Text>,
        uploaded_by_api_key_id -> Nullable<Text>,
        uploaded_at -> Timestamp,
        withdrawn_at -> Nullable<Timestamp>,
        withdrawn_by_user_id -> Nullable<Text>,
        withdrawal_reason -> Nullable<Text>,
    }
}

diesel::table! {
    document_reminders (document_id, organization_id, days_before) {
        document_id -> Text,
        organization_id -> Text,
        days_before -> Integer,
        sent_at -> Timestamp,
    }
}

diesel::table! {
    wallet_reminders (season_id, organization_id, first_day, days_before) {
        season_id -> Text,
        organization_id -> Text,
        first_day -> Date,
        days_before -> Integer,
        sent_at -> Timestamp,
    }
}

diesel::table! {
    webhook_subscriptions (id) {
        id -> Text,
        organization_id -> Text,
        url -> Text,
        event_types -> Text,
        description -> Text,
        secret -> Text,
        previous_secret -> Nullable<Text>,
        previous_secret_until -> Nullable<Timestamp>,
        status -> Text,
        disabled_reason -> Nullable<Text>,
        failing_since -> Nullable<Timestamp>,
        after_tx -> BigInt,
        after_seq -> BigInt,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        subscription_id -> Text,
        event_id -> Text,
        event_type -> Text,
        record_key -> Text,
        position_tx -> BigInt,
        position_seq -> BigInt,
        body -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_by -> Nullable<Text>,
        claimed_until -> Nullable<Timestamp>,
        last_status -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        delivered_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(users -> organizations (organization_id));
diesel::joinable!(sessions -> users (user_id));
diesel::table! {
    user_tokens (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        purpose -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(refresh_tokens -> sessions (session_id));
diesel::joinable!(user_tokens -> users (user_id));
diesel::joinable!(api_keys -> organizations (organization_id));
diesel::joinable!(organization_countries -> organizations (organization_id));
diesel::joinable!(organization_grants -> organizations (organization_id));
diesel::joinable!(facilities -> organizations (provider_id));
diesel::joinable!(allocations -> organizations (organization_id));
diesel::table! {
    payment_schedules (season_id, contract_type, position) {
        season_id -> Text,
        contract_type -> Text,
        position -> BigInt,
        share_percent -> BigInt,
        due -> Text,
    }
}

diesel::table! {
    payment_terms (season_id, contract_type) {
        season_id -> Text,
        contract_type -> Text,
        guarantee_percent -> BigInt,
    }
}

diesel::table! {
    ledger_accounts (id) {
        id -> Text,
        season_id -> Text,
        organization_id -> Text,
        kind -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ledger_transactions (id) {
        id -> Text,
        season_id -> Text,
        kind -> Text,
        organization_id -> Text,
        contract_id -> Nullable<Text>,
        instalment -> Nullable<BigInt>,
        bank_reference -> Nullable<Text>,
        memo -> Text,
        actor_user_id -> Nullable<Text>,
        actor_api_key_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ledger_entries (id) {
        id -> Text,
        transaction_id -> Text,
        account_id -> Text,
        contract_id -> Nullable<Text>,
        amount -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::joinable!(readiness_view -> organizations (client_id));
diesel::joinable!(facility_days -> facilities (facility_id));
diesel::joinable!(contracts -> facilities (facility_id));
diesel::joinable!(contracts -> seasons (season_id));
diesel::joinable!(amendments -> contracts (contract_id));
diesel::joinable!(contract_events -> contracts (contract_id));
diesel::joinable!(inspections -> contracts (contract_id));
diesel::joinable!(pilgrim_groups -> organizations (organization_id));
diesel::joinable!(webhook_deliveries -> webhook_subscriptions (subscription_id));
diesel::joinable!(ledger_entries -> ledger_accounts (account_id));
diesel::joinable!(ledger_entries -> ledger_transactions (transaction_id));
diesel::joinable!(ledger_accounts -> organizations (organization_id));

diesel::allow_tables_to_appear_in_same_query!(
    organizations,
    organization_countries,
    organization_grants,
    users,
    sessions,
    refresh_tokens,
    api_keys,
    seasons,
    quotas,
    allocations,
    extensions,
    facilities,
    facility_days,
    client_days,
    contracts,
    amendments,
    contract_events,
    idempotent_requests,
    throttles,
    pilgrim_groups,
    inspections,
    audit_events,
    audit_head,
    notifications,
    outbox,
    reminders,
    user_tokens,
    feed_events,
    readiness_marks,
    names_edition,
    readiness_view,
    webhook_subscriptions,
    webhook_deliveries,
    payment_schedules,
    payment_terms,
    ledger_accounts,
    ledger_transactions,
    ledger_entries,
    wallet_reminders,
    document_reminders,
    document_contents,
    documents,
    document_rules,
);

diesel::joinable!(documents -> document_contents (sha256));

diesel::allow_columns_to_appear_in_same_group_by_clause!(
    ledger_accounts::kind,
    ledger_transactions::kind,
);
