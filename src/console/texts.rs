//! The console's words in the four languages its readers use. Each entry is keyed by a stable
//! code; the contract statuses, actions and types reuse the codes the API speaks, so that one
//! word names one thing everywhere. A code missing here is shown as itself (a test keeps the
//! table complete).

use crate::domain::organization::Language;

/// (code, English, Arabic, French, Persian)
const WORDS: &[(&str, &str, &str, &str, &str)] = &[
    ("portal", "e-track", "إي-تراك", "e-track", "ای-ترک"),
    (
        "portal_long",
        "Pilgrim services contracts",
        "عقود خدمات الحجاج",
        "Contrats des services aux pèlerins",
        "قراردادهای خدمات زائران",
    ),
    ("sign_in", "Sign in", "تسجيل الدخول", "Se connecter", "ورود"),
    (
        "sign_out",
        "Sign out",
        "تسجيل الخروج",
        "Se déconnecter",
        "خروج",
    ),
    (
        "email",
        "Email",
        "البريد الإلكتروني",
        "Adresse e-mail",
        "ایمیل",
    ),
    (
        "password",
        "Password",
        "كلمة المرور",
        "Mot de passe",
        "گذرواژه",
    ),
    (
        "forgot_password",
        "Forgot your password?",
        "نسيتم كلمة المرور؟",
        "Mot de passe oublié ?",
        "گذرواژه را فراموش کرده‌اید؟",
    ),
    (
        "wrong_credentials",
        "Wrong email or password, or the account is not active.",
        "البريد أو كلمة المرور غير صحيحة، أو الحساب غير مفعّل.",
        "Adresse ou mot de passe incorrect, ou compte inactif.",
        "ایمیل یا گذرواژه نادرست است یا حساب فعال نیست.",
    ),
    (
        "wait_retry",
        "Too many attempts. Wait {n} seconds, then try again.",
        "محاولات كثيرة. انتظروا {n} ثانية ثم أعيدوا المحاولة.",
        "Trop de tentatives. Attendez {n} secondes puis réessayez.",
        "تلاش‌های زیاد. {n} ثانیه صبر کنید و دوباره تلاش کنید.",
    ),
    ("language", "Language", "اللغة", "Langue", "زبان"),
    (
        "home",
        "Dashboard",
        "لوحة المتابعة",
        "Tableau de bord",
        "پیشخوان",
    ),
    ("contracts", "Contracts", "العقود", "Contrats", "قراردادها"),
    (
        "new_contract",
        "New contract",
        "عقد جديد",
        "Nouveau contrat",
        "قرارداد جدید",
    ),
    (
        "readiness",
        "Readiness",
        "الجاهزية",
        "État de préparation",
        "آمادگی",
    ),
    (
        "notifications",
        "Notifications",
        "الإشعارات",
        "Notifications",
        "اعلان‌ها",
    ),
    ("profile", "Profile", "الملف الشخصي", "Profil", "نمایه"),
    (
        "api_docs",
        "API documentation",
        "توثيق الواجهة البرمجية",
        "Documentation de l’API",
        "مستندات API",
    ),
    (
        "skip",
        "Skip to content",
        "انتقل إلى المحتوى",
        "Aller au contenu",
        "رفتن به محتوا",
    ),
    (
        "signed_in_as",
        "Signed in as",
        "مسجّل باسم",
        "Connecté en tant que",
        "واردشده با نام",
    ),
    (
        "deadlines",
        "Filing deadlines",
        "مواعيد التقديم النهائية",
        "Dates limites de dépôt",
        "مهلت‌های ثبت",
    ),
    (
        "days_left",
        "{n} days left",
        "بقي {n} يوماً",
        "{n} jours restants",
        "{n} روز مانده",
    ),
    (
        "today_last",
        "Last day: today",
        "اليوم آخر يوم",
        "Dernier jour : aujourd’hui",
        "امروز آخرین روز است",
    ),
    ("closed", "Closed", "مغلق", "Clos", "بسته"),
    (
        "allocation",
        "Allocation",
        "الحصة المخصصة",
        "Allocation",
        "سهمیه",
    ),
    (
        "pilgrims_allocated",
        "pilgrims allocated",
        "حاجاً مخصصاً",
        "pèlerins alloués",
        "زائر تخصیص‌یافته",
    ),
    (
        "no_allocation",
        "No allocation in this season yet.",
        "لا توجد حصة مخصصة في هذا الموسم بعد.",
        "Pas encore d’allocation pour cette saison.",
        "هنوز سهمیه‌ای در این فصل ندارید.",
    ),
    ("season", "Season", "الموسم", "Saison", "فصل"),
    (
        "no_season",
        "No season is open.",
        "لا يوجد موسم مفتوح.",
        "Aucune saison n’est ouverte.",
        "هیچ فصلی باز نیست.",
    ),
    (
        "by_status",
        "Contracts by status",
        "العقود حسب الحالة",
        "Contrats par statut",
        "قراردادها بر اساس وضعیت",
    ),
    (
        "awaiting_you",
        "Awaiting your action",
        "بانتظار إجرائكم",
        "En attente de votre action",
        "در انتظار اقدام شما",
    ),
    ("see_all", "See all", "عرض الكل", "Tout voir", "نمایش همه"),
    ("filter", "Filter", "تصفية", "Filtrer", "پالایش"),
    ("search", "Search", "بحث", "Rechercher", "جستجو"),
    ("all", "All", "الكل", "Tous", "همه"),
    ("status", "Status", "الحالة", "Statut", "وضعیت"),
    ("type", "Type", "النوع", "Type", "نوع"),
    ("client", "Client", "العميل", "Client", "کارفرما"),
    (
        "provider",
        "Provider",
        "مقدم الخدمة",
        "Prestataire",
        "ارائه‌دهنده",
    ),
    (
        "facility",
        "Facility",
        "المرفق",
        "Installation",
        "مرکز خدمات",
    ),
    ("dates", "Dates", "التواريخ", "Dates", "تاریخ‌ها"),
    ("starts_on", "From", "من", "Du", "از"),
    ("ends_on", "To", "إلى", "Au", "تا"),
    ("units", "Units", "الوحدات", "Unités", "واحدها"),
    ("beds", "Beds", "الأسرّة", "Lits", "تخت‌ها"),
    ("seats", "Seats", "المقاعد", "Places", "صندلی‌ها"),
    (
        "meals_per_day",
        "Meals a day",
        "الوجبات يومياً",
        "Repas par jour",
        "وعده در روز",
    ),
    ("route", "Route", "المسار", "Trajet", "مسیر"),
    (
        "unit_price",
        "Unit price",
        "سعر الوحدة",
        "Prix unitaire",
        "قیمت واحد",
    ),
    ("total", "Total", "الإجمالي", "Total", "جمع کل"),
    (
        "price_hidden",
        "Not shown to your organisation",
        "لا يظهر لجهتكم",
        "Non visible pour votre organisation",
        "برای سازمان شما نمایش داده نمی‌شود",
    ),
    ("version", "Version", "الإصدار", "Version", "نسخه"),
    ("history", "History", "السجل", "Historique", "تاریخچه"),
    (
        "actions",
        "What you can do",
        "الإجراءات المتاحة لكم",
        "Ce que vous pouvez faire",
        "اقدام‌های شما",
    ),
    (
        "no_actions",
        "Nothing awaits you on this contract.",
        "لا يوجد إجراء مطلوب منكم على هذا العقد.",
        "Rien n’attend votre action sur ce contrat.",
        "اقدامی از شما در این قرارداد لازم نیست.",
    ),
    ("reason", "Reason", "السبب", "Motif", "دلیل"),
    (
        "reason_required",
        "Reason (required)",
        "السبب (مطلوب)",
        "Motif (obligatoire)",
        "دلیل (الزامی)",
    ),
    ("status_reason", "Why", "السبب", "Motif", "دلیل"),
    (
        "no_contracts",
        "No contracts match.",
        "لا توجد عقود مطابقة.",
        "Aucun contrat ne correspond.",
        "هیچ قراردادی یافت نشد.",
    ),
    (
        "next_page",
        "Next page",
        "الصفحة التالية",
        "Page suivante",
        "صفحهٔ بعد",
    ),
    (
        "first_page",
        "First page",
        "الصفحة الأولى",
        "Première page",
        "صفحهٔ اول",
    ),
    (
        "download_csv",
        "Download CSV",
        "تنزيل CSV",
        "Télécharger en CSV",
        "دریافت CSV",
    ),
    ("open", "Open", "فتح", "Ouvrir", "باز کردن"),
    (
        "save_draft",
        "Save as draft",
        "حفظ كمسودة",
        "Enregistrer le brouillon",
        "ذخیره به‌صورت پیش‌نویس",
    ),
    (
        "pick_facility",
        "Choose a facility",
        "اختاروا مرفقاً",
        "Choisissez une installation",
        "یک مرکز خدمات انتخاب کنید",
    ),
    (
        "free_capacity",
        "Free on every day of these dates",
        "المتاح في كل يوم من هذه التواريخ",
        "Libre chaque jour de ces dates",
        "ظرفیت آزاد در همهٔ روزهای این بازه",
    ),
    (
        "show_free",
        "Show free capacity",
        "عرض السعة المتاحة",
        "Afficher la capacité libre",
        "نمایش ظرفیت آزاد",
    ),
    ("of_capacity", "of {n}", "من {n}", "sur {n}", "از {n}"),
    (
        "form_errors",
        "Please correct the following:",
        "يرجى تصحيح ما يلي:",
        "Veuillez corriger ce qui suit :",
        "لطفاً موارد زیر را اصلاح کنید:",
    ),
    (
        "not_found",
        "Not found",
        "غير موجود",
        "Introuvable",
        "یافت نشد",
    ),
    (
        "not_found_text",
        "There is nothing here for you: the address is wrong, or the record is not yours to see.",
        "لا يوجد شيء هنا لكم: العنوان غير صحيح أو السجل ليس مما يحق لكم الاطلاع عليه.",
        "Il n’y a rien ici pour vous : l’adresse est erronée ou l’enregistrement ne vous est pas accessible.",
        "اینجا چیزی برای شما نیست: نشانی نادرست است یا اجازهٔ دیدن این سابقه را ندارید.",
    ),
    ("forbidden", "Refused", "مرفوض", "Refusé", "رد شد"),
    (
        "csrf_refused",
        "This form is out of date or did not come from e-track. Open the page again and resend it.",
        "هذا النموذج قديم أو لم يصدر عن إي-تراك. افتحوا الصفحة من جديد وأعيدوا الإرسال.",
        "Ce formulaire est périmé ou ne vient pas d’e-track. Rouvrez la page et renvoyez-le.",
        "این فرم کهنه است یا از ای-ترک نیامده است. صفحه را دوباره باز کنید و دوباره بفرستید.",
    ),
    ("back", "Back", "رجوع", "Retour", "بازگشت"),
    ("done", "Done.", "تم.", "C’est fait.", "انجام شد."),
    ("hijri", "Hijri", "هجري", "Hégire", "قمری"),
    ("by", "by", "بواسطة", "par", "توسط"),
    ("created", "Created", "أُنشئ", "Créé", "ایجاد شد"),
    ("updated", "Updated", "حُدِّث", "Mis à jour", "به‌روزرسانی"),
    ("gaps", "Gaps", "النواقص", "Lacunes", "کمبودها"),
    ("ready", "Ready", "جاهز", "Prêt", "آماده"),
    ("unread", "unread", "غير مقروء", "non lus", "خوانده‌نشده"),
    ("save", "Save", "حفظ", "Enregistrer", "ذخیره"),
    (
        "change_password",
        "Change password",
        "تغيير كلمة المرور",
        "Changer le mot de passe",
        "تغییر گذرواژه",
    ),
    // Contract types, statuses and actions: the API's own codes.
    ("housing", "Housing", "سكن", "Hébergement", "اسکان"),
    ("transport", "Transport", "نقل", "Transport", "حمل‌ونقل"),
    ("catering", "Catering", "إعاشة", "Restauration", "تغذیه"),
    ("draft", "Draft", "مسودة", "Brouillon", "پیش‌نویس"),
    (
        "pending_provider",
        "Awaiting the provider",
        "بانتظار مقدم الخدمة",
        "En attente du prestataire",
        "در انتظار ارائه‌دهنده",
    ),
    (
        "pending_review",
        "Awaiting the ministry",
        "بانتظار الوزارة",
        "En attente du ministère",
        "در انتظار وزارت",
    ),
    ("approved", "Approved", "معتمد", "Approuvé", "تأییدشده"),
    ("returned", "Returned", "مُعاد", "Renvoyé", "برگشت‌خورده"),
    (
        "declined",
        "Declined",
        "مرفوض من مقدم الخدمة",
        "Décliné",
        "ردشده توسط ارائه‌دهنده",
    ),
    ("rejected", "Rejected", "مرفوض", "Rejeté", "ردشده"),
    ("cancelled", "Cancelled", "ملغى", "Annulé", "لغوشده"),
    ("create", "Created", "إنشاء", "Création", "ایجاد"),
    ("edit", "Edited", "تعديل", "Modification", "ویرایش"),
    (
        "amend",
        "Amendment proposed",
        "اقتراح تعديل",
        "Avenant proposé",
        "پیشنهاد اصلاحیه",
    ),
    ("submit", "Submit", "تقديم", "Soumettre", "ارسال"),
    ("accept", "Accept", "قبول", "Accepter", "پذیرش"),
    ("decline", "Decline", "رفض", "Décliner", "رد"),
    ("approve", "Approve", "اعتماد", "Approuver", "تأیید"),
    (
        "return",
        "Return for changes",
        "إعادة للتعديل",
        "Renvoyer pour correction",
        "بازگرداندن برای اصلاح",
    ),
    ("reject", "Reject", "رفض نهائي", "Rejeter", "رد نهایی"),
    (
        "cancel",
        "Cancel the contract",
        "إلغاء العقد",
        "Annuler le contrat",
        "لغو قرارداد",
    ),
    ("makkah", "Makkah", "مكة المكرمة", "La Mecque", "مکه"),
    ("madinah", "Madinah", "المدينة المنورة", "Médine", "مدینه"),
    (
        "jed",
        "Jeddah airport",
        "مطار جدة",
        "Aéroport de Djeddah",
        "فرودگاه جده",
    ),
    (
        "med",
        "Madinah airport",
        "مطار المدينة",
        "Aéroport de Médine",
        "فرودگاه مدینه",
    ),
    ("mashaer", "Holy sites", "المشاعر", "Lieux saints", "مشاعر"),
    ("sar", "SAR", "ر.س", "SAR", "ریال سعودی"),
];

/// The word for `code` in `lang`; the code itself when the catalogue has none.
pub fn word(lang: Language, code: &str) -> &str {
    WORDS
        .iter()
        .find(|w| w.0 == code)
        .map(|w| match lang {
            Language::English => w.1,
            Language::Arabic => w.2,
            Language::French => w.3,
            Language::Persian => w.4,
        })
        .unwrap_or(code)
}

/// Every code in the catalogue (for its completeness test).
#[cfg(test)]
pub fn codes() -> impl Iterator<Item = &'static str> {
    WORDS.iter().map(|w| w.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_is_written_in_four_languages_and_codes_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for w in WORDS {
            assert!(seen.insert(w.0), "{} twice", w.0);
            for text in [w.1, w.2, w.3, w.4] {
                assert!(!text.trim().is_empty(), "{} has an empty text", w.0);
            }
        }
        for code in crate::domain::contract::ContractStatus::ALL {
            assert!(codes().any(|c| c == code.as_str()), "{code}");
        }
        for code in crate::domain::contract::Action::ALL {
            assert!(codes().any(|c| c == code.as_str()), "{code}");
        }
    }
}
