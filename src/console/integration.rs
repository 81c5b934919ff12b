//! An organisation's integration in the console: its API keys (made by its admin, listed and
//! revoked by its admin or a ministry admin) and its webhooks (its own admin only), with each
//! webhook's delivery log. A key or a signing secret is shown once, on the page that answers its
//! making, and never again. The same use cases as the API's (`usecases::api_keys`,
//! `usecases::webhooks`); what the reader may not manage is the 404 or the refusal page.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::Frame;
use super::pages::{
    Touched, frame, no_such, page, pageless, refusal_text, refused_with, submit, unframed,
    unless_forbidden,
};
use super::session::{Visitor, form_session};
use crate::domain::Invalid;
use crate::domain::feed::EventType;
use crate::domain::ids::{ApiKeyId, OrganizationId, WebhookId};
use crate::domain::organization::Role;
use crate::error::Error;
use crate::state::AppState;
use crate::storage::models::{ApiKeyRow, OrganizationRow};
use crate::storage::webhooks::{DeliveryRow, SubscriptionRow};
use crate::usecases::api_keys::{self as key_cases, FreshKey};
use crate::usecases::organizations as org_cases;
use crate::usecases::webhooks::{self as hook_cases, Subscription, SubscriptionEdit};

/// The most keys the page lists (the API pages through more).
const KEYS_SHOWN: i64 = 100;
/// The deliveries a webhook's page shows, newest first.
const DELIVERIES_SHOWN: i64 = 50;

/// A form's fields as posted, repeated names kept (the event types are one checkbox each).
type Fields = web::Form<Vec<(String, String)>>;

fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

fn event_types(form: &[(String, String)]) -> Vec<String> {
    form.iter()
        .filter(|(k, _)| k == "event_type")
        .map(|(_, v)| v.clone())
        .collect()
}

/// A secret shown once: a new API key, or a webhook's new signing secret.
enum Shown {
    Key(String),
    Secret(String),
}

// ----- An organisation's keys and webhooks -----

struct IntegrationScreen {
    org: OrganizationRow,
    /// Its keys, where the reader manages them.
    keys: Option<Vec<ApiKeyRow>>,
    /// The reader makes keys for it (its own admin).
    makes_keys: bool,
    /// Its webhooks, where the reader manages them (its own admin).
    hooks: Option<Vec<SubscriptionRow>>,
}

#[derive(Template)]
#[template(path = "console/integration.html")]
struct IntegrationPage<'a> {
    f: &'a Frame,
    s: &'a IntegrationScreen,
    shown: Option<Shown>,
    notice: Option<String>,
    roles: [Role; 2],
    types: &'static [EventType],
}

/// The word of a webhook's status.
fn hook_word(status: &str) -> &'static str {
    if status == "active" {
        "hook_active"
    } else {
        "hook_disabled"
    }
}

impl IntegrationPage<'_> {
    fn hook_status(&self, h: &SubscriptionRow) -> &'static str {
        hook_word(&h.status)
    }
    fn org_name(&self) -> &str {
        self.f.tr.either(&self.s.org.name, &self.s.org.name_ar)
    }
}

pub async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
) -> HttpResponse {
    let Ok(id) = id.parse::<OrganizationId>() else {
        return no_such(&visitor);
    };
    integration_page(&state, &visitor, id, None, None).await
}

async fn integration_page(
    state: &AppState,
    visitor: &Visitor,
    id: OrganizationId,
    shown: Option<Shown>,
    refused: Option<&Error>,
) -> HttpResponse {
    let loaded = page(state, visitor, move |conn, caller, _| {
        let org = org_cases::visible(conn, caller, &id)?;
        let keys = unless_forbidden(key_cases::list(conn, caller, &id, None, KEYS_SHOWN))?;
        let hooks = unless_forbidden(hook_cases::list(conn, caller, &id))?;
        if keys.is_none() && hooks.is_none() {
            return Err(Error::forbidden());
        }
        Ok(IntegrationScreen {
            makes_keys: crate::access::create_api_key(caller, &id).is_ok(),
            org,
            keys,
            hooks,
        })
    })
    .await;
    match loaded {
        Ok((me, lang, s)) => {
            let mut f = frame(visitor, me, lang, "/organizations", "integration");
            f.title = format!("{} · {}", f.title, f.tr.either(&s.org.name, &s.org.name_ar));
            let status = if shown.is_some() {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            let page = IntegrationPage {
                f: &f,
                s: &s,
                shown,
                notice: refused.map(|e| refusal_text(lang, e)),
                roles: [Role::Officer, Role::Viewer],
                types: EventType::ALL,
            };
            kept_from_caches(status, page.render(), refused)
        }
        Err(answer) => answer,
    }
}

/// A page that may show a secret: never kept by a browser or a proxy; with `refused`, that
/// refusal's status.
fn kept_from_caches(
    status: StatusCode,
    body: askama::Result<String>,
    refused: Option<&Error>,
) -> HttpResponse {
    let mut answer = super::html(status, body.unwrap_or_default());
    answer.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    refused_with(answer, refused)
}

/// Makes an API key (the organisation's own admin) and shows it, once.
pub async fn create_key(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
    form: Fields,
) -> HttpResponse {
    let auth = match form_session(&visitor, field(&form, "csrf")) {
        Ok(auth) => auth,
        Err(answer) => return *answer,
    };
    let Ok(org) = id.parse::<OrganizationId>() else {
        return no_such(&visitor);
    };
    let role = Role::parse(field(&form, "role"))
        .ok_or_else(|| Error::invalid_field("role", Invalid::new("invalid_value")));
    let input = role.map(|role| (field(&form, "name").to_owned(), role));
    let fresh = FreshKey::generate();
    let target = org.clone();
    let key = fresh.clone();
    let made = state
        .write(auth, move |conn, caller| {
            key_cases::create(conn, caller, &target, &key, input.clone())
                .map(|k| Touched(k.id.into_string()))
        })
        .await;
    match made {
        Ok(_) => integration_page(&state, &visitor, org, Some(Shown::Key(fresh.key)), None).await,
        Err(e) if pageless(&e) => unframed(&visitor, &e),
        Err(e) => integration_page(&state, &visitor, org, None, Some(&e)).await,
    }
}

/// Revokes a key (the organisation's admin or a ministry admin), then shows the page again.
pub async fn revoke_key(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    form: Fields,
) -> HttpResponse {
    let (org, key) = path.into_inner();
    let (Ok(org), Ok(key)) = (org.parse::<OrganizationId>(), key.parse::<ApiKeyId>()) else {
        return no_such(&visitor);
    };
    let back = org.clone();
    submit(
        &state,
        &visitor,
        field(&form, "csrf"),
        move |conn, caller| {
            key_cases::revoke(conn, caller, &key)?;
            Ok(Touched(key.to_string()))
        },
        |_| format!("/organizations/{org}/integration"),
        |e| {
            let (state, visitor) = (&state, &visitor);
            async move { integration_page(state, visitor, back, None, Some(&e)).await }
        },
    )
    .await
}

/// Subscribes a URL for the organisation (its own admin) and shows the signing secret, once.
pub async fn create_hook(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
    form: Fields,
) -> HttpResponse {
    let auth = match form_session(&visitor, field(&form, "csrf")) {
        Ok(auth) => auth,
        Err(answer) => return *answer,
    };
    let Ok(org) = id.parse::<OrganizationId>() else {
        return no_such(&visitor);
    };
    let new = Subscription::parse(
        field(&form, "url"),
        &event_types(&form),
        field(&form, "description"),
        state.settings.webhooks.policy,
    );
    let target = org.clone();
    let made = state
        .write(auth, move |conn, caller| {
            hook_cases::subscribe(conn, caller, &target, new.clone())
                .map(|s| (Touched(s.id.to_string()), s.secret))
        })
        .await;
    match made {
        Ok((_, secret)) => {
            integration_page(&state, &visitor, org, Some(Shown::Secret(secret)), None).await
        }
        Err(e) if pageless(&e) => unframed(&visitor, &e),
        Err(e) => integration_page(&state, &visitor, org, None, Some(&e)).await,
    }
}

impl crate::audit::AuditEntity for (Touched, String) {
    fn audit_entity(&self) -> Option<String> {
        self.0.audit_entity()
    }
}

// ----- One webhook -----

struct HookScreen {
    hook: SubscriptionRow,
    types: Option<Vec<EventType>>,
    deliveries: Vec<DeliveryRow>,
}

#[derive(Template)]
#[template(path = "console/webhook.html")]
struct HookPage<'a> {
    f: &'a Frame,
    s: &'a HookScreen,
    shown: Option<Shown>,
    notice: Option<String>,
    all_types: &'static [EventType],
}

impl HookPage<'_> {
    fn hook_status(&self) -> &'static str {
        hook_word(&self.s.hook.status)
    }
    fn delivery_status(&self, d: &DeliveryRow) -> &'static str {
        match d.status.as_str() {
            "delivered" => "delivery_delivered",
            "failed" => "delivery_failed",
            _ => "delivery_pending",
        }
    }
    fn attempts(&self, d: &DeliveryRow) -> String {
        self.f.tr.num(i64::from(d.attempts))
    }
    fn asked(&self, t: &EventType) -> bool {
        self.s.types.as_ref().is_some_and(|types| types.contains(t))
    }
}

pub async fn hook(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
) -> HttpResponse {
    let Ok(id) = id.parse::<WebhookId>() else {
        return no_such(&visitor);
    };
    hook_page(&state, &visitor, id, None, None).await
}

async fn hook_page(
    state: &AppState,
    visitor: &Visitor,
    id: WebhookId,
    shown: Option<Shown>,
    refused: Option<&Error>,
) -> HttpResponse {
    let loaded = page(state, visitor, move |conn, caller, _| {
        let hook = hook_cases::find(conn, caller, &id)?;
        let deliveries = hook_cases::deliveries(conn, caller, &id, None, DELIVERIES_SHOWN)?;
        Ok(HookScreen {
            types: hook_cases::types_of(&hook),
            hook,
            deliveries,
        })
    })
    .await;
    match loaded {
        Ok((me, lang, s)) => {
            let mut f = frame(visitor, me, lang, "/organizations", "webhook");
            f.title = format!("{} · {}", f.title, s.hook.url);
            let page = HookPage {
                f: &f,
                s: &s,
                shown,
                notice: refused.map(|e| refusal_text(lang, e)),
                all_types: EventType::ALL,
            };
            kept_from_caches(StatusCode::OK, page.render(), refused)
        }
        Err(answer) => answer,
    }
}

/// Runs a change to webhook `id`, then shows its page (or `to`), or the refusal above it.
async fn change_hook<W>(
    state: &AppState,
    visitor: &Visitor,
    csrf: &str,
    id: WebhookId,
    to: Option<String>,
    work: W,
) -> HttpResponse
where
    W: FnMut(&mut crate::storage::DbConnection, &crate::access::Caller) -> Result<Touched, Error>
        + Send
        + 'static,
{
    let back = id.clone();
    submit(
        state,
        visitor,
        csrf,
        work,
        |_| to.unwrap_or_else(|| format!("/webhooks/{id}")),
        |e| async move { hook_page(state, visitor, back, None, Some(&e)).await },
    )
    .await
}

/// Changes a webhook's target, types, description and whether it delivers, at the version the
/// form was filled in against.
pub async fn update_hook(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
    form: Fields,
) -> HttpResponse {
    let Ok(id) = id.parse::<WebhookId>() else {
        return no_such(&visitor);
    };
    let version = field(&form, "version")
        .parse::<i64>()
        .map(Some)
        .map_err(|_| Error::invalid_field("version", Invalid::new("invalid_number")));
    let edit = Subscription::parse(
        field(&form, "url"),
        &event_types(&form),
        field(&form, "description"),
        state.settings.webhooks.policy,
    )
    .map(|subscription| SubscriptionEdit {
        subscription,
        active: field(&form, "active") == "on",
    });
    let target = id.clone();
    change_hook(
        &state,
        &visitor,
        field(&form, "csrf"),
        id,
        None,
        move |conn, caller| {
            hook_cases::change(conn, caller, &target, version.clone(), edit.clone())
                .map(|s| Touched(s.id.into_string()))
        },
    )
    .await
}

/// Gives a webhook a new signing secret and shows it, once (the old one signs for a day more).
pub async fn rotate(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
    form: Fields,
) -> HttpResponse {
    let auth = match form_session(&visitor, field(&form, "csrf")) {
        Ok(auth) => auth,
        Err(answer) => return *answer,
    };
    let Ok(id) = id.parse::<WebhookId>() else {
        return no_such(&visitor);
    };
    let target = id.clone();
    let rotated = state
        .write(auth, move |conn, caller| {
            hook_cases::rotate(conn, caller, &target).map(|s| (Touched(s.id.to_string()), s.secret))
        })
        .await;
    match rotated {
        Ok((_, secret)) => hook_page(&state, &visitor, id, Some(Shown::Secret(secret)), None).await,
        Err(e) if pageless(&e) => unframed(&visitor, &e),
        Err(e) => hook_page(&state, &visitor, id, None, Some(&e)).await,
    }
}

/// Removes a webhook and its delivery log, then shows the organisation's integration page.
pub async fn remove_hook(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
    form: Fields,
) -> HttpResponse {
    let Ok(id) = id.parse::<WebhookId>() else {
        return no_such(&visitor);
    };
    // Where to go afterwards: the page of the organisation the form was on (a forged one only
    // leads to a page the reader is refused).
    let Ok(org) = field(&form, "org").parse::<OrganizationId>() else {
        return no_such(&visitor);
    };
    let target = id.clone();
    change_hook(
        &state,
        &visitor,
        field(&form, "csrf"),
        id,
        Some(format!("/organizations/{org}/integration")),
        move |conn, caller| {
            hook_cases::remove(conn, caller, &target)?;
            Ok(Touched(target.to_string()))
        },
    )
    .await
}

/// Sends one delivery again, with the same `webhook-id`.
pub async fn redeliver(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    form: Fields,
) -> HttpResponse {
    let (id, delivery) = path.into_inner();
    let Ok(id) = id.parse::<WebhookId>() else {
        return no_such(&visitor);
    };
    let target = id.clone();
    change_hook(
        &state,
        &visitor,
        field(&form, "csrf"),
        id,
        None,
        move |conn, caller| {
            hook_cases::redeliver(conn, caller, &target, &delivery).map(|d| Touched(d.id))
        },
    )
    .await
}
