//! Who did what, for the audit log (DOMAIN.md section 8). Each request runs with a context that
//! the credentials extractor fills with the caller; every write transaction appends an event from
//! it, so a change and its audit event commit together or not at all.

use std::cell::RefCell;

use crate::access::Caller;
use crate::storage::audit::NewEvent;

tokio::task_local! {
    static REQUEST: RequestContext;
}

/// What the audit log needs to know of the request being served.
pub struct RequestContext {
    request_id: String,
    method: String,
    path: String,
    caller: RefCell<Option<ActorIds>>,
    path_id: RefCell<Option<String>>,
}

impl RequestContext {
    pub fn new(request_id: String, method: String, path: String) -> RequestContext {
        RequestContext {
            request_id,
            method,
            path,
            caller: RefCell::new(None),
            path_id: RefCell::new(None),
        }
    }
}

/// Who acted: a user or an API key, and its organisation.
#[derive(Clone)]
struct ActorIds {
    user: Option<String>,
    key: Option<String>,
    organization: String,
}

/// Runs a request's future with its context.
pub async fn scope<F: std::future::Future>(context: RequestContext, f: F) -> F::Output {
    REQUEST.scope(context, f).await
}

/// Records the authenticated caller of the current request.
pub fn set_caller(caller: &Caller) {
    let (user, key) = caller.actor_ids();
    let actor = ActorIds {
        user,
        key,
        organization: caller.organization_id.to_string(),
    };
    let _ = REQUEST.try_with(|c| *c.caller.borrow_mut() = Some(actor));
}

/// Records the id named in the current request's path.
pub fn set_path_id(id: &str) {
    let _ = REQUEST.try_with(|c| *c.path_id.borrow_mut() = Some(id.to_owned()));
}

/// The event the current request would append, with its entity decided later.
#[derive(Clone, Debug)]
pub struct Pending {
    event: NewEvent,
    path_id: Option<String>,
}

/// A snapshot of the current request, taken on its task before blocking work starts.
pub fn pending() -> Option<Pending> {
    REQUEST
        .try_with(|c| {
            let (user, key, org) = c.caller.borrow().clone().map_or((None, None, None), |a| {
                (a.user, a.key, Some(a.organization))
            });
            let path_id = c.path_id.borrow().clone();
            // The action is the route, with the resource's id replaced by `{id}`.
            let path = match &path_id {
                Some(id) => c.path.replace(id.as_str(), "{id}"),
                None => c.path.clone(),
            };
            Pending {
                event: NewEvent {
                    actor_user_id: user,
                    actor_api_key_id: key,
                    organization_id: org,
                    action: format!("{} {}", c.method, path),
                    entity_id: None,
                    request_id: Some(c.request_id.clone()),
                },
                path_id,
            }
        })
        .ok()
}

impl Pending {
    /// The event, about `entity` (the created or changed resource) or else the path's resource.
    pub fn event(self, entity: Option<String>) -> NewEvent {
        NewEvent {
            entity_id: entity.or(self.path_id),
            ..self.event
        }
    }

    /// The same request recording a different action (a dataset read, say).
    pub fn with_action(mut self, action: String) -> Pending {
        self.event.action = action;
        self
    }
}

/// What a write reports to the audit log about the resource it created or changed.
pub trait AuditEntity {
    fn audit_entity(&self) -> Option<String> {
        None
    }
}

impl AuditEntity for () {}

impl<T: AuditEntity, E> AuditEntity for Result<T, E> {
    fn audit_entity(&self) -> Option<String> {
        self.as_ref().ok().and_then(AuditEntity::audit_entity)
    }
}

impl<T: AuditEntity> AuditEntity for Vec<T> {}
