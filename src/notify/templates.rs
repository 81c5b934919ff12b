//! Every notification's words, in English and Arabic, in one place. A text without an Arabic
//! version falls back to English, never to an empty message.

use crate::domain::organization::Language;

/// What happened, for whom.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Template {
    ContractSubmitted,
    ContractAccepted,
    ContractDeclined,
    ContractApproved,
    ContractReturned,
    ContractRejected,
    ContractCancelled,
    InspectionFailed,
    DeadlineReminder,
    WebhookDisabled,
}

impl Template {
    pub const ALL: [Template; 10] = [
        Template::ContractSubmitted,
        Template::ContractAccepted,
        Template::ContractDeclined,
        Template::ContractApproved,
        Template::ContractReturned,
        Template::ContractRejected,
        Template::ContractCancelled,
        Template::InspectionFailed,
        Template::DeadlineReminder,
        Template::WebhookDisabled,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Template::ContractSubmitted => "contract_submitted",
            Template::ContractAccepted => "contract_accepted",
            Template::ContractDeclined => "contract_declined",
            Template::ContractApproved => "contract_approved",
            Template::ContractReturned => "contract_returned",
            Template::ContractRejected => "contract_rejected",
            Template::ContractCancelled => "contract_cancelled",
            Template::InspectionFailed => "inspection_failed",
            Template::DeadlineReminder => "deadline_reminder",
            Template::WebhookDisabled => "webhook_disabled",
        }
    }

    pub fn parse(key: &str) -> Option<Template> {
        Template::ALL.into_iter().find(|t| t.key() == key)
    }

    /// The subject line: English, and Arabic where written.
    fn subject(self) -> (&'static str, Option<&'static str>) {
        match self {
            Template::ContractSubmitted => (
                "New {type} contract from {client}",
                Some("عقد {type} جديد من {client}"),
            ),
            Template::ContractAccepted => (
                "{provider} accepted your {type} contract",
                Some("قبل {provider} عقد {type} الخاص بكم"),
            ),
            Template::ContractDeclined => (
                "{provider} declined your {type} contract",
                Some("رفض {provider} عقد {type} الخاص بكم"),
            ),
            Template::ContractApproved => (
                "The ministry approved the {type} contract",
                Some("اعتمدت الوزارة عقد {type}"),
            ),
            Template::ContractReturned => (
                "The ministry returned your {type} contract",
                Some("أعادت الوزارة عقد {type} الخاص بكم"),
            ),
            Template::ContractRejected => (
                "The ministry rejected the {type} contract",
                Some("رفضت الوزارة عقد {type}"),
            ),
            Template::ContractCancelled => {
                ("The {type} contract was cancelled", Some("ألغي عقد {type}"))
            }
            Template::InspectionFailed => (
                "Failed inspection: {facility}",
                Some("إخفاق في التفتيش: {facility}"),
            ),
            Template::WebhookDisabled => (
                "Webhook deliveries stopped after a day of failures",
                Some("توقف إرسال إشعارات الويب بعد يوم من الإخفاق"),
            ),
            Template::DeadlineReminder => (
                "{days} days left to file {type} contracts for {season}",
                Some("بقي {days_ar} على إغلاق تقديم عقود {type_the} لموسم {season}"),
            ),
        }
    }
}

fn label(key: &str, lang: Language) -> &'static str {
    let (en, ar) = match key {
        "contract" => ("Contract", "العقد"),
        "facility" => ("Facility", "المنشأة"),
        "client" => ("Client", "الجهة"),
        "provider" => ("Provider", "مزود الخدمة"),
        "status" => ("Status", "الحالة"),
        "dates" => ("Dates", "التواريخ"),
        "reason" => ("Reason", "السبب"),
        "link" => ("Open", "فتح"),
        "season" => ("Season", "الموسم"),
        "deadline" => ("Deadline", "الموعد النهائي"),
        "readiness" => ("Readiness", "الجاهزية"),
        "webhook" => ("Webhook", "إشعار الويب"),
        "webhook_disabled" => (
            "disabled: turn it back on once the receiver answers again",
            "موقوف: أعيدوا تفعيله حين يستجيب المستقبِل",
        ),
        "incomplete" => (
            "incomplete: some nights, trips or meals are not covered",
            "غير مكتملة: بعض الليالي أو التنقلات أو الوجبات غير مغطاة",
        ),
        "housing" => ("housing", "إسكان"),
        "transport" => ("transport", "نقل"),
        "catering" => ("catering", "إعاشة"),
        "housing_the" => ("housing", "الإسكان"),
        "transport_the" => ("transport", "النقل"),
        "catering_the" => ("catering", "الإعاشة"),
        "draft" => ("draft", "مسودة"),
        "pending_provider" => ("awaiting the provider", "بانتظار مزود الخدمة"),
        "pending_review" => ("awaiting the ministry's review", "بانتظار مراجعة الوزارة"),
        "approved" => ("approved", "معتمد"),
        "returned" => ("returned for changes", "معاد للتعديل"),
        "declined" => ("declined", "مرفوض من المزود"),
        "rejected" => ("rejected", "مرفوض"),
        "cancelled" => ("cancelled", "ملغى"),
        _ => ("", ""),
    };
    match lang {
        Language::Arabic if !ar.is_empty() => ar,
        _ => en,
    }
}

/// What a notification is about.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Params {
    pub contract_id: String,
    pub contract_type: String,
    pub status: String,
    pub facility: String,
    pub client: String,
    pub provider: String,
    /// The same names in Arabic, for Arabic readers (empty where none was given).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub facility_ar: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub client_ar: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub provider_ar: String,
    pub dates: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Where to see it.
    pub link: String,
    /// Reminders: the season and the days left before the deadline.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub season: String,
    #[serde(default)]
    pub days_left: i64,
    /// A webhook's target URL.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub target: String,
}

/// A rendered message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A name in the reader's language: the Arabic one for Arabic readers, where there is one.
fn named<'a>(name: &'a str, arabic: &'a str, lang: Language) -> &'a str {
    match lang {
        Language::Arabic if !arabic.is_empty() => arabic,
        _ => name,
    }
}

/// "n days" as Arabic says it: يوم واحد، يومان، 3-10 أيام، 11 يوماً فأكثر.
fn arabic_days(n: i64) -> String {
    match n {
        1 => "يوم واحد".to_owned(),
        2 => "يومان".to_owned(),
        3..=10 => format!("{n} أيام"),
        _ => format!("{n} يوماً"),
    }
}

fn fill(pattern: &str, params: &Params, lang: Language) -> String {
    pattern
        .replace("{type}", label(&params.contract_type, lang))
        .replace(
            "{type_the}",
            label(&format!("{}_the", params.contract_type), lang),
        )
        .replace("{days_ar}", &arabic_days(params.days_left))
        .replace("{client}", named(&params.client, &params.client_ar, lang))
        .replace(
            "{provider}",
            named(&params.provider, &params.provider_ar, lang),
        )
        .replace(
            "{facility}",
            named(&params.facility, &params.facility_ar, lang),
        )
        .replace("{season}", &params.season)
        .replace(
            "{days} days",
            &if params.days_left == 1 {
                "1 day".to_owned()
            } else {
                format!("{} days", params.days_left)
            },
        )
        .replace("{days}", &params.days_left.to_string())
}

/// HTML-escapes text that users wrote (names, reasons).
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

pub fn render(template: Template, params: &Params, lang: Language) -> Rendered {
    let (en, ar) = template.subject();
    let pattern = match (lang, ar) {
        (Language::Arabic, Some(ar)) => ar,
        _ => en,
    };
    // Subjects are one line: whatever a name holds, no line break reaches the header.
    let subject: String = fill(pattern, params, lang)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut lines: Vec<(&str, String)> = if template == Template::WebhookDisabled {
        vec![
            ("webhook", params.target.clone()),
            ("status", label("webhook_disabled", lang).to_owned()),
        ]
    } else if template == Template::DeadlineReminder {
        vec![
            ("season", params.season.clone()),
            ("deadline", params.dates.clone()),
            ("readiness", label("incomplete", lang).to_owned()),
        ]
    } else {
        vec![
            ("contract", params.contract_id.clone()),
            (
                "facility",
                named(&params.facility, &params.facility_ar, lang).to_owned(),
            ),
            (
                "client",
                named(&params.client, &params.client_ar, lang).to_owned(),
            ),
            (
                "provider",
                named(&params.provider, &params.provider_ar, lang).to_owned(),
            ),
            ("dates", params.dates.clone()),
            ("status", label(&params.status, lang).to_owned()),
        ]
    };
    if let Some(reason) = &params.reason {
        lines.push(("reason", reason.clone()));
    }
    let mut text = format!("{subject}\n\n");
    let mut rows = String::new();
    for (key, value) in &lines {
        text.push_str(&format!("{}: {value}\n", label(key, lang)));
        rows.push_str(&format!(
            "<tr><th>{}</th><td>{}</td></tr>",
            escape(label(key, lang)),
            escape(value)
        ));
    }
    text.push_str(&format!("\n{}: {}\n", label("link", lang), params.link));
    let (dir, code) = match lang {
        Language::Arabic => ("rtl", "ar"),
        _ => ("ltr", "en"),
    };
    let html = format!(
        "<!DOCTYPE html><html lang=\"{code}\" dir=\"{dir}\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><h1>{title}</h1><table>{rows}</table><p><a href=\"{link}\">{open}</a></p></body></html>",
        title = escape(&subject),
        link = escape(&params.link),
        open = escape(label("link", lang)),
    );
    Rendered {
        subject,
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> Params {
        Params {
            contract_id: "c1".into(),
            contract_type: "housing".into(),
            status: "returned".into(),
            facility: "Tower <1>".into(),
            client: "Office \"A\"\r\nBcc: evil@example.com".into(),
            provider: "Safwa & Co".into(),
            dates: "2027-05-10 – 2027-05-12".into(),
            reason: Some("<script>alert(1)</script>".into()),
            link: "http://127.0.0.1:8080/contracts/c1".into(),
            season: "Hajj 1448".into(),
            days_left: 7,
            ..Params::default()
        }
    }

    #[test]
    fn arabic_readers_get_arabic_names_and_natural_numbers() {
        let mut p = params();
        p.client = "Nusantara Travel".into();
        p.client_ar = "نوسانتارا للسفر".into();
        let ar = render(Template::ContractSubmitted, &p, Language::Arabic);
        assert!(ar.subject.contains("نوسانتارا للسفر"), "{}", ar.subject);
        let en = render(Template::ContractSubmitted, &p, Language::English);
        assert!(en.subject.contains("Nusantara Travel"));
        // Without an Arabic name, the name as given.
        p.client_ar.clear();
        let ar = render(Template::ContractSubmitted, &p, Language::Arabic);
        assert!(ar.subject.contains("Nusantara Travel"));
        for (days, words) in [
            (1, "يوم واحد"),
            (2, "يومان"),
            (7, "7 أيام"),
            (14, "14 يوماً"),
        ] {
            p.days_left = days;
            p.contract_type = "housing".into();
            let reminder = render(Template::DeadlineReminder, &p, Language::Arabic);
            assert!(reminder.subject.contains(words), "{}", reminder.subject);
            assert!(reminder.subject.contains("الإسكان"), "{}", reminder.subject);
        }
    }

    #[test]
    fn every_template_has_both_languages() {
        for t in Template::ALL {
            assert_eq!(Template::parse(t.key()), Some(t));
            for lang in [Language::English, Language::Arabic] {
                let r = render(t, &params(), lang);
                assert!(!r.subject.trim().is_empty() && !r.text.is_empty() && !r.html.is_empty());
            }
            assert!(t.subject().1.is_some(), "{t:?} has an Arabic subject");
        }
    }

    #[test]
    fn arabic_mail_reads_right_to_left() {
        let r = render(Template::ContractReturned, &params(), Language::Arabic);
        assert!(r.html.contains("dir=\"rtl\"") && r.html.contains("lang=\"ar\""));
        assert!(r.subject.contains("إسكان"));
        assert!(r.text.contains("معاد للتعديل"));
    }

    #[test]
    fn user_text_is_escaped_and_cannot_break_headers() {
        let r = render(Template::ContractSubmitted, &params(), Language::English);
        assert!(!r.subject.contains('\r') && !r.subject.contains('\n'));
        assert!(!r.html.contains("<script>") && r.html.contains("&lt;script&gt;"));
        assert!(r.html.contains("Safwa &amp; Co"));
    }

    #[test]
    fn missing_arabic_falls_back_to_english() {
        assert_eq!(label("contract", Language::Arabic), "العقد");
        assert_eq!(label("unknown-key", Language::Arabic), "");
        let (en, _) = Template::ContractApproved.subject();
        assert!(en.starts_with("The ministry"));
    }
}
