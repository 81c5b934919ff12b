//! Emails about one's own account: an invitation to set a first password, and a link to reset a
//! forgotten one. Each goes to one person, in their language, through the same outbox as every
//! other email (written in the transaction that issued the link), and belongs to no inbox.

use crate::domain::organization::Language;
use crate::storage::models::UserRow;
use crate::storage::{DbConnection, QueryResult};

use super::templates::{Rendered, escape};

/// Which account email.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountMail {
    /// An admin created the account: set a first password.
    Invitation,
    /// Someone asked to reset the password.
    Reset,
}

/// The words of an account email, for `user` of `organization`, with its `link` valid `hours`.
pub fn render(
    mail: AccountMail,
    lang: Language,
    organization: &str,
    email: &str,
    link: &str,
    hours: i64,
) -> Rendered {
    let (subject, body, action) = match (mail, lang) {
        (AccountMail::Invitation, Language::Arabic) => (
            "دعوة إلى منصة e-track".to_owned(),
            format!(
                "أنشأت {organization} حساباً لكم في منصة e-track باسم المستخدم {email}. \
                 عيّنوا كلمة المرور عبر الرابط أدناه خلال {hours} ساعة؛ يعمل الرابط مرة واحدة. \
                 إن لم تتوقعوا هذه الرسالة فتجاهلوها."
            ),
            "تعيين كلمة المرور",
        ),
        (AccountMail::Invitation, Language::French) => (
            "Vous êtes invité sur e-track".to_owned(),
            format!(
                "{organization} vous a créé un compte e-track, avec l’identifiant {email}. \
                 Choisissez votre mot de passe avec le lien ci-dessous dans les {hours} heures ; \
                 il ne sert qu’une fois. Si vous n’attendiez pas ce message, ignorez-le."
            ),
            "Choisir mon mot de passe",
        ),
        (AccountMail::Invitation, Language::Persian) => (
            "دعوت به e-track".to_owned(),
            format!(
                "{organization} برای شما در e-track حسابی با نام کاربری {email} ساخته است. \
                 گذرواژهٔ خود را تا {hours} ساعت دیگر با پیوند زیر تعیین کنید؛ پیوند فقط یک بار کار می‌کند. \
                 اگر انتظار این پیام را نداشتید، آن را نادیده بگیرید."
            ),
            "تعیین گذرواژه",
        ),
        (AccountMail::Invitation, Language::English) => (
            "You are invited to e-track".to_owned(),
            format!(
                "{organization} created an e-track account for you, signing in as {email}. \
                 Set your password with the link below within {hours} hours; it works once. \
                 If you did not expect this email, ignore it."
            ),
            "Set your password",
        ),
        (AccountMail::Reset, Language::Arabic) => (
            "إعادة تعيين كلمة المرور في e-track".to_owned(),
            format!(
                "طُلبت إعادة تعيين كلمة المرور لحسابكم في e-track ({email}). \
                 عيّنوا كلمة مرور جديدة عبر الرابط أدناه خلال {hours} ساعة؛ يعمل الرابط مرة واحدة. \
                 إن لم تطلبوا ذلك فتجاهلوا هذه الرسالة، وتبقى كلمة المرور كما هي."
            ),
            "تعيين كلمة مرور جديدة",
        ),
        (AccountMail::Reset, Language::French) => (
            "Réinitialisez votre mot de passe e-track".to_owned(),
            format!(
                "Quelqu’un a demandé à réinitialiser le mot de passe de votre compte e-track ({email}). \
                 Choisissez-en un nouveau avec le lien ci-dessous dans les {hours} heures ; il ne sert \
                 qu’une fois. Si ce n’était pas vous, ignorez ce message : votre mot de passe ne change pas."
            ),
            "Choisir un nouveau mot de passe",
        ),
        (AccountMail::Reset, Language::Persian) => (
            "بازنشانی گذرواژهٔ e-track".to_owned(),
            format!(
                "کسی خواسته است گذرواژهٔ حساب e-track شما ({email}) بازنشانی شود. \
                 تا {hours} ساعت دیگر با پیوند زیر گذرواژهٔ تازه‌ای تعیین کنید؛ پیوند فقط یک بار کار می‌کند. \
                 اگر شما نبودید، این پیام را نادیده بگیرید: گذرواژهٔ شما تغییر نمی‌کند."
            ),
            "تعیین گذرواژهٔ تازه",
        ),
        (AccountMail::Reset, Language::English) => (
            "Reset your e-track password".to_owned(),
            format!(
                "Someone asked to reset the password of your e-track account ({email}). \
                 Set a new one with the link below within {hours} hours; it works once. \
                 If it was not you, ignore this email: your password stays as it is."
            ),
            "Set a new password",
        ),
    };
    let (dir, code) = (super::templates::direction(lang), lang.as_str());
    let text = format!("{subject}\n\n{body}\n\n{action}: {link}\n");
    let html = format!(
        "<!DOCTYPE html><html lang=\"{code}\" dir=\"{dir}\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><h1>{title}</h1><p>{body}</p><p><a href=\"{link}\">{action}</a></p></body></html>",
        title = escape(&subject),
        body = escape(&body),
        link = escape(link),
        action = escape(action),
    );
    Rendered {
        subject,
        text,
        html,
    }
}

/// Queues the email for `user`, in the user's language.
pub fn send(
    conn: &mut DbConnection,
    mail: AccountMail,
    user: &UserRow,
    organization: &str,
    token: &str,
    hours: i64,
) -> QueryResult<()> {
    let lang = user.language;
    let link = super::link(&format!("/password?token={token}"));
    let message = render(mail, lang, organization, &user.email, &link, hours);
    super::queue(
        conn,
        None,
        (
            user.email.clone(),
            user.full_name.clone(),
            lang.as_str().to_owned(),
        ),
        message,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_mails_speak_four_languages_and_escape() {
        for mail in [AccountMail::Invitation, AccountMail::Reset] {
            let ar = render(
                mail,
                Language::Arabic,
                "<Office>",
                "a@b.sa",
                "https://x/p?token=t",
                72,
            );
            assert!(ar.html.contains("dir=\"rtl\""));
            if mail == AccountMail::Invitation {
                assert!(ar.html.contains("&lt;Office&gt;") && !ar.html.contains("<Office>"));
            }
            assert!(ar.text.contains("https://x/p?token=t"));
            let en = render(
                mail,
                Language::English,
                "Office",
                "a@b.sa",
                "https://x/p?token=t",
                1,
            );
            assert!(en.html.contains("dir=\"ltr\"") && en.text.contains("a@b.sa"));
            assert_ne!(ar.subject, en.subject);
            let fr = render(mail, Language::French, "Office", "a@b.sa", "https://x", 1);
            let fa = render(mail, Language::Persian, "Office", "a@b.sa", "https://x", 1);
            assert!(fr.html.contains("lang=\"fr\" dir=\"ltr\""), "{}", fr.html);
            assert!(fa.html.contains("lang=\"fa\" dir=\"rtl\""), "{}", fa.html);
            assert!(fr.text.contains("a@b.sa") && fa.text.contains("a@b.sa"));
            for other in [&en.subject, &ar.subject, &fa.subject] {
                assert_ne!(&fr.subject, other);
            }
        }
    }
}
