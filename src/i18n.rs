//! The message catalogue: every problem and field message a caller reads, in English, Arabic,
//! French and Persian, keyed by stable codes. Codes never change; texts may.

use actix_web::http::header::ACCEPT_LANGUAGE;
use actix_web::{HttpMessage, HttpRequest};

use crate::domain::organization::Language;

/// The signed-in user's saved language, as its access token carries it (put on the request by the
/// credentials extractor): the language of its answers when it asks for none.
#[derive(Clone, Copy, Debug)]
pub struct SavedLanguage(pub Language);

/// The language of a request: the one `Accept-Language` asks for (`ar` or `en`), else the signed-in
/// user's saved one, else English.
pub fn request_language(req: &HttpRequest) -> Language {
    asked_language(req)
        .or_else(|| req.extensions().get::<SavedLanguage>().map(|l| l.0))
        .unwrap_or(Language::English)
}

/// The language `Accept-Language` asks for, if it names one the portal speaks.
pub fn asked_language(req: &HttpRequest) -> Option<Language> {
    req.headers()
        .get(ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(accepted_language)
}

/// Picks the supported language with the highest quality; ties go to the first listed.
pub fn parse_accept_language(header: &str) -> Language {
    accepted_language(header).unwrap_or(Language::English)
}

/// The supported language with the highest quality, if any.
fn accepted_language(header: &str) -> Option<Language> {
    let mut best: Option<(f32, Language)> = None;
    for part in header.split(',') {
        let mut pieces = part.split(';');
        let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
        let quality = pieces
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let primary = tag.split('-').next().unwrap_or("");
        let lang = match primary {
            "ar" => Language::Arabic,
            "en" => Language::English,
            "fr" => Language::French,
            "fa" => Language::Persian,
            _ => continue,
        };
        if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
            best = Some((quality, lang));
        }
    }
    best.map(|(_, l)| l)
}

struct Problem {
    code: &'static str,
    en: (&'static str, &'static str),
    ar: (&'static str, &'static str),
    fr: (&'static str, &'static str),
    fa: (&'static str, &'static str),
}

const PROBLEMS: &[Problem] = &[
    Problem {
        code: "malformed_csv",
        en: ("Malformed CSV", "The body is not UTF-8 text."),
        ar: ("CSV غير صالح", "المحتوى ليس نصاً بترميز UTF-8."),
        fr: ("CSV mal formé", "Le corps n’est pas du texte UTF-8."),
        fa: ("CSV نادرست", "بدنه متن UTF-8 نیست."),
    },
    Problem {
        code: "malformed_json",
        en: ("Malformed JSON", "The request body is not valid JSON."),
        ar: ("صيغة JSON غير صحيحة", "محتوى الطلب ليس بصيغة JSON صحيحة."),
        fr: (
            "JSON mal formé",
            "Le corps de la requête n’est pas un JSON valide.",
        ),
        fa: ("JSON نادرست", "بدنهٔ درخواست JSON معتبری نیست."),
    },
    Problem {
        code: "invalid_query",
        en: (
            "Invalid query",
            "A query parameter is missing, malformed or out of range.",
        ),
        ar: (
            "معاملات الاستعلام غير صحيحة",
            "أحد معاملات الاستعلام مفقود أو غير صحيح أو خارج النطاق.",
        ),
        fr: (
            "Requête invalide",
            "Un paramètre de la requête manque, est mal formé ou hors limites.",
        ),
        fa: (
            "پرس‌وجوی نامعتبر",
            "یکی از پارامترهای پرس‌وجو وجود ندارد، نادرست است یا خارج از محدوده است.",
        ),
    },
    Problem {
        code: "invalid_header",
        en: ("Invalid header", "A request header is malformed."),
        ar: ("ترويسة غير صحيحة", "إحدى ترويسات الطلب غير صحيحة."),
        fr: (
            "En-tête invalide",
            "Un en-tête de la requête est mal formé.",
        ),
        fa: ("سرآیند نامعتبر", "یکی از سرآیندهای درخواست نادرست است."),
    },
    Problem {
        code: "unauthorized",
        en: (
            "Authentication required",
            "The credentials are missing, invalid, expired or revoked.",
        ),
        ar: (
            "المصادقة مطلوبة",
            "بيانات الاعتماد مفقودة أو غير صحيحة أو منتهية أو ملغاة.",
        ),
        fr: (
            "Authentification requise",
            "Les identifiants manquent, sont invalides, expirés ou révoqués.",
        ),
        fa: (
            "احراز هویت لازم است",
            "اطلاعات ورود وجود ندارد، نامعتبر است، منقضی شده یا باطل شده است.",
        ),
    },
    Problem {
        code: "invalid_credentials",
        en: (
            "Invalid credentials",
            "The email address or the password is wrong.",
        ),
        ar: (
            "بيانات الدخول غير صحيحة",
            "البريد الإلكتروني أو كلمة المرور غير صحيحة.",
        ),
        fr: (
            "Identifiants invalides",
            "L’adresse e-mail ou le mot de passe est incorrect.",
        ),
        fa: ("اطلاعات ورود نادرست", "ایمیل یا گذرواژه نادرست است."),
    },
    Problem {
        code: "forbidden",
        en: ("Not allowed", "Your role does not allow this action."),
        ar: ("غير مسموح", "دورك لا يسمح بهذا الإجراء."),
        fr: ("Non autorisé", "Votre rôle ne permet pas cette action."),
        fa: ("مجاز نیست", "نقش شما اجازهٔ این کار را نمی‌دهد."),
    },
    Problem {
        code: "not_found",
        en: ("Not found", "There is no such resource."),
        ar: ("غير موجود", "المورد المطلوب غير موجود."),
        fr: ("Introuvable", "Cette ressource n’existe pas."),
        fa: ("یافت نشد", "چنین منبعی وجود ندارد."),
    },
    Problem {
        code: "method_not_allowed",
        en: (
            "Method not allowed",
            "This resource does not accept that method.",
        ),
        ar: ("الطريقة غير مسموحة", "هذا المورد لا يقبل هذه الطريقة."),
        fr: (
            "Méthode non autorisée",
            "Cette ressource n’accepte pas cette méthode.",
        ),
        fa: ("روش مجاز نیست", "این منبع این روش را نمی‌پذیرد."),
    },
    Problem {
        code: "email_taken",
        en: (
            "Email already registered",
            "Another user already has this email address.",
        ),
        ar: (
            "البريد الإلكتروني مسجل",
            "يوجد مستخدم آخر بهذا البريد الإلكتروني.",
        ),
        fr: (
            "Adresse déjà enregistrée",
            "Un autre utilisateur a déjà cette adresse e-mail.",
        ),
        fa: (
            "ایمیل قبلاً ثبت شده است",
            "کاربر دیگری همین نشانی ایمیل را دارد.",
        ),
    },
    Problem {
        code: "office_exists",
        en: (
            "Office already exists",
            "This country already has a hajj affairs office.",
        ),
        ar: ("المكتب موجود", "لهذه الدولة مكتب شؤون حجاج بالفعل."),
        fr: (
            "Le bureau existe déjà",
            "Ce pays a déjà un bureau des affaires du hajj.",
        ),
        fa: (
            "دفتر از قبل وجود دارد",
            "این کشور از قبل یک دفتر امور حج دارد.",
        ),
    },
    Problem {
        code: "self_lockout",
        en: (
            "Cannot lock yourself out",
            "You cannot deactivate, demote or suspend your own account or organisation.",
        ),
        ar: (
            "لا يمكنك إيقاف حسابك",
            "لا يمكنك تعطيل حسابك أو منظمتك أو خفض صلاحياتك بنفسك.",
        ),
        fr: (
            "Impossible de vous exclure vous-même",
            "Vous ne pouvez pas désactiver, rétrograder ou suspendre votre propre compte ou organisation.",
        ),
        fa: (
            "نمی‌توانید خودتان را مسدود کنید",
            "نمی‌توانید حساب یا سازمان خودتان را غیرفعال، تنزل یا تعلیق کنید.",
        ),
    },
    Problem {
        code: "own_password",
        en: (
            "Change your own password with your current one",
            "Your own password changes through POST /me/password, which asks for the current password.",
        ),
        ar: (
            "غيّر كلمة مرورك بكلمة المرور الحالية",
            "تتغير كلمة مرورك عبر POST /me/password الذي يطلب كلمة المرور الحالية.",
        ),
        fr: (
            "Changez votre mot de passe avec l’actuel",
            "Votre propre mot de passe se change par POST /me/password, qui demande le mot de passe actuel.",
        ),
        fa: (
            "گذرواژهٔ خود را با گذرواژهٔ فعلی تغییر دهید",
            "گذرواژهٔ خودتان از راه POST /me/password تغییر می‌کند که گذرواژهٔ فعلی را می‌خواهد.",
        ),
    },
    Problem {
        code: "wrong_organization_kind",
        en: (
            "Wrong kind of organisation",
            "This setting does not apply to this kind of organisation.",
        ),
        ar: (
            "نوع المنظمة غير مناسب",
            "هذا الإعداد لا ينطبق على هذا النوع من المنظمات.",
        ),
        fr: (
            "Mauvais type d’organisation",
            "Ce réglage ne s’applique pas à ce type d’organisation.",
        ),
        fa: (
            "نوع سازمان نادرست",
            "این تنظیم برای این نوع سازمان کاربرد ندارد.",
        ),
    },
    Problem {
        code: "season_exists",
        en: (
            "Season already exists",
            "There is already a season of this kind for this Hijri year.",
        ),
        ar: ("الموسم موجود", "يوجد موسم من هذا النوع لهذه السنة الهجرية."),
        fr: (
            "La saison existe déjà",
            "Il existe déjà une saison de ce type pour cette année hégirienne.",
        ),
        fa: (
            "فصل از قبل وجود دارد",
            "برای این سال هجری قمری از قبل فصلی از این نوع وجود دارد.",
        ),
    },
    Problem {
        code: "capacity_exceeded",
        en: (
            "Capacity exceeded",
            "The facility has not enough free capacity on some day of the contract.",
        ),
        ar: (
            "السعة غير كافية",
            "لا توجد سعة كافية في المنشأة في أحد أيام العقد.",
        ),
        fr: (
            "Capacité dépassée",
            "L’établissement n’a pas assez de capacité libre sur un des jours du contrat.",
        ),
        fa: (
            "ظرفیت کافی نیست",
            "ظرفیت آزاد مرکز در یکی از روزهای قرارداد کافی نیست.",
        ),
    },
    Problem {
        code: "quota_exceeded",
        en: (
            "Quota exceeded",
            "This would exceed the pilgrims allocated (the country's quota, the office's allocation or the client's own).",
        ),
        ar: (
            "تجاوز الحصة",
            "هذا يتجاوز عدد الحجاج المخصص (حصة الدولة أو تخصيص المكتب أو تخصيص الجهة).",
        ),
        fr: (
            "Quota dépassé",
            "Cela dépasserait les pèlerins attribués (le quota du pays, l’attribution du bureau ou celle du client).",
        ),
        fa: (
            "سهمیه بیش از حد",
            "این کار از تعداد زائران تخصیص‌یافته (سهمیهٔ کشور، تخصیص دفتر یا تخصیص خود متقاضی) بیشتر می‌شود.",
        ),
    },
    Problem {
        code: "deadline_passed",
        en: (
            "Deadline passed",
            "The filing deadline for this contract type has passed and no extension covers today.",
        ),
        ar: (
            "انتهى الموعد النهائي",
            "انتهى الموعد النهائي لتقديم هذا النوع من العقود ولا يوجد تمديد ساري.",
        ),
        fr: (
            "Date limite dépassée",
            "La date limite de dépôt de ce type de contrat est passée et aucune prolongation ne couvre aujourd’hui.",
        ),
        fa: (
            "مهلت گذشته است",
            "مهلت ثبت این نوع قرارداد گذشته و هیچ تمدیدی امروز را پوشش نمی‌دهد.",
        ),
    },
    Problem {
        code: "invalid_transition",
        en: (
            "Not possible now",
            "The contract is not in a state that allows this action.",
        ),
        ar: ("غير ممكن الآن", "حالة العقد لا تسمح بهذا الإجراء."),
        fr: (
            "Impossible pour le moment",
            "Le contrat n’est pas dans un état qui permet cette action.",
        ),
        fa: (
            "اکنون ممکن نیست",
            "قرارداد در وضعیتی نیست که این اقدام را اجازه دهد.",
        ),
    },
    Problem {
        code: "no_allocation",
        en: (
            "No allocation",
            "The client holds no allocation of pilgrims in this season.",
        ),
        ar: (
            "لا يوجد تخصيص",
            "لا يوجد للجهة تخصيص من الحجاج في هذا الموسم.",
        ),
        fr: (
            "Aucune attribution",
            "Le client n’a aucune attribution de pèlerins pour cette saison.",
        ),
        fa: (
            "تخصیصی وجود ندارد",
            "متقاضی در این فصل هیچ تخصیص زائری ندارد.",
        ),
    },
    Problem {
        code: "no_quota",
        en: (
            "No quota",
            "The country (or the office) has no quota in this season to allocate from.",
        ),
        ar: (
            "لا توجد حصة",
            "لا توجد حصة للدولة أو للمكتب في هذا الموسم للتخصيص منها.",
        ),
        fr: (
            "Aucun quota",
            "Le pays (ou le bureau) n’a pas de quota pour cette saison à partir duquel attribuer.",
        ),
        fa: (
            "سهمیه‌ای وجود ندارد",
            "کشور (یا دفتر) در این فصل سهمیه‌ای برای تخصیص ندارد.",
        ),
    },
    Problem {
        code: "allocation_in_use",
        en: (
            "Allocation in use",
            "The allocation cannot go below what is passed on to agencies or held by contracts.",
        ),
        ar: (
            "التخصيص مستخدم",
            "لا يمكن أن يقل التخصيص عما وزع على الشركات أو حجزته العقود.",
        ),
        fr: (
            "Attribution utilisée",
            "L’attribution ne peut descendre sous ce qui est transmis aux agences ou retenu par des contrats.",
        ),
        fa: (
            "تخصیص در حال استفاده است",
            "تخصیص نمی‌تواند از مقداری که به دفاتر خدمات سپرده شده یا در قراردادها نگه داشته شده کمتر شود.",
        ),
    },
    Problem {
        code: "below_allocated",
        en: (
            "Below allocated",
            "The quota cannot go below what is already allocated to the country's office.",
        ),
        ar: (
            "أقل من المخصص",
            "لا يمكن أن تقل الحصة عما خصص بالفعل لمكتب الدولة.",
        ),
        fr: (
            "Inférieur à l’attribué",
            "Le quota ne peut descendre sous ce qui est déjà attribué au bureau du pays.",
        ),
        fa: (
            "کمتر از مقدار تخصیص‌یافته",
            "سهمیه نمی‌تواند از مقداری که به دفتر کشور تخصیص یافته کمتر شود.",
        ),
    },
    Problem {
        code: "licence_exists",
        en: (
            "Licence already registered",
            "A facility of this kind with this licence number is already registered.",
        ),
        ar: ("الترخيص مسجل", "توجد منشأة من هذا النوع بنفس رقم الترخيص."),
        fr: (
            "Licence déjà enregistrée",
            "Un établissement de ce type avec ce numéro de licence est déjà enregistré.",
        ),
        fa: (
            "پروانه قبلاً ثبت شده است",
            "مرکزی از این نوع با این شمارهٔ پروانه از قبل ثبت شده است.",
        ),
    },
    Problem {
        code: "capacity_in_use",
        en: (
            "Capacity in use",
            "The capacity cannot go below what contracts hold on some day.",
        ),
        ar: (
            "السعة مستخدمة",
            "لا يمكن أن تقل السعة عما تحجزه العقود في أحد الأيام.",
        ),
        fr: (
            "Capacité utilisée",
            "La capacité ne peut descendre sous ce que retiennent des contrats sur un des jours.",
        ),
        fa: (
            "ظرفیت در حال استفاده است",
            "ظرفیت نمی‌تواند از مقداری که قراردادها در یکی از روزها نگه داشته‌اند کمتر شود.",
        ),
    },
    Problem {
        code: "too_many_subscriptions",
        en: (
            "Too many webhooks",
            "An organisation keeps at most ten webhooks; remove one first.",
        ),
        ar: (
            "عدد إشعارات الويب كبير",
            "تحتفظ الجهة بعشرة إشعارات ويب على الأكثر؛ احذفوا أحدها أولاً.",
        ),
        fr: (
            "Trop de webhooks",
            "Une organisation garde au plus dix webhooks ; supprimez-en un d’abord.",
        ),
        fa: (
            "وب‌هوک‌ها بیش از حد است",
            "هر سازمان حداکثر ده وب‌هوک دارد؛ نخست یکی را حذف کنید.",
        ),
    },
    Problem {
        code: "amendment_open",
        en: (
            "Amendment pending",
            "This contract already has an amendment awaiting decision.",
        ),
        ar: ("يوجد تعديل معلق", "لهذا العقد تعديل بانتظار القرار."),
        fr: (
            "Avenant en cours",
            "Ce contrat a déjà un avenant en attente de décision.",
        ),
        fa: (
            "اصلاحیهٔ باز",
            "این قرارداد از قبل اصلاحیه‌ای در انتظار تصمیم دارد.",
        ),
    },
    Problem {
        code: "idempotency_key_reused",
        en: (
            "Idempotency key reused",
            "This Idempotency-Key was already used with a different request body.",
        ),
        ar: (
            "مفتاح مكرر",
            "استخدم مفتاح Idempotency-Key هذا مع محتوى طلب مختلف.",
        ),
        fr: (
            "Clé d’idempotence réutilisée",
            "Cette Idempotency-Key a déjà servi avec un autre corps de requête.",
        ),
        fa: (
            "کلید یکتایی دوباره به کار رفته است",
            "این Idempotency-Key قبلاً با بدنهٔ درخواست دیگری به کار رفته است.",
        ),
    },
    Problem {
        code: "malformed_multipart",
        en: (
            "Malformed upload",
            "The body is not a readable multipart/form-data upload.",
        ),
        ar: (
            "رفع غير صالح",
            "المحتوى ليس رفعاً مقروءاً بصيغة multipart/form-data.",
        ),
        fr: (
            "Envoi mal formé",
            "Le corps n’est pas un envoi multipart/form-data lisible.",
        ),
        fa: (
            "بارگذاری نادرست",
            "بدنه یک بارگذاری multipart/form-data خوانا نیست.",
        ),
    },
    Problem {
        code: "record_documents_full",
        en: (
            "No room for more documents",
            "This record carries as many documents as it may (50, and 50 MiB together). Withdraw one first.",
        ),
        ar: (
            "لا مجال لمستندات أخرى",
            "يحمل هذا السجل الحد الأقصى من المستندات (50 مستنداً و50 ميغابايت معاً). اسحب أحدها أولاً.",
        ),
        fr: (
            "Plus de place pour des documents",
            "Cet enregistrement porte autant de documents qu’il le peut (50, et 50 Mio en tout). Retirez-en un d’abord.",
        ),
        fa: (
            "جایی برای سند دیگر نیست",
            "این رکورد بیشترین شمار سند مجاز را دارد (50 سند و روی هم 50 مگابایت). ابتدا یکی را پس بگیرید.",
        ),
    },
    Problem {
        code: "documents_missing",
        en: (
            "Documents missing",
            "The season's rule needs documents this submission lacks, valid over the contract's dates, on the contract or its facility: see missing_documents.",
        ),
        ar: (
            "مستندات ناقصة",
            "تشترط قواعد الموسم مستندات لا يتضمنها هذا التقديم، سارية طوال مدة العقد، على العقد أو منشأته: انظر missing_documents.",
        ),
        fr: (
            "Documents manquants",
            "La règle de la saison exige des documents que ce dépôt n’a pas, valides sur les dates du contrat, sur le contrat ou son établissement : voir missing_documents.",
        ),
        fa: (
            "سندها ناقص است",
            "قاعدهٔ فصل سندهایی می‌خواهد که این ثبت ندارد، معتبر در تمام تاریخ‌های قرارداد، روی قرارداد یا مرکز آن: missing_documents را ببینید.",
        ),
    },
    Problem {
        code: "already_withdrawn",
        en: ("Already withdrawn", "This document was withdrawn already."),
        ar: ("مسحوب مسبقاً", "سُحب هذا المستند من قبل."),
        fr: ("Déjà retiré", "Ce document a déjà été retiré."),
        fa: ("پیش‌تر پس گرفته شده", "این سند پیش‌تر پس گرفته شده است."),
    },
    Problem {
        code: "insufficient_funds",
        en: (
            "Insufficient funds",
            "The client's wallet does not cover what this would commit. Fund the wallet by bank transfer first.",
        ),
        ar: (
            "رصيد غير كافٍ",
            "رصيد محفظة الجهة لا يغطي المبلغ الذي سيُلتزم به. يجب تمويل المحفظة بحوالة بنكية أولاً.",
        ),
        fr: (
            "Fonds insuffisants",
            "Le portefeuille du client ne couvre pas ce que cela engagerait. Alimentez d’abord le portefeuille par virement.",
        ),
        fa: (
            "موجودی کافی نیست",
            "موجودی کیف پول متقاضی مبلغی را که متعهد می‌شود پوشش نمی‌دهد. ابتدا کیف پول را با حوالهٔ بانکی شارژ کنید.",
        ),
    },
    Problem {
        code: "bank_reference_used",
        en: (
            "Bank reference already recorded",
            "A transfer with this bank reference was already recorded, for another organisation, season or amount.",
        ),
        ar: (
            "المرجع البنكي مسجل مسبقاً",
            "سُجلت حوالة بهذا المرجع البنكي من قبل لجهة أو موسم أو مبلغ آخر.",
        ),
        fr: (
            "Référence bancaire déjà enregistrée",
            "Un virement portant cette référence bancaire a déjà été enregistré, pour un autre organisme, une autre saison ou un autre montant.",
        ),
        fa: (
            "مرجع بانکی قبلاً ثبت شده است",
            "حواله‌ای با این مرجع بانکی قبلاً برای سازمان، فصل یا مبلغ دیگری ثبت شده است.",
        ),
    },
    Problem {
        code: "no_guarantee",
        en: (
            "No guarantee held",
            "This contract holds no guarantee to decide on.",
        ),
        ar: ("لا يوجد ضمان", "لا يوجد ضمان محتجز لهذا العقد للبت فيه."),
        fr: (
            "Aucune garantie",
            "Ce contrat ne détient aucune garantie sur laquelle statuer.",
        ),
        fa: (
            "ضمانتی نگه داشته نشده است",
            "برای این قرارداد ضمانتی نگه داشته نشده که دربارهٔ آن تصمیم گرفته شود.",
        ),
    },
    Problem {
        code: "guarantee_not_due",
        en: (
            "Guarantee not open to a decision",
            "A guarantee is decided on after its season has ended or once the contract's latest inspection failed.",
        ),
        ar: (
            "لا يمكن البت في الضمان بعد",
            "يُبت في الضمان بعد انتهاء الموسم أو عند إخفاق آخر تفتيش للعقد.",
        ),
        fr: (
            "Garantie pas encore décidable",
            "Une garantie se décide une fois la saison terminée ou après l’échec de la dernière inspection du contrat.",
        ),
        fa: (
            "هنوز نمی‌توان دربارهٔ ضمانت تصمیم گرفت",
            "دربارهٔ ضمانت پس از پایان فصل یا پس از مردود شدن آخرین بازرسی قرارداد تصمیم گرفته می‌شود.",
        ),
    },
    Problem {
        code: "schedule_in_use",
        en: (
            "Payment schedule in use",
            "Money has already been committed to contracts of this type under the season's schedule; it can no longer change.",
        ),
        ar: (
            "جدول الدفعات مستخدم",
            "التُزم بمبالغ لعقود من هذا النوع وفق جدول الموسم، فلم يعد تغييره ممكناً.",
        ),
        fr: (
            "Échéancier déjà appliqué",
            "Des sommes ont déjà été engagées pour des contrats de ce type selon l’échéancier de la saison ; il ne peut plus changer.",
        ),
        fa: (
            "جدول پرداخت در حال استفاده است",
            "برای قراردادهای این نوع طبق جدول فصل مبلغی متعهد شده است؛ دیگر نمی‌توان آن را تغییر داد.",
        ),
    },
    Problem {
        code: "provider_inactive",
        en: (
            "Provider suspended",
            "The contract's service provider is suspended.",
        ),
        ar: ("المزود موقوف", "مزود الخدمة في هذا العقد موقوف."),
        fr: (
            "Prestataire suspendu",
            "Le prestataire de service du contrat est suspendu.",
        ),
        fa: (
            "ارائه‌دهنده تعلیق شده است",
            "ارائه‌دهندهٔ خدمت این قرارداد تعلیق شده است.",
        ),
    },
    Problem {
        code: "precondition_required",
        en: (
            "If-Match required",
            "Send the version you are changing in an If-Match header.",
        ),
        ar: (
            "ترويسة If-Match مطلوبة",
            "أرسل رقم الإصدار الذي تعدله في ترويسة If-Match.",
        ),
        fr: (
            "If-Match requis",
            "Envoyez la version que vous modifiez dans un en-tête If-Match.",
        ),
        fa: (
            "If-Match لازم است",
            "نسخه‌ای را که تغییر می‌دهید در سرآیند If-Match بفرستید.",
        ),
    },
    Problem {
        code: "precondition_failed",
        en: (
            "Stale version",
            "The resource changed since you read it; read it again and retry.",
        ),
        ar: (
            "إصدار قديم",
            "تغير المورد منذ قراءتك له؛ أعد قراءته ثم حاول مرة أخرى.",
        ),
        fr: (
            "Version périmée",
            "La ressource a changé depuis votre lecture ; relisez-la puis réessayez.",
        ),
        fa: (
            "نسخهٔ کهنه",
            "منبع پس از خواندن شما تغییر کرده است؛ دوباره بخوانید و تلاش کنید.",
        ),
    },
    Problem {
        code: "payload_too_large",
        en: (
            "Request too large",
            "The request body is larger than allowed.",
        ),
        ar: ("الطلب كبير جداً", "حجم محتوى الطلب أكبر من المسموح."),
        fr: (
            "Requête trop volumineuse",
            "Le corps de la requête dépasse la taille autorisée.",
        ),
        fa: (
            "درخواست بیش از حد بزرگ است",
            "بدنهٔ درخواست از اندازهٔ مجاز بزرگ‌تر است.",
        ),
    },
    Problem {
        code: "unsupported_media_type",
        en: (
            "Unsupported media type",
            "Send the body as application/json.",
        ),
        ar: (
            "نوع المحتوى غير مدعوم",
            "أرسل المحتوى بصيغة application/json.",
        ),
        fr: (
            "Type de contenu non pris en charge",
            "Envoyez le corps en application/json.",
        ),
        fa: (
            "نوع محتوا پشتیبانی نمی‌شود",
            "بدنه را به صورت application/json بفرستید.",
        ),
    },
    Problem {
        code: "validation_failed",
        en: (
            "Invalid values",
            "Some fields have invalid values; see errors.",
        ),
        ar: (
            "قيم غير صحيحة",
            "بعض الحقول تحتوي على قيم غير صحيحة؛ راجع قائمة الأخطاء.",
        ),
        fr: (
            "Valeurs invalides",
            "Certains champs ont des valeurs invalides ; voir errors.",
        ),
        fa: (
            "مقادیر نامعتبر",
            "برخی فیلدها مقدار نامعتبر دارند؛ errors را ببینید.",
        ),
    },
    Problem {
        code: "not_acceptable",
        en: (
            "Not acceptable",
            "This resource cannot be returned in the requested format.",
        ),
        ar: ("غير مقبول", "لا يمكن إرجاع هذا المورد بالصيغة المطلوبة."),
        fr: (
            "Format non disponible",
            "Cette ressource ne peut être rendue dans le format demandé.",
        ),
        fa: (
            "قالب پذیرفتنی نیست",
            "این منبع را نمی‌توان در قالب درخواستی برگرداند.",
        ),
    },
    Problem {
        code: "rate_limited",
        en: (
            "Too many requests",
            "Slow down and retry after the time given in Retry-After.",
        ),
        ar: (
            "طلبات كثيرة",
            "تمهل وأعد المحاولة بعد المدة المحددة في Retry-After.",
        ),
        fr: (
            "Trop de requêtes",
            "Ralentissez et réessayez après le délai indiqué dans Retry-After.",
        ),
        fa: (
            "درخواست‌ها بیش از حد است",
            "آهسته‌تر پیش بروید و پس از زمانی که Retry-After می‌گوید دوباره تلاش کنید.",
        ),
    },
    Problem {
        code: "headers_too_large",
        en: (
            "Request headers too large",
            "The request's headers are larger than the server accepts.",
        ),
        ar: (
            "ترويسات الطلب كبيرة جدًا",
            "ترويسات الطلب أكبر مما يقبله الخادم.",
        ),
        fr: (
            "En-têtes trop volumineux",
            "Les en-têtes de la requête dépassent ce que le serveur accepte.",
        ),
        fa: (
            "سرآیندها بیش از حد بزرگ است",
            "سرآیندهای درخواست از آنچه کارساز می‌پذیرد بزرگ‌ترند.",
        ),
    },
    Problem {
        code: "service_unavailable",
        en: (
            "Service unavailable",
            "The service is busy or its database is unreachable; retry shortly.",
        ),
        ar: (
            "الخدمة غير متاحة",
            "الخدمة مشغولة أو قاعدة البيانات غير متاحة؛ أعد المحاولة بعد قليل.",
        ),
        fr: (
            "Service indisponible",
            "Le service est occupé ou sa base de données est injoignable ; réessayez sous peu.",
        ),
        fa: (
            "سرویس در دسترس نیست",
            "سرویس مشغول است یا پایگاه داده‌اش در دسترس نیست؛ کمی بعد دوباره تلاش کنید.",
        ),
    },
    Problem {
        code: "contention",
        en: (
            "Busy, try again",
            "Many requests changed the same records at once and this one could not be completed; \
             nothing was changed. Send it again.",
        ),
        ar: (
            "الخدمة مشغولة، أعد المحاولة",
            "عدّلت طلبات كثيرة السجلات نفسها في الوقت ذاته فتعذّر إتمام هذا الطلب، ولم يتغيّر شيء. أرسله مرة أخرى.",
        ),
        fr: (
            "Occupé, réessayez",
            "De nombreuses requêtes ont modifié les mêmes enregistrements en même temps et celle-ci n’a pu aboutir ; rien n’a changé. Renvoyez-la.",
        ),
        fa: (
            "مشغول است، دوباره تلاش کنید",
            "درخواست‌های بسیاری هم‌زمان همان رکوردها را تغییر دادند و این درخواست انجام نشد؛ چیزی تغییر نکرد. دوباره بفرستید.",
        ),
    },
    Problem {
        code: "internal_error",
        en: (
            "Internal error",
            "Something went wrong on our side; the error was logged.",
        ),
        ar: ("خطأ داخلي", "حدث خطأ من جهتنا وتم تسجيله."),
        fr: (
            "Erreur interne",
            "Un problème est survenu de notre côté ; l’erreur a été consignée.",
        ),
        fa: ("خطای داخلی", "مشکلی در سمت ما رخ داد؛ خطا ثبت شد."),
    },
];

/// Title and detail of a problem code, in the requested language.
pub fn problem_text(code: &str, lang: Language) -> (&'static str, &'static str) {
    let found = PROBLEMS.iter().find(|p| p.code == code);
    match (found, lang) {
        (Some(p), Language::English) => p.en,
        (Some(p), Language::Arabic) => p.ar,
        (Some(p), Language::French) => p.fr,
        (Some(p), Language::Persian) => p.fa,
        (None, _) => ("Error", "The request could not be completed."),
    }
}

/// Every problem code the portal answers with (the closed set the OpenAPI document lists).
pub fn problem_codes() -> impl Iterator<Item = &'static str> {
    PROBLEMS.iter().map(|p| p.code)
}

/// Whether the catalogue has texts for a problem code.
pub fn knows_problem(code: &str) -> bool {
    PROBLEMS.iter().any(|p| p.code == code)
}

/// The message of a field error; `{n}` is replaced by the bound where there is one.
/// What a field takes, where its code alone implies it (a list or a format is given by the
/// refusal itself).
pub fn field_expects(code: &str) -> Option<&'static str> {
    match code {
        "invalid_date" => Some("YYYY-MM-DD"),
        "invalid_amount" => Some("a decimal string with at most two decimals, such as \"150.00\""),
        "invalid_number" => Some("a whole number"),
        "invalid_country" => Some("an ISO 3166-1 alpha-2 code, such as ID"),
        "invalid_id" => Some("a UUID"),
        _ => None,
    }
}

pub fn field_message(code: &str, limit: Option<usize>, lang: Language) -> String {
    let [en, ar, fr, fa] = match code {
        "required" => ["is required", "حقل مطلوب", "est obligatoire", "الزامی است"],
        "invalid_type" => [
            "has the wrong type",
            "نوع القيمة غير صحيح",
            "n’a pas le bon type",
            "نوع آن نادرست است",
        ],
        "unknown_field" => [
            "is not a known field",
            "حقل غير معروف",
            "n’est pas un champ connu",
            "فیلد شناخته‌شده‌ای نیست",
        ],
        "unknown_parameter" => [
            "is not a parameter of this list",
            "ليس من معاملات هذه القائمة",
            "n’est pas un paramètre de cette liste",
            "از پارامترهای این فهرست نیست",
        ],
        "invalid_number" => [
            "is not a whole number",
            "ليس عدداً صحيحاً",
            "n’est pas un nombre entier",
            "عدد صحیح نیست",
        ],
        "invalid_value" => [
            "is not an accepted value",
            "قيمة غير مقبولة",
            "n’est pas une valeur acceptée",
            "مقدار پذیرفتنی نیست",
        ],
        "too_short" => [
            "must have at least {n} characters",
            "يجب ألا يقل عن {n} حرفاً",
            "doit compter au moins {n} caractères",
            "باید دست‌کم {n} نویسه باشد",
        ],
        "too_long" => [
            "must have at most {n} characters",
            "يجب ألا يزيد عن {n} حرفاً",
            "doit compter au plus {n} caractères",
            "باید حداکثر {n} نویسه باشد",
        ],
        "out_of_range" => [
            "is out of range",
            "القيمة خارج النطاق المسموح",
            "est hors limites",
            "خارج از محدوده است",
        ],
        "too_many" => [
            "has more than {n} items",
            "عدد العناصر أكثر من {n}",
            "compte plus de {n} éléments",
            "بیش از {n} مورد دارد",
        ],
        "invalid_email" => [
            "is not a valid email address",
            "بريد إلكتروني غير صحيح",
            "n’est pas une adresse e-mail valide",
            "نشانی ایمیل معتبری نیست",
        ],
        "invalid_country" => [
            "is not an ISO 3166-1 alpha-2 country code",
            "ليس رمز دولة صحيحاً وفق ISO 3166-1",
            "n’est pas un code pays ISO 3166-1 alpha-2",
            "کد کشور ISO 3166-1 alpha-2 نیست",
        ],
        "invalid_characters" => [
            "contains control characters",
            "يحتوي على محارف تحكم غير مسموحة",
            "contient des caractères de contrôle",
            "نویسه‌های کنترلی دارد",
        ],
        "invalid_id" => [
            "is not a valid id",
            "معرّف غير صحيح",
            "n’est pas un identifiant valide",
            "شناسهٔ معتبری نیست",
        ],
        "invalid_token" => [
            "is not a live link: it is unknown, used or expired; ask for a new one",
            "رابط غير صالح: غير معروف أو مستخدم أو منتهي الصلاحية؛ اطلبوا رابطاً جديداً",
            "n’est pas un lien valable : inconnu, déjà utilisé ou expiré ; demandez-en un nouveau",
            "پیوند معتبری نیست: ناشناخته، استفاده‌شده یا منقضی است؛ پیوند تازه‌ای بخواهید",
        ],
        "invalid_cursor" => [
            "is not a cursor this server issued",
            "مؤشر صفحات غير صحيح",
            "n’est pas un curseur émis par ce serveur",
            "نشانگری نیست که این کارساز داده باشد",
        ],
        "invalid_url" => [
            "is not an https URL without credentials",
            "ليس عنوان https صحيحاً خالياً من بيانات الدخول",
            "n’est pas une URL https sans identifiants",
            "نشانی https بدون اطلاعات ورود نیست",
        ],
        "target_not_allowed" => [
            "names a loopback, private or link-local address, which deliveries may not go to",
            "يشير إلى عنوان محلي أو خاص لا يُسمح بالإرسال إليه",
            "désigne une adresse locale, privée ou de liaison, vers laquelle rien n’est envoyé",
            "به نشانی محلی، خصوصی یا پیوندی اشاره دارد که ارسال به آن مجاز نیست",
        ],
        "common_password" => [
            "is one of the most common passwords",
            "كلمة المرور من أكثر الكلمات شيوعاً",
            "fait partie des mots de passe les plus courants",
            "از رایج‌ترین گذرواژه‌هاست",
        ],
        "wrong_password" => [
            "is not your current password",
            "ليست كلمة المرور الحالية",
            "n’est pas votre mot de passe actuel",
            "گذرواژهٔ فعلی شما نیست",
        ],
        "not_allowed" => [
            "is not allowed here",
            "غير مسموح هنا",
            "n’est pas permis ici",
            "اینجا مجاز نیست",
        ],
        "not_a_parent" => [
            "must be the hajj affairs office of the same country",
            "يجب أن يكون مكتب شؤون الحجاج لنفس الدولة",
            "doit être le bureau des affaires du hajj du même pays",
            "باید دفتر امور حج همان کشور باشد",
        ],
        "country_mismatch" => [
            "must be the country of the parent office",
            "يجب أن تكون دولة المكتب الأم",
            "doit être le pays du bureau parent",
            "باید کشور دفتر مادر باشد",
        ],
        "invalid_schedule" => [
            "must be one to {n} instalments, due in order (approval, service start, season end), whole percents adding up to 100",
            "يجب أن يتكون من دفعة إلى {n} دفعات مرتبة (عند الاعتماد، عند بدء الخدمة، بعد الموسم) نسبها أعداد صحيحة مجموعها 100",
            "doit compter d’une à {n} échéances, dans l’ordre (approbation, début du service, fin de saison), en pourcentages entiers totalisant 100",
            "باید یک تا {n} قسط به ترتیب (تأیید، آغاز خدمت، پایان فصل) با درصدهای صحیح به جمع 100 باشد",
        ],
        "not_a_client" => [
            "is not an office or an agency",
            "ليست مكتب شؤون حجاج أو وكالة",
            "n’est ni un bureau ni une agence",
            "دفتر یا آژانس نیست",
        ],
        "invalid_csv" => [
            "is not a line of the expected columns",
            "ليس سطراً بالأعمدة المتوقعة",
            "n’est pas une ligne aux colonnes attendues",
            "سطری با ستون‌های مورد انتظار نیست",
        ],
        "invalid_reference" => [
            "must be 1 to {n} letters, digits, spaces or - _ / .",
            "يجب أن يكون من 1 إلى {n} من الحروف أو الأرقام أو المسافات أو - _ / .",
            "doit compter de 1 à {n} lettres, chiffres, espaces ou - _ / .",
            "باید 1 تا {n} حرف، رقم، فاصله یا - _ / . باشد",
        ],
        "unknown_reference" => [
            "names nothing you can use",
            "يشير إلى عنصر غير موجود أو غير متاح لك",
            "ne désigne rien que vous puissiez utiliser",
            "به چیزی اشاره دارد که در دسترس شما نیست",
        ],
        "facility_kind_mismatch" => [
            "is not a facility of the kind this contract type needs",
            "نوع المنشأة لا يناسب نوع العقد",
            "n’est pas un établissement du type requis par ce contrat",
            "مرکزی از نوع مورد نیاز این قرارداد نیست",
        ],
        "outside_season" => [
            "lies outside the season's dates",
            "خارج تواريخ الموسم",
            "est en dehors des dates de la saison",
            "خارج از تاریخ‌های فصل است",
        ],
        "outside_licence" => [
            "lies outside the facility's licence",
            "خارج مدة ترخيص المنشأة",
            "est en dehors de la licence de l’établissement",
            "خارج از مدت پروانهٔ مرکز است",
        ],
        "before_start" => [
            "is before the start",
            "قبل تاريخ البداية",
            "est antérieure au début",
            "پیش از تاریخ آغاز است",
        ],
        "span_too_long" => [
            "spans more than {n} days",
            "المدة أطول من {n} يوماً",
            "couvre plus de {n} jours",
            "بیش از {n} روز است",
        ],
        "same_place" => [
            "must join two different places",
            "يجب أن يربط بين مكانين مختلفين",
            "doit relier deux lieux différents",
            "باید دو مکان متفاوت را به هم وصل کند",
        ],
        "invalid_amount" => [
            "is not an amount like 1250.00",
            "ليس مبلغاً صحيحاً مثل 1250.00",
            "n’est pas un montant comme 1250.00",
            "مبلغی مانند 1250.00 نیست",
        ],
        "invalid_currency" => [
            "must be SAR",
            "يجب أن تكون العملة SAR",
            "doit être SAR",
            "باید SAR باشد",
        ],
        "invalid_date" => [
            "is not a date (YYYY-MM-DD)",
            "ليس تاريخاً صحيحاً (YYYY-MM-DD)",
            "n’est pas une date (AAAA-MM-JJ)",
            "تاریخ معتبری نیست (YYYY-MM-DD)",
        ],
        "hajj_days_outside" => [
            "must contain the hajj days (8-13 Dhu al-Hijjah)",
            "يجب أن يشمل أيام الحج (8-13 ذو الحجة)",
            "doit contenir les jours du hajj (8-13 dhou al-hijja)",
            "باید روزهای حج (۸ تا ۱۳ ذی‌الحجه) را در بر بگیرد",
        ],
        "after_season_end" => [
            "is after the season's end",
            "بعد نهاية الموسم",
            "est après la fin de la saison",
            "پس از پایان فصل است",
        ],
        "not_contiguous" => [
            "must start on the day the previous stay ends",
            "يجب أن تبدأ في يوم انتهاء الإقامة السابقة",
            "doit commencer le jour où finit le séjour précédent",
            "باید در روز پایان اقامت قبلی آغاز شود",
        ],
        "not_first_stay" => [
            "must be the first stay's first day",
            "يجب أن يكون أول يوم في الإقامة الأولى",
            "doit être le premier jour du premier séjour",
            "باید نخستین روز اقامت نخست باشد",
        ],
        "not_last_stay" => [
            "must be the last stay's last day",
            "يجب أن يكون آخر يوم في الإقامة الأخيرة",
            "doit être le dernier jour du dernier séjour",
            "باید آخرین روز اقامت آخر باشد",
        ],
        "over_allocation" => [
            "would plan more pilgrims than allocated",
            "يتجاوز عدد الحجاج المخصص",
            "prévoirait plus de pèlerins qu’attribués",
            "بیش از زائران تخصیص‌یافته برنامه‌ریزی می‌کند",
        ],
        "in_future" => [
            "cannot be in the future",
            "لا يمكن أن يكون في المستقبل",
            "ne peut être dans le futur",
            "نمی‌تواند در آینده باشد",
        ],
        "unsupported_content" => [
            "is not a PDF, JPEG or PNG file",
            "ليس ملف PDF أو JPEG أو PNG",
            "n’est pas un fichier PDF, JPEG ou PNG",
            "فایل PDF، JPEG یا PNG نیست",
        ],
        "type_mismatch" => [
            "is not the type it declares",
            "لا يطابق النوع المُعلن عنه",
            "n’est pas du type qu’il déclare",
            "از نوعی که اعلام می‌کند نیست",
        ],
        "empty" => ["is empty", "فارغ", "est vide", "خالی است"],
        "repeated" => [
            "is given more than once",
            "مكرر أكثر من مرة",
            "est donné plus d’une fois",
            "بیش از یک بار آمده است",
        ],
        "invalid_kind" => [
            "is not a known document kind",
            "ليس نوع مستند معروفاً",
            "n’est pas un type de document connu",
            "نوع سند شناخته‌شده‌ای نیست",
        ],
        "invalid_range" => [
            "ends before it starts",
            "ينتهي قبل أن يبدأ",
            "finit avant de commencer",
            "پیش از آغاز پایان می‌یابد",
        ],
        "not_for_type" => [
            "does not apply to this contract type",
            "لا ينطبق على هذا النوع من العقود",
            "ne s’applique pas à ce type de contrat",
            "برای این نوع قرارداد کاربرد ندارد",
        ],
        _ => [
            "is invalid",
            "قيمة غير صحيحة",
            "est invalide",
            "مقدار نامعتبر است",
        ],
    };
    let text = match lang {
        Language::English => en,
        Language::Arabic => ar,
        Language::French => fr,
        Language::Persian => fa,
    };
    match limit {
        Some(n) => text.replace("{n}", &n.to_string()),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_supported() {
        assert_eq!(parse_accept_language("ar"), Language::Arabic);
        assert_eq!(parse_accept_language("ar-SA,en;q=0.8"), Language::Arabic);
        assert_eq!(
            parse_accept_language("de, en;q=0.5, ar;q=0.9"),
            Language::Arabic
        );
        assert_eq!(parse_accept_language("fr-FR, ar;q=0.9"), Language::French);
        assert_eq!(parse_accept_language("de, fa;q=0.4"), Language::Persian);
        assert_eq!(parse_accept_language("de, it"), Language::English);
        assert_eq!(parse_accept_language("ar;q=0, en"), Language::English);
        assert_eq!(parse_accept_language(";;;,,q=x"), Language::English);
    }

    #[test]
    fn every_problem_has_four_languages_and_is_unique() {
        let mut codes: Vec<_> = PROBLEMS.iter().map(|p| p.code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), PROBLEMS.len());
        for p in PROBLEMS {
            let texts = [p.en, p.ar, p.fr, p.fa];
            for (title, detail) in texts {
                assert!(!title.is_empty() && !detail.is_empty(), "{}", p.code);
            }
            // Each language has its own words, not a copy of another's.
            for (i, a) in texts.iter().enumerate() {
                for b in &texts[i + 1..] {
                    assert_ne!(a.1, b.1, "{}", p.code);
                }
            }
        }
    }

    #[test]
    fn field_messages_speak_four_languages() {
        for code in ["required", "too_long", "outside_season", "no-such-code"] {
            let texts: Vec<String> = [
                Language::English,
                Language::Arabic,
                Language::French,
                Language::Persian,
            ]
            .into_iter()
            .map(|lang| field_message(code, Some(3), lang))
            .collect();
            for (i, a) in texts.iter().enumerate() {
                for b in &texts[i + 1..] {
                    assert_ne!(a, b, "{code}");
                }
            }
        }
        assert!(field_message("too_long", Some(200), Language::French).contains("200"));
    }

    #[test]
    fn field_messages_fill_in_bounds() {
        assert_eq!(
            field_message("too_short", Some(8), Language::English),
            "must have at least 8 characters"
        );
        assert!(field_message("too_short", Some(8), Language::Arabic).contains('8'));
    }
}
