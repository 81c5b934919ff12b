//! Who did what, for the audit log (docs/domain.md section 8). Each request runs with a context (its
//! id, method, path and the id it names); every write transaction appends an event from it and
//! from the caller it resolved, so a change and its audit event commit together or not at all.

use std::cell::RefCell;

use crate::access::Caller;
use crate::domain::ids::{ApiKeyId, UserId};
use crate::storage::audit::NewEvent;

tokio::task_local! {
    static REQUEST: RequestContext;
}

/// What the audit log needs to know of the request being served.
pub struct RequestContext {
    request_id: String,
    method: String,
    path: String,
    path_id: RefCell<Option<String>>,
    /// The statements its database work sent, shared with whoever reads them once it is
    /// answered (the metrics).
    statements: std::rc::Rc<std::cell::Cell<u64>>,
}

impl RequestContext {
    pub fn new(request_id: String, method: String, path: String) -> RequestContext {
        RequestContext {
            request_id,
            method,
            path,
            path_id: RefCell::new(None),
            statements: std::rc::Rc::default(),
        }
    }

    /// How many statements the request's database work sent, read once it is answered.
    pub fn statements(&self) -> std::rc::Rc<std::cell::Cell<u64>> {
        self.statements.clone()
    }
}

/// Runs a request's future with its context.
pub async fn scope<F: std::future::Future>(context: RequestContext, f: F) -> F::Output {
    REQUEST.scope(context, f).await
}

/// Adds to the statements the current request's database work sent.
pub fn count_statements(n: u64) {
    let _ = REQUEST.try_with(|c| c.statements.set(c.statements.get() + n));
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
            let path_id = c.path_id.borrow().clone();
            // The action is the route, with the resource's id replaced by `{id}`.
            let path = match &path_id {
                Some(id) => c.path.replace(id.as_str(), "{id}"),
                None => c.path.clone(),
            };
            Pending {
                event: NewEvent {
                    actor_user_id: None,
                    actor_api_key_id: None,
                    organization_id: None,
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
    /// The event by `caller` (none for sign-ins), about `entity` (the created or changed
    /// resource) or else the path's resource.
    pub fn event(self, caller: Option<&Caller>, entity: Option<String>) -> NewEvent {
        let (user, key) = caller.map_or((None, None), Caller::actor_ids);
        NewEvent {
            actor_user_id: user.map(UserId::into_string),
            actor_api_key_id: key.map(ApiKeyId::into_string),
            organization_id: caller.map(|c| c.organization_id.to_string()),
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
