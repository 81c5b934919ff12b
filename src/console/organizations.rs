//! Organisations and their users in the console: the ministry opens, renames, suspends and
//! reactivates organisations and keeps their private settings; an organisation's admin (or a
//! ministry admin) adds, invites and edits its users. Every change is the use case the API calls
//! (`usecases::organizations`, `usecases::users`); an organisation or a user the reader may not see
//! is the 404 page.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::Frame;
use super::pages::{
    Touched, frame, no_such, page, pageless, refusal_text, refused_with, rendered, submit,
    unframed, unless_forbidden,
};
use super::session::{Visitor, form_session};
use crate::access;
use crate::domain::ids::{OrganizationId, UserId};
use crate::domain::organization::{Dataset, Language, OrgKind, OrgStatus, Role};
use crate::domain::text::search_key;
use crate::error::Error;
use crate::state::AppState;
use crate::storage::models::{OrganizationRow, UserRow};
use crate::storage::organizations::OrganizationFilter;
use crate::usecases::organizations::{self as cases, NewOrganization, OrganizationEdit, Settings};
use crate::usecases::users::{self as user_cases, NewUser, UserEdit};

const PAGE_SIZE: i64 = 50;
/// The most users an organisation's page lists (more are rare: the API pages through them).
const USERS_SHOWN: i64 = 200;
/// The most offices the new-organisation form offers as an agency's parent.
const OFFICES_OFFERED: i64 = 300;

// ----- The list -----

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    after: String,
}

struct ListScreen {
    rows: Vec<OrganizationRow>,
    next: Option<String>,
    /// The reader opens organisations (ministry admins); the offices an agency may belong to.
    offices: Option<Vec<OrganizationRow>>,
}

#[derive(Template)]
#[template(path = "console/organizations.html")]
struct ListPage<'a> {
    f: &'a Frame,
    s: &'a ListScreen,
    kind: &'a str,
    q: &'a str,
    kinds: &'static [OrgKind],
    notice: Option<String>,
}

/// The organisations the reader may see, 50 a page, by kind and by name in either language.
pub async fn list(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<ListQuery>,
) -> HttpResponse {
    list_page(&state, &visitor, query.into_inner(), None).await
}

async fn list_page(
    state: &AppState,
    visitor: &Visitor,
    query: ListQuery,
    refused: Option<&Error>,
) -> HttpResponse {
    let filter = OrganizationFilter {
        kind: OrgKind::parse(&query.kind).map(|k| k.as_str().to_owned()),
        q: Some(search_key(&query.q)).filter(|q| !q.is_empty()),
        ..OrganizationFilter::default()
    };
    let after = query.after.parse::<OrganizationId>().ok();
    let loaded = page(state, visitor, move |conn, caller, _| {
        let mut rows = cases::list(conn, caller, &filter, after.as_ref(), PAGE_SIZE + 1)?;
        let next = (rows.len() as i64 > PAGE_SIZE).then(|| {
            rows.truncate(PAGE_SIZE as usize);
            rows.last().map(|r| r.id.to_string()).unwrap_or_default()
        });
        let offices = if access::manage_organizations(caller).is_ok() {
            let offices = OrganizationFilter {
                kind: Some(OrgKind::HajjOffice.as_str().to_owned()),
                ..OrganizationFilter::default()
            };
            Some(cases::list(conn, caller, &offices, None, OFFICES_OFFERED)?)
        } else {
            None
        };
        Ok(ListScreen {
            rows,
            next,
            offices,
        })
    })
    .await;
    match loaded {
        Ok((me, lang, s)) => {
            let f = frame(visitor, me, lang, "/organizations", "organizations");
            refused_with(
                rendered(ListPage {
                    f: &f,
                    s: &s,
                    kind: &query.kind,
                    q: &query.q,
                    kinds: OrgKind::ALL,
                    notice: refused.map(|e| refusal_text(lang, e)),
                }),
                refused,
            )
        }
        Err(answer) => answer,
    }
}

#[derive(Deserialize)]
pub struct NewOrganizationForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    name_ar: String,
    #[serde(default)]
    country: String,
    #[serde(default)]
    parent_id: String,
}

impl NewOrganizationForm {
    fn parse(&self) -> Result<NewOrganization, Error> {
        use crate::domain::Invalid;
        let kind = OrgKind::parse(&self.kind)
            .ok_or_else(|| Error::invalid_field("kind", Invalid::new("invalid_value")))?;
        let parent_id = match self.parent_id.trim() {
            "" => None,
            id => Some(
                id.parse::<OrganizationId>()
                    .map_err(|_| Error::invalid_field("parent_id", Invalid::new("not_a_parent")))?,
            ),
        };
        let country = Some(self.country.trim()).filter(|c| !c.is_empty());
        NewOrganization::parse(kind, &self.name, &self.name_ar, country, parent_id)
    }
}

/// Opens an organisation (ministry admins), then shows it.
pub async fn create(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<NewOrganizationForm>,
) -> HttpResponse {
    let new = form.parse();
    submit(
        &state,
        &visitor,
        &form.csrf,
        move |conn, caller| {
            cases::create(conn, caller, new.clone()).map(|row| Touched(row.id.into_string()))
        },
        |Touched(id)| format!("/organizations/{id}"),
        |e| {
            let (state, visitor) = (&state, &visitor);
            async move { list_page(state, visitor, ListQuery::default(), Some(&e)).await }
        },
    )
    .await
}

// ----- One organisation -----

struct OrgScreen {
    org: OrganizationRow,
    settings: Settings,
    parent: Option<OrganizationRow>,
    /// The reader edits the organisation and its settings (ministry admins).
    can_edit: bool,
    /// Its users, where the reader manages them.
    users: Option<Vec<UserRow>>,
    /// The reader manages its API keys or webhooks.
    integration: bool,
}

#[derive(Template)]
#[template(path = "console/organization.html")]
struct OrgPage<'a> {
    f: &'a Frame,
    s: &'a OrgScreen,
    notice: Option<String>,
    roles: &'static [Role],
    datasets: &'static [Dataset],
}

impl OrgPage<'_> {
    fn granted(&self, d: &Dataset) -> bool {
        self.s
            .settings
            .datasets
            .as_ref()
            .is_some_and(|granted| granted.contains(d))
    }
    fn countries_text(&self) -> String {
        self.s
            .settings
            .countries
            .as_ref()
            .map(|c| c.join(", "))
            .unwrap_or_default()
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
    org_page(&state, &visitor, id, None).await
}

/// An organisation's page; with `refused`, that refusal above it and its status.
async fn org_page(
    state: &AppState,
    visitor: &Visitor,
    id: OrganizationId,
    refused: Option<&Error>,
) -> HttpResponse {
    let loaded = page(state, visitor, move |conn, caller, _| {
        let org = cases::visible(conn, caller, &id)?;
        let settings = cases::settings(conn, caller, &org)?;
        let parent = match &org.parent_id {
            Some(parent) => cases::visible(conn, caller, &parent.clone()).ok(),
            None => None,
        };
        let users = unless_forbidden(user_cases::list(conn, caller, &id, None, USERS_SHOWN))?;
        Ok(OrgScreen {
            integration: access::manage_api_keys(caller, &id).is_ok()
                || access::manage_webhooks(caller, &id).is_ok(),
            can_edit: access::manage_organizations(caller).is_ok(),
            org,
            settings,
            parent,
            users,
        })
    })
    .await;
    match loaded {
        Ok((me, lang, s)) => {
            let mut f = frame(visitor, me, lang, "/organizations", "organizations");
            f.title = f.tr.either(&s.org.name, &s.org.name_ar).to_owned();
            refused_with(
                rendered(OrgPage {
                    f: &f,
                    s: &s,
                    notice: refused.map(|e| refusal_text(lang, e)),
                    roles: Role::ALL,
                    datasets: Dataset::ALL,
                }),
                refused,
            )
        }
        Err(answer) => answer,
    }
}

/// Runs a change to organisation `id` and shows its page again, or the refusal above it.
async fn change_org<F>(
    state: &AppState,
    visitor: &Visitor,
    csrf: &str,
    id: &str,
    change: F,
) -> HttpResponse
where
    F: FnMut(
            &mut crate::storage::DbConnection,
            &crate::access::Caller,
            &OrganizationId,
        ) -> Result<Touched, Error>
        + Send
        + 'static,
{
    let Ok(id) = id.parse::<OrganizationId>() else {
        return no_such(visitor);
    };
    let target = id.clone();
    let mut change = change;
    submit(
        state,
        visitor,
        csrf,
        move |conn, caller| change(conn, caller, &target),
        |_| format!("/organizations/{id}"),
        |e| {
            let id = id.clone();
            async move { org_page(state, visitor, id, Some(&e)).await }
        },
    )
    .await
}

#[derive(Deserialize)]
pub struct EditForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    name_ar: String,
    #[serde(default)]
    status: String,
}

/// Renames, suspends or reactivates an organisation (ministry admins), at the version the form
/// was filled in against: a change made meanwhile by someone else is refused, not overwritten.
pub async fn update(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
    form: web::Form<EditForm>,
) -> HttpResponse {
    let form = form.into_inner();
    let version = form
        .version
        .trim()
        .parse::<i64>()
        .map(Some)
        .map_err(|_| Error::precondition_failed());
    let edit = OrganizationEdit::parse(
        Some(form.name.as_str()).filter(|n| !n.trim().is_empty()),
        Some(form.name_ar.as_str()).filter(|n| !n.trim().is_empty()),
        OrgStatus::parse(&form.status),
    );
    change_org(
        &state,
        &visitor,
        &form.csrf,
        &id,
        move |conn, caller, id| {
            cases::update(conn, caller, id, version.clone(), edit.clone())
                .map(|r| Touched(r.id.into_string()))
        },
    )
    .await
}

#[derive(Deserialize)]
pub struct CountriesForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    countries: String,
}

/// Assigns a tawafa establishment's countries (ministry admins), written as codes separated by
/// spaces or commas.
pub async fn set_countries(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
    form: web::Form<CountriesForm>,
) -> HttpResponse {
    let countries: Vec<String> = form
        .countries
        .split(|c: char| c == ',' || c == '،' || c.is_whitespace())
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect();
    change_org(
        &state,
        &visitor,
        &form.csrf,
        &id,
        move |conn, caller, id| {
            cases::set_countries(conn, caller, id, Ok(countries.clone()))
                .map(|r| Touched(r.id.into_string()))
        },
    )
    .await
}

/// Grants an authority its datasets (ministry admins): one checkbox each.
pub async fn set_grants(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let csrf = form
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let datasets: Result<Vec<Dataset>, Error> = form
        .iter()
        .filter(|(k, _)| k == "dataset")
        .map(|(_, v)| {
            Dataset::parse(v).ok_or_else(|| {
                Error::invalid_field("datasets", crate::domain::Invalid::new("invalid_value"))
            })
        })
        .collect();
    change_org(&state, &visitor, &csrf, &id, move |conn, caller, id| {
        cases::set_grants(conn, caller, id, datasets.clone()).map(|r| Touched(r.id.into_string()))
    })
    .await
}

#[derive(Deserialize)]
pub struct NewUserForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    password: String,
}

/// Adds a user to an organisation (its admin, or a ministry admin): with a password, or invited
/// by an email in its language when the password is left empty.
pub async fn add_user(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
    form: web::Form<NewUserForm>,
) -> HttpResponse {
    let auth = match form_session(&visitor, &form.csrf) {
        Ok(auth) => auth,
        Err(answer) => return *answer,
    };
    let Ok(org) = id.parse::<OrganizationId>() else {
        return no_such(&visitor);
    };
    // Visibility and permission first: nobody learns anything from validation or hashing.
    let check = org.clone();
    let allowed = state
        .read(auth.clone(), move |conn, caller| {
            user_cases::manageable(conn, caller, &check)
        })
        .await;
    if let Err(e) = allowed {
        return if pageless(&e) {
            unframed(&visitor, &e)
        } else {
            org_page(&state, &visitor, org, Some(&e)).await
        };
    }
    let role = Role::parse(&form.role)
        .ok_or_else(|| Error::invalid_field("role", crate::domain::Invalid::new("invalid_value")));
    let parsed = role.and_then(|role| {
        NewUser::parse(
            &form.email,
            &form.full_name,
            role,
            Some(form.password.as_str()).filter(|p| !p.is_empty()),
            Language::parse(&form.language),
        )
    });
    let (new, password) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => return org_page(&state, &visitor, org, Some(&e)).await,
    };
    let hash = match user_cases::hash_password(&state, password).await {
        Ok(hash) => hash,
        Err(e) => return org_page(&state, &visitor, org, Some(&e)).await,
    };
    let target = org.clone();
    submit(
        &state,
        &visitor,
        &form.csrf,
        move |conn, caller| {
            user_cases::create(conn, caller, &target, &new, hash.clone())
                .map(|u| Touched(u.id.into_string()))
        },
        |_| format!("/organizations/{org}"),
        |e| {
            let (state, visitor, org) = (&state, &visitor, org.clone());
            async move { org_page(state, visitor, org, Some(&e)).await }
        },
    )
    .await
}

// ----- One user -----

struct UserScreen {
    user: UserRow,
    organization: OrganizationRow,
    /// The reader changes role and access (an admin of the user's organisation or of the
    /// ministry), and it is not the reader itself.
    can_administer: bool,
}

#[derive(Template)]
#[template(path = "console/user.html")]
struct UserPage<'a> {
    f: &'a Frame,
    s: &'a UserScreen,
    notice: Option<String>,
    roles: &'static [Role],
}

pub async fn user(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
) -> HttpResponse {
    let Ok(id) = id.parse::<UserId>() else {
        return no_such(&visitor);
    };
    user_page(&state, &visitor, id, None).await
}

async fn user_page(
    state: &AppState,
    visitor: &Visitor,
    id: UserId,
    refused: Option<&Error>,
) -> HttpResponse {
    let loaded = page(state, visitor, move |conn, caller, _| {
        let user = user_cases::get(conn, caller, &id)?;
        let org_id = user.organization_id.clone();
        let organization = cases::visible(conn, caller, &org_id)?;
        Ok(UserScreen {
            can_administer: caller.user_id() != Some(&id)
                && access::manage_members(caller, &org_id).is_ok(),
            user,
            organization,
        })
    })
    .await;
    match loaded {
        Ok((me, lang, s)) => {
            let mut f = frame(visitor, me, lang, "/organizations", "user");
            f.title = s.user.full_name.clone();
            refused_with(
                rendered(UserPage {
                    f: &f,
                    s: &s,
                    notice: refused.map(|e| refusal_text(lang, e)),
                    roles: Role::ALL,
                }),
                refused,
            )
        }
        Err(answer) => answer,
    }
}

#[derive(Deserialize)]
pub struct UserForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    role: String,
    /// Present (as "on" or "true") when the box is ticked; the form says whether it carries it.
    #[serde(default)]
    active: String,
    #[serde(default)]
    administers: String,
}

/// Edits a user: its name and language, and for an admin of its organisation its role and
/// whether it may sign in (the same rules as `PATCH /api/v1/users/{id}`).
pub async fn update_user(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
    form: web::Form<UserForm>,
) -> HttpResponse {
    let Ok(id) = id.parse::<UserId>() else {
        return no_such(&visitor);
    };
    let form = form.into_inner();
    let administers = form.administers == "yes";
    let edit = UserEdit::parse(
        Some(form.full_name.as_str()).filter(|n| !n.trim().is_empty()),
        Language::parse(&form.language),
        administers.then(|| Role::parse(&form.role)).flatten(),
        administers.then_some(matches!(form.active.as_str(), "on" | "true")),
        None,
    );
    let version = form.version.trim().parse::<i64>().ok();
    let target = id.clone();
    let path = format!("/users/{id}");
    submit(
        &state,
        &visitor,
        &form.csrf,
        move |conn, caller| {
            // Visibility and permission before the input is judged.
            user_cases::editable(conn, caller, &target, administers)?;
            let edit = edit.clone()?;
            let version = version.ok_or_else(Error::precondition_failed)?;
            user_cases::update(conn, caller, &target, Some(version), &edit, None)
                .map(|u| Touched(u.id.into_string()))
        },
        |_| path,
        |e| {
            let (state, visitor) = (&state, &visitor);
            async move { user_page(state, visitor, id, Some(&e)).await }
        },
    )
    .await
}
