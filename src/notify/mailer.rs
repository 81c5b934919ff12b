//! Sending email: to `.eml` files in a folder (the default, nothing to install) or through SMTP.

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::domain::ids::OutboxId;
use crate::storage::notifications::OutboxRow;

pub enum Mailer {
    File(AsyncFileTransport<Tokio1Executor>),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl Mailer {
    /// `file:DIR`, `smtp://host:port` (plain) or `smtps://host:port` (TLS), as `ETRACK_MAIL` says.
    pub fn from_setting(setting: &str) -> Result<Mailer, String> {
        if let Some(dir) = setting.strip_prefix("file:") {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create the mail folder {dir}: {e}"))?;
            return Ok(Mailer::File(AsyncFileTransport::new(dir)));
        }
        let (tls, rest) = match setting.split_once("://") {
            Some(("smtp", rest)) => (false, rest),
            Some(("smtps", rest)) => (true, rest),
            _ => {
                return Err(format!(
                    "ETRACK_MAIL must be file:DIR, smtp://host:port or smtps://host:port, not {setting:?}"
                ));
            }
        };
        let rest = rest.trim_end_matches('/');
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) => (
                h,
                p.parse::<u16>()
                    .map_err(|_| format!("bad SMTP port in {setting:?}"))?,
            ),
            None => (rest, if tls { 465 } else { 25 }),
        };
        let transport = if tls {
            AsyncSmtpTransport::<Tokio1Executor>::relay(host)
                .map_err(|e| e.to_string())?
                .port(port)
                .build()
        } else {
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
                .port(port)
                .build()
        };
        Ok(Mailer::Smtp(transport))
    }

    /// Sends one outbox row. Its Message-ID is derived from the row, so a resend after a crash is
    /// recognisably the same message.
    pub async fn send(&self, from: &Mailbox, row: &OutboxRow) -> Result<(), String> {
        let address = row
            .recipient_email
            .parse()
            .map_err(|_| "the recipient address is not valid".to_owned())?;
        let to = Mailbox::new(Some(row.recipient_name.clone()), address);
        let message = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(row.subject.clone())
            .message_id(Some(message_id(&row.id)))
            .multipart(MultiPart::alternative_plain_html(
                row.body_text.clone(),
                row.body_html.clone(),
            ))
            .map_err(|e| e.to_string())?;
        match self {
            Mailer::File(t) => t.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
            Mailer::Smtp(t) => t.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
        }
    }
}

pub fn message_id(outbox_id: &OutboxId) -> String {
    format!("<{outbox_id}@e-track>")
}

/// The sender, from `ETRACK_MAIL_FROM`.
pub fn sender(setting: &str) -> Result<Mailbox, String> {
    setting
        .parse()
        .map_err(|_| format!("ETRACK_MAIL_FROM is not a mailbox: {setting:?}"))
}
