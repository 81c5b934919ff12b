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

diesel::joinable!(users -> organizations (organization_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(refresh_tokens -> sessions (session_id));
diesel::joinable!(api_keys -> organizations (organization_id));
diesel::joinable!(organization_countries -> organizations (organization_id));
diesel::joinable!(organization_grants -> organizations (organization_id));

diesel::allow_tables_to_appear_in_same_query!(
    organizations,
    organization_countries,
    organization_grants,
    users,
    sessions,
    refresh_tokens,
    api_keys,
);
