//! Notifications (docs/domain.md section 11): the parties of a contract are told of every transition
//! that concerns them, in their inbox and by email, in each reader's language. Everything here runs
//! inside the transaction of the change it tells of, so a notification exists exactly when the
//! change does; the outbox worker sends the emails afterwards, at least once.

pub mod account;
pub mod mailer;
pub mod reminders;
pub mod templates;
pub mod worker;

use std::sync::OnceLock;

use chrono::Duration;

use crate::domain::contract::Action;
use crate::domain::ids::{NotificationId, OrganizationId, OutboxId, WebhookId};
use crate::domain::organization::Language;
use crate::storage::models::ContractRow;
use crate::storage::names::{self, Names};
use crate::storage::notifications::{self as store, NotificationRow, OutboxRow};
use crate::storage::{DbConnection, QueryResult, now, organizations};
use templates::{Params, Template, render};

static PUBLIC_URL: OnceLock<String> = OnceLock::new();

/// Where links in messages point (`ETRACK_PUBLIC_URL`); set once at start-up.
pub fn set_public_url(url: &str) {
    let _ = PUBLIC_URL.set(url.trim_end_matches('/').to_owned());
}

/// The portal's address of `path`, for links in messages.
pub(crate) fn link(path: &str) -> String {
    format!(
        "{}{path}",
        PUBLIC_URL.get().map(String::as_str).unwrap_or("")
    )
}

fn params(conn: &mut DbConnection, c: &ContractRow, reason: Option<&str>) -> QueryResult<Params> {
    // The three names in one statement, as a contract's view reads them.
    let names = names::names(conn, std::slice::from_ref(c))?;
    named_params(c, &names, reason)
}

/// [`params`] with the contract's names already read.
fn named_params(c: &ContractRow, names: &Names, reason: Option<&str>) -> QueryResult<Params> {
    let ((facility, facility_ar), _) = names.facility(&c.facility_id)?;
    let (client, client_ar) = names.organization(&c.client_id);
    let (provider, provider_ar) = names.organization(&c.provider_id);
    Ok(Params {
        contract_id: c.id.to_string(),
        contract_type: c.contract_type.as_str().to_owned(),
        status: c.status.as_str().to_owned(),
        facility: facility.to_string(),
        facility_ar: facility_ar.unwrap_or_default().to_string(),
        client: client.to_string(),
        client_ar: client_ar.unwrap_or_default().to_string(),
        provider: provider.to_string(),
        provider_ar: provider_ar.unwrap_or_default().to_string(),
        dates: format!("{} – {}", c.starts_on, c.ends_on),
        reason: reason.map(str::to_owned),
        link: link(&format!("/contracts/{}", c.id)),
        ..Params::default()
    })
}

/// Writes one notification to an organisation's inbox and one email to each of its active users,
/// rendered in the user's language; answers the notification's id.
fn deliver(
    conn: &mut DbConnection,
    organization_id: &OrganizationId,
    template: Template,
    params: &Params,
    entity: Option<&str>,
) -> QueryResult<NotificationId> {
    let notification = NotificationRow {
        id: NotificationId::generate(),
        organization_id: organization_id.to_owned(),
        template: template.key().to_owned(),
        params: serde_json::to_string(params).unwrap_or_default(),
        entity_id: entity.map(str::to_owned),
        read_at: None,
        created_at: now(),
    };
    store::insert_notification(conn, &notification)?;
    for (email, full_name, language) in store::recipients(conn, organization_id)? {
        let lang = Language::parse(&language).unwrap_or(Language::English);
        let message = render(template, params, lang);
        queue(
            conn,
            Some(&notification.id),
            (email, full_name, language),
            message,
        )?;
    }
    Ok(notification.id)
}

/// Queues one email in the outbox, due now: to (address, name, language), about an inbox
/// notification or (`None`) about the recipient's own account.
pub(crate) fn queue(
    conn: &mut DbConnection,
    notification_id: Option<&NotificationId>,
    (email, name, language): (String, String, String),
    message: templates::Rendered,
) -> QueryResult<()> {
    store::insert_outbox(
        conn,
        &OutboxRow {
            id: OutboxId::generate(),
            notification_id: notification_id.cloned(),
            recipient_email: email,
            recipient_name: name,
            language,
            subject: message.subject,
            body_text: message.text,
            body_html: message.html,
            status: "pending".to_owned(),
            attempts: 0,
            next_attempt_at: now(),
            claimed_by: None,
            claimed_until: None,
            last_error: None,
            sent_at: None,
            created_at: now(),
        },
    )
}

/// Tells the parties a contract moved, all but the organisation that moved it. Call after the
/// contract row holds its new status.
pub fn contract_moved(
    conn: &mut DbConnection,
    c: &ContractRow,
    names: &Names,
    action: Action,
    from_draft: bool,
    actor_org: &OrganizationId,
    reason: Option<&str>,
) -> QueryResult<()> {
    let (template, client, provider) = match action {
        Action::Submit => (Template::ContractSubmitted, false, true),
        Action::Accept => (Template::ContractAccepted, true, false),
        Action::Decline => (Template::ContractDeclined, true, false),
        Action::Approve => (Template::ContractApproved, true, true),
        Action::Return => (Template::ContractReturned, true, false),
        Action::Reject => (Template::ContractRejected, true, true),
        // A draft's provider never heard of it.
        Action::Cancel => (Template::ContractCancelled, true, !from_draft),
    };
    let params = named_params(c, names, reason)?;
    for (tell, org) in [(client, &c.client_id), (provider, &c.provider_id)] {
        if tell && org != actor_org {
            deliver(conn, org, template, &params, Some(c.id.as_str()))?;
        }
    }
    Ok(())
}

/// Tells the client and the tawafa establishments serving its country that an inspection failed.
pub fn inspection_failed(
    conn: &mut DbConnection,
    c: &ContractRow,
    findings: &str,
    actor_org: &OrganizationId,
) -> QueryResult<()> {
    let params = params(conn, c, Some(findings))?;
    let mut told = organizations::tawafa_serving(conn, &c.client_country)?;
    told.push(c.client_id.clone());
    told.sort();
    told.dedup();
    for org in told.iter().filter(|o| *o != actor_org) {
        deliver(
            conn,
            org,
            Template::InspectionFailed,
            &params,
            Some(c.id.as_str()),
        )?;
    }
    Ok(())
}

/// Tells an organisation that one of its webhooks was disabled after a day of failed deliveries.
pub fn webhook_disabled(
    conn: &mut DbConnection,
    organization_id: &OrganizationId,
    subscription_id: &WebhookId,
    url: &str,
) -> QueryResult<()> {
    let params = Params {
        target: url.to_owned(),
        link: link(&format!("/api/v1/webhooks/{subscription_id}")),
        ..Params::default()
    };
    deliver(
        conn,
        organization_id,
        Template::WebhookDisabled,
        &params,
        Some(subscription_id.as_str()),
    )
    .map(|_| ())
}

/// The delay before retry `attempt` (1, 2, ...): 2, 4, 8 ... seconds, at most an hour.
pub fn backoff(attempt: i32) -> Duration {
    Duration::seconds(2i64.saturating_pow(attempt.clamp(1, 12) as u32).min(3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_bounded() {
        assert_eq!(backoff(1), Duration::seconds(2));
        assert_eq!(backoff(3), Duration::seconds(8));
        assert_eq!(backoff(30), Duration::seconds(3600));
    }
}
