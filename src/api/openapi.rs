//! The OpenAPI document: generated from the handlers' annotations, plus the conventions every
//! endpoint shares (authentication, problem responses), added here in one place.

use actix_web::App;
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{AdditionalProperties, Object, Schema, Type};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::api::problem::ProblemDetails;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "e-track",
        description = "The contract portal of pilgrim services: housing, transport and catering contracts \
                       for Hajj and Umrah seasons, filed, counter-signed, reviewed and checked by the bodies \
                       that serve pilgrims. Errors are `application/problem+json` with a stable `code`; \
                       texts follow `Accept-Language` (`ar` or `en`).",
        license(name = "MIT OR Apache-2.0", identifier = "MIT OR Apache-2.0")
    ),
    components(schemas(ProblemDetails)),
    modifiers(&Conventions),
    tags(
        (name = "health", description = "Liveness and readiness"),
        (name = "auth", description = "Logging in and out, token refresh"),
        (name = "me", description = "The caller itself"),
        (name = "organizations", description = "Organisations of every kind"),
        (name = "users", description = "Users of an organisation"),
        (name = "api-keys", description = "API keys of an organisation's systems"),
        (name = "seasons", description = "Seasons, quotas, allocations, deadline extensions"),
        (name = "facilities", description = "Licensed buildings, fleets and kitchens, and their capacity"),
        (name = "contracts", description = "Contracts, their lifecycle, history and amendments"),
        (name = "readiness", description = "Pilgrim plans, readiness, visa eligibility and inspections"),
        (name = "datasets", description = "The slices of data granted to other government bodies"),
        (name = "audit", description = "The hash-chained audit log"),
        (name = "notifications", description = "The organisation's inbox"),
        (name = "feed", description = "The change feed partner systems follow"),
        (name = "webhooks", description = "The change feed pushed to partner systems, signed"),
        (name = "money", description = "Wallets, bank transfers, payment schedules, instalments and statements"),
        (name = "documents", description = "Licences, leases, certificates and signed copies on the records they prove"),
    )
)]
struct ApiDoc;

/// The complete document, as `/openapi.json` serves it and `openapi/etrack.json` commits it.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(super::configure)
        .split_for_parts();
    let mut api = api;
    apply_conventions(&mut api);
    // Relative: a client is pointed at whichever portal it talks to (`ETRACK_PUBLIC_URL`).
    api.servers = Some(vec![utoipa::openapi::server::Server::new("/")]);
    drop_unused_schemas(&mut api);
    api
}

/// Components nothing refers to any more (the halves of a flattened body, once merged) are left
/// out: a generated client would make a class of each.
fn drop_unused_schemas(api: &mut utoipa::openapi::OpenApi) {
    loop {
        let text = serde_json::to_string(&*api).unwrap_or_default();
        let Some(components) = api.components.as_mut() else {
            return;
        };
        let unused: Vec<String> = components
            .schemas
            .keys()
            .filter(|name| !text.contains(&format!("\"#/components/schemas/{name}\"")))
            .cloned()
            .collect();
        if unused.is_empty() {
            return;
        }
        for name in unused {
            components.schemas.remove(&name);
        }
    }
}

/// Paths that need no credentials.
fn is_public(path: &str) -> bool {
    path.starts_with("/health/")
        || matches!(
            path,
            "/api/v1/auth/login"
                | "/api/v1/auth/refresh"
                | "/api/v1/auth/forgot-password"
                | "/api/v1/auth/set-password"
        )
}

struct Conventions;

impl Modify for Conventions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Api-Key"))),
        );
    }
}

/// Adds what every operation shares. Runs on the generated document, after the handlers' paths
/// have been collected (the modifier above runs before that).
fn apply_conventions(api: &mut utoipa::openapi::OpenApi) {
    if let Some(components) = api.components.as_mut() {
        merge_flattened(&mut components.schemas);
        pages_refer_to_items(&mut components.schemas);
        problem_codes(&mut components.schemas);
        datasets_by_kind(&mut components.schemas);
        contracts_by_type(&mut components.schemas);
    }
    for (path, item) in api.paths.paths.iter_mut() {
        let public = is_public(path);
        let has_path_params = path.contains('{');
        let operations = [
            item.get.as_mut(),
            item.put.as_mut(),
            item.post.as_mut(),
            item.delete.as_mut(),
            item.patch.as_mut(),
        ];
        for op in operations.into_iter().flatten() {
            conventions_of(op, public, has_path_params, path.starts_with("/health/"));
            optional_body(op);
            uuid_path_ids(op);
        }
        if let Some(op) = item.get.as_mut() {
            exports(op);
        }
        if let Some(op) = item.post.as_mut()
            && op.responses.responses.contains_key("201")
        {
            // API keys, extensions and transfers have no page of their own to point to.
            let unaddressed = ["/api-keys", "/extensions", "/transfers"];
            if !unaddressed.iter().any(|end| path.ends_with(end)) {
                locates(op);
            }
            // A transfer is made once by its bank reference, not by a key.
            let unkeyed = ["/api-keys", "/webhooks", "/transfers"];
            if !unkeyed.iter().any(|end| path.ends_with(end)) {
                idempotent(op);
            }
        }
    }
}

/// Every record's id in a path is a UUID (anything else is a 404, as a missing record is).
fn uuid_path_ids(op: &mut Operation) {
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat};
    for parameter in op.parameters.iter_mut().flatten() {
        if let RefOr::T(p) = parameter
            && matches!(p.parameter_in, ParameterIn::Path)
            && (p.name == "id" || p.name == "organization_id")
        {
            p.schema = Some(RefOr::T(Schema::Object(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
                    .build(),
            )));
        }
    }
}

/// A dataset's answer, one shape per dataset: its `dataset` names which, and its rows are of that
/// dataset's type. (As an untagged `oneOf` of four arrays, an empty `rows` matched all four and so
/// none.)
fn datasets_by_kind(schemas: &mut std::collections::BTreeMap<String, RefOr<Schema>>) {
    const KINDS: [(&str, &str, &str); 4] = [
        (
            "visa_eligibility",
            "VisaEligibilityDataset",
            "VisaEligibilityRow",
        ),
        ("arrivals", "ArrivalsDataset", "ArrivalRow"),
        (
            "transport_schedule",
            "TransportScheduleDataset",
            "TransportRow",
        ),
        ("housing_registry", "HousingRegistryDataset", "HousingRow"),
    ];
    if !schemas.contains_key("DatasetView") {
        return;
    }
    let mut mapping = serde_json::Map::new();
    let mut one_of = Vec::new();
    for (dataset, name, row) in KINDS {
        let variant = serde_json::json!({
            "type": "object",
            "description": format!("The `{dataset}` dataset of a season."),
            "required": ["dataset", "season_id", "rows"],
            "properties": {
                "dataset": {"type": "string", "enum": [dataset]},
                "season_id": {"type": "string", "format": "uuid"},
                "rows": {"type": "array", "items": {"$ref": format!("#/components/schemas/{row}")}},
            }
        });
        if let Ok(schema) = serde_json::from_value::<Schema>(variant) {
            schemas.insert(name.to_owned(), RefOr::T(schema));
        }
        let reference = format!("#/components/schemas/{name}");
        mapping.insert(dataset.to_owned(), reference.clone().into());
        one_of.push(serde_json::json!({"$ref": reference}));
    }
    let view = serde_json::json!({
        "description": "One dataset's rows; `dataset` says which, and so the rows' type.",
        "oneOf": one_of,
        "discriminator": {"propertyName": "dataset", "mapping": mapping},
    });
    if let Ok(schema) = serde_json::from_value::<Schema>(view) {
        schemas.insert("DatasetView".to_owned(), RefOr::T(schema));
    }
}

/// A new contract, one shape per type: `type` says which, and so which terms it takes (a housing
/// contract its `beds`; transport its `route` and `seats`; catering its `pilgrims` and
/// `meals_per_day`); another type's terms may only be absent or `null`, as the server has it.
fn contracts_by_type(schemas: &mut std::collections::BTreeMap<String, RefOr<Schema>>) {
    const TERMS: [&str; 5] = ["beds", "route", "seats", "pilgrims", "meals_per_day"];
    const TYPES: [(&str, &str, &[&str]); 3] = [
        ("housing", "CreateHousingContract", &["beds"]),
        ("transport", "CreateTransportContract", &["route", "seats"]),
        (
            "catering",
            "CreateCateringContract",
            &["pilgrims", "meals_per_day"],
        ),
    ];
    let Some(flat) = schemas
        .get("CreateContract")
        .and_then(|s| serde_json::to_value(s).ok())
    else {
        return;
    };
    let (Some(properties), Some(required)) = (
        flat.get("properties").and_then(|p| p.as_object()),
        flat.get("required").and_then(|r| r.as_array()),
    ) else {
        return;
    };
    // A term's schema without its `null` (`type: [integer, null]`, or `oneOf: [T, null]`).
    let not_null = |term: &serde_json::Value| -> serde_json::Value {
        let mut term = term.clone();
        if let Some(types) = term.get_mut("type").and_then(|t| t.as_array_mut()) {
            types.retain(|t| t != "null");
            if types.len() == 1 {
                term["type"] = types[0].clone();
            }
        }
        if let Some(one_of) = term.get("oneOf").and_then(|o| o.as_array())
            && let Some(inner) = one_of
                .iter()
                .find(|s| s.get("type") != Some(&"null".into()))
        {
            term = inner.clone();
        }
        term
    };
    let mut mapping = serde_json::Map::new();
    let mut one_of = Vec::new();
    for (contract_type, name, own) in TYPES {
        let mut props = serde_json::Map::new();
        for (key, value) in properties {
            if !TERMS.contains(&key.as_str()) {
                props.insert(key.clone(), value.clone());
            }
        }
        props.insert(
            "type".to_owned(),
            serde_json::json!({"type": "string", "enum": [contract_type]}),
        );
        for term in TERMS {
            let Some(schema) = properties.get(term) else {
                continue;
            };
            let shape = if own.contains(&term) {
                not_null(schema)
            } else {
                serde_json::json!({"type": "null", "description": format!("Not for {contract_type} contracts.")})
            };
            props.insert(term.to_owned(), shape);
        }
        let mut needed: Vec<serde_json::Value> = required.clone();
        needed.extend(own.iter().map(|t| serde_json::Value::from(*t)));
        let variant = serde_json::json!({
            "type": "object",
            "description": format!("A new {contract_type} contract."),
            "required": needed,
            "properties": props,
            "additionalProperties": false,
        });
        if let Ok(schema) = serde_json::from_value::<Schema>(variant) {
            schemas.insert(name.to_owned(), RefOr::T(schema));
        }
        let reference = format!("#/components/schemas/{name}");
        mapping.insert(contract_type.to_owned(), reference.clone().into());
        one_of.push(serde_json::json!({"$ref": reference}));
    }
    let create = serde_json::json!({
        "description": "A new contract; `type` says which, and so which terms it takes.",
        "oneOf": one_of,
        "discriminator": {"propertyName": "type", "mapping": mapping},
    });
    if let Ok(schema) = serde_json::from_value::<Schema>(create) {
        schemas.insert("CreateContract".to_owned(), RefOr::T(schema));
    }
}

/// A problem's `code` is one of the catalogue's: a closed set a client can switch on.
fn problem_codes(schemas: &mut std::collections::BTreeMap<String, RefOr<Schema>>) {
    if let Some(RefOr::T(Schema::Object(problem))) = schemas.get_mut("ProblemDetails")
        && let Some(RefOr::T(Schema::Object(code))) = problem.properties.get_mut("code")
    {
        let mut codes: Vec<&str> = crate::i18n::problem_codes().collect();
        codes.sort_unstable();
        code.enum_values = Some(codes.into_iter().map(serde_json::Value::from).collect());
    }
}

/// A body that may be absent (`Option<T>`) comes out as `oneOf: [T, null]`, which a generated
/// client cannot leave out. It is written as `T`, not required: no body, an empty one or `null`
/// are all "nothing" to the server.
fn optional_body(op: &mut Operation) {
    use utoipa::openapi::Content;
    let Some(RefOr::T(body)) = op.request_body.as_mut() else {
        return;
    };
    for content in body.content.values_mut() {
        let RefOr::T(Content {
            schema: Some(schema),
            ..
        }) = content
        else {
            continue;
        };
        let RefOr::T(Schema::OneOf(one_of)) = schema else {
            continue;
        };
        let mut items = one_of.items.iter().filter(|item| {
            !matches!(item, RefOr::T(Schema::Object(o)) if o.schema_type == Type::Null.into())
        });
        if let (Some(only), None) = (items.next(), items.next()) {
            let only = only.clone();
            *schema = only;
            body.required = Some(utoipa::openapi::Required::False);
        }
    }
}

/// A generic `Page<T>` comes out with a copy of `T` as its items; a generated client then has two
/// classes for one thing. Each page refers to its item's schema instead, where it is a component.
fn pages_refer_to_items(schemas: &mut std::collections::BTreeMap<String, RefOr<Schema>>) {
    use utoipa::openapi::schema::ArrayItems;
    let names: Vec<String> = schemas.keys().cloned().collect();
    for name in names {
        let Some(item) = name.strip_prefix("Page_") else {
            continue;
        };
        if !schemas.contains_key(item) {
            continue;
        }
        if let Some(RefOr::T(Schema::Object(page))) = schemas.get_mut(&name)
            && let Some(RefOr::T(Schema::Array(items))) = page.properties.get_mut("items")
        {
            items.items =
                ArrayItems::RefOrSchema(Box::new(RefOr::Ref(Ref::from_schema_name(item))));
        }
    }
}

/// A body with `#[serde(flatten)]` comes out as `allOf` of two closed objects, which no document
/// satisfies; the server reads it as one closed object, and so it is written here.
fn merge_flattened(schemas: &mut std::collections::BTreeMap<String, RefOr<Schema>>) {
    let resolve = |item: &RefOr<Schema>,
                   schemas: &std::collections::BTreeMap<String, RefOr<Schema>>|
     -> Option<Object> {
        match item {
            RefOr::T(Schema::Object(o)) => Some(o.clone()),
            RefOr::Ref(r) => match schemas.get(r.ref_location.rsplit('/').next()?)? {
                RefOr::T(Schema::Object(o)) => Some(o.clone()),
                _ => None,
            },
            _ => None,
        }
    };
    let merged: Vec<(String, Object)> = schemas
        .iter()
        .filter_map(|(name, schema)| {
            let RefOr::T(Schema::AllOf(all)) = schema else {
                return None;
            };
            let parts: Option<Vec<Object>> =
                all.items.iter().map(|i| resolve(i, schemas)).collect();
            let parts = parts?;
            let mut object = Object::with_type(Type::Object);
            object.description = all.description.clone();
            for part in parts {
                if part.additional_properties.is_some() {
                    object.additional_properties =
                        Some(Box::new(AdditionalProperties::FreeForm(false)));
                }
                object.properties.extend(part.properties);
                object.required.extend(part.required);
            }
            Some((name.clone(), object))
        })
        .collect();
    for (name, object) in merged {
        schemas.insert(name, RefOr::T(Schema::Object(object)));
    }
}

/// Creations take an `Idempotency-Key` (all but API keys and webhooks, whose answers hold a secret
/// that is shown once and never kept with a request's answer).
/// Every list and dataset also answers as a CSV download, to `Accept: text/csv` or `?format=csv`.
fn exports(op: &mut Operation) {
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    use utoipa::openapi::schema::ObjectBuilder;
    use utoipa::openapi::{Content, Ref};
    let Some(RefOr::T(ok)) = op.responses.responses.get_mut("200") else {
        return;
    };
    let listed = ok.content.get("application/json").is_some_and(|c| {
        matches!(c, RefOr::T(Content { schema: Some(RefOr::Ref(Ref { ref_location, .. })), .. })
            if ref_location.starts_with("#/components/schemas/Page_")
                || ref_location.ends_with("/DatasetView"))
    });
    if !listed {
        return;
    }
    ok.content.entry("text/csv".to_owned()).or_insert_with(|| {
        RefOr::T(Content::new(Some(RefOr::T(Schema::Object(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(
                    "Every row (every page of a paged list, up to 100,000), UTF-8 with a \
                     byte-order mark, as an attachment",
                ))
                .build(),
        )))))
    });
    let format = ParameterBuilder::new()
        .name("format")
        .parameter_in(ParameterIn::Query)
        .required(utoipa::openapi::Required::False)
        .description(Some(
            "`csv` for a CSV download (as `Accept: text/csv`); `json` by default",
        ))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(["csv", "json"])),
        ))
        .build();
    op.parameters
        .get_or_insert_with(Vec::new)
        .push(RefOr::T(format));
    op.responses
        .responses
        .entry("400".to_owned())
        .or_insert_with(|| problem("A query parameter is malformed or out of range"));
}

/// Every creation answers with the new record's address.
fn locates(op: &mut Operation) {
    use utoipa::openapi::header::HeaderBuilder;
    use utoipa::openapi::schema::ObjectBuilder;
    if let Some(RefOr::T(created)) = op.responses.responses.get_mut("201") {
        created.headers.insert(
            "Location".to_owned(),
            RefOr::T(
                HeaderBuilder::new()
                    .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                    .description(Some("The new record's address"))
                    .build(),
            ),
        );
    }
}

fn idempotent(op: &mut Operation) {
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    use utoipa::openapi::schema::ObjectBuilder;
    let parameter = ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(utoipa::openapi::Required::False)
        .description(Some(
            "Up to 200 characters, unique per request. Sending the same key with the same route \
             and body again returns the first answer (`Idempotent-Replayed: true`) and creates \
             nothing; with another route or body it is refused (`409 idempotency_key_reused`).",
        ))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(super::idempotency::MAX_KEY_CHARS)),
        ))
        .build();
    op.parameters
        .get_or_insert_with(Vec::new)
        .push(RefOr::T(parameter));
    if let Some(RefOr::T(created)) = op.responses.responses.get_mut("201") {
        use utoipa::openapi::header::HeaderBuilder;
        created.headers.insert(
            "Idempotent-Replayed".to_owned(),
            RefOr::T(
                HeaderBuilder::new()
                    .schema(Some(
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .enum_values(Some(["true"])),
                    ))
                    .description(Some(
                        "`true` when this is the first answer to the same `Idempotency-Key`, \
                         replayed: nothing was created now",
                    ))
                    .build(),
            ),
        );
    }
    let responses = &mut op.responses.responses;
    responses.entry("400".to_owned()).or_insert_with(|| {
        problem("The body is not valid JSON, or the `Idempotency-Key` header is malformed")
    });
    responses.entry("409".to_owned()).or_insert_with(|| {
        problem("The `Idempotency-Key` was used with another request (`idempotency_key_reused`)")
    });
}

fn conventions_of(op: &mut Operation, public: bool, has_path_params: bool, health: bool) {
    let responses = &mut op.responses.responses;
    let mut add = |status: &str, description: &str| {
        responses
            .entry(status.to_owned())
            .or_insert_with(|| problem(description));
    };
    if public || health {
        // Said outright, so that a generated client sends no credentials here.
        op.security = Some(Vec::new());
    }
    add(
        "405",
        "The path does not take this method; `Allow` names those it does",
    );
    if health {
        return;
    }
    if !public {
        op.security = Some(vec![
            SecurityRequirement::new("bearer", Vec::<String>::new()),
            SecurityRequirement::new("api_key", Vec::<String>::new()),
        ]);
        add("401", "Missing, invalid, expired or revoked credentials");
        add("403", "The caller's role may not take this action");
    }
    if op.request_body.is_some() {
        add("400", "The body is not valid JSON");
        add("413", "The body is too large");
        add("415", "The body is not application/json");
        add("422", "Some values are invalid; see `errors`");
    }
    let has_query = op
        .parameters
        .as_ref()
        .is_some_and(|ps| ps.iter().any(|p| matches!(p, RefOr::T(p) if matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Query))));
    if has_query {
        add("400", "A query parameter is malformed or out of range");
    }
    if has_path_params {
        add("404", "No such resource, or the caller may not see it");
    }
    add("503", "The database is unreachable");
}

fn problem(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ProblemDetails")))
                .build(),
        )
        .build()
        .into()
}

/// The document as committed: pretty JSON with a trailing newline.
pub fn document_json() -> String {
    let mut json = document().to_pretty_json().unwrap_or_default();
    json.push('\n');
    json
}
