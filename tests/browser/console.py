"""The console in a real browser: a contract from draft to approval by four users (the office's
admin drafts, a colleague it adds submits, the provider accepts, the ministry approves), an
amendment through the provider's dashboard and the ministry's review queue, a tawafa inspection that changes readiness, notifications and the profile, an Arabic session laid
out right to left, a form without its token refused, another organisation's contract giving the
404 page, the same flow with JavaScript off, an accessibility check (axe-core) of every screen
visited, API keys, webhooks and the audit log, pages loaded under the real Content-Security-Policy,
and screenshots of the main screens for docs/console.md.

Usage: python3 tests/browser/console.py BASE_URL [SCREENSHOT_DIR]
Runs against a server started with `etrack serve --demo`.
"""

import os
import re
import sys

from playwright.sync_api import expect, sync_playwright

BASE = sys.argv[1].rstrip("/")
SHOTS = sys.argv[2] if len(sys.argv) > 2 else None
PASSWORD = "demo-pass-1447"
CLERK_PASSWORD = "clerk-files-contracts-1447"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
AXE = os.path.join(os.path.dirname(__file__), "..", "..", "node_modules", "axe-core", "axe.min.js")
CHECKED = set()


def accessible(page):
    """No serious or critical axe-core violation on the page (each screen once per language)."""
    key = (re.sub(r"[0-9a-f-]{36}", "ID", page.url.split("?")[0]), page.locator("html").get_attribute("lang"))
    if key in CHECKED:
        return
    CHECKED.add(key)
    page.add_script_tag(path=AXE)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{key}: " + "; ".join(bad)


def sign_in(page, who, lang="en", password=PASSWORD, domain="demo.e-track.sa"):
    page.goto(f"{BASE}/sign-in")
    page.fill("input[name=email]", f"{who}@{domain}")
    page.fill("input[name=password]", password)
    page.click("form[action='/sign-in'] button[type=submit]")
    expect(page).to_have_url(f"{BASE}/")
    switch_language(page, lang)


def switch_language(page, lang):
    if page.locator("html").get_attribute("lang") != lang:
        page.select_option("#lang-switch", lang)
        page.wait_for_load_state("load")
        if page.locator("html").get_attribute("lang") != lang:
            page.click("form.languages button")
        expect(page.locator("html")).to_have_attribute("lang", lang)


def shot(page, name):
    if name.endswith("-nojs"):
        return
    accessible(page)
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def act(page, action, reason=None):
    form = page.locator(f"form.a-{action}")
    if reason is not None:
        form.locator("textarea").fill(reason)
    form.locator("button").click()
    page.wait_for_load_state("load")


def lifecycle(browser, javascript, tag):
    context = browser.new_context(java_script_enabled=javascript, locale="en-GB", bypass_csp=True)
    office = context.new_page()
    sign_in(office, "office")
    shot(office, f"home-en{tag}")
    office.goto(f"{BASE}/contracts/new?type=housing&starts_on=2027-05-10&ends_on=2027-05-14")
    free = office.locator("label.choice").first
    expect(free.locator(".free")).to_be_visible()
    shot(office, f"new-contract-en{tag}")
    free.locator("input[type=radio]").check()
    office.fill("input[name=units]", "3")
    office.fill("input[name=unit_price]", "250.00")
    office.click("button.primary")
    office.wait_for_load_state("load")
    assert re.search(r"/contracts/[0-9a-f-]{36}$", office.url), office.url
    contract_url = office.url
    expect(office.locator("#status")).to_have_text("Draft")
    shot(office, f"draft-en{tag}")

    # A second user of the office submits it: the office's admin adds a filing clerk from its own
    # organisation's page, the clerk signs in with the password given.
    clerk_email = f"clerk{tag or '-js'}@demo-office.example"
    office.goto(f"{BASE}/profile")
    office.locator("dl.facts a[href^='/organizations/']").click()
    office.wait_for_load_state("load")
    users = office.locator("form[action$='/users']")
    users.locator("input[name=email]").fill(clerk_email)
    users.locator("input[name=full_name]").fill("Siti Rahma")
    users.locator("select[name=role]").select_option("officer")
    users.locator("input[name=password]").fill(CLERK_PASSWORD)
    users.locator("button").click()
    office.wait_for_load_state("load")
    expect(office.locator("tbody tr", has_text=clerk_email)).to_contain_text("Can sign in")
    clerk_context = browser.new_context(java_script_enabled=javascript, bypass_csp=True)
    clerk = clerk_context.new_page()
    sign_in(clerk, clerk_email.split("@")[0], password=CLERK_PASSWORD, domain=clerk_email.split("@")[1])
    clerk.goto(contract_url)
    act(clerk, "submit")
    expect(clerk.locator("#status")).to_have_text("Awaiting the provider")
    expect(clerk.locator("ol.timeline")).to_contain_text("Submitted")
    clerk_context.close()

    provider_context = browser.new_context(java_script_enabled=javascript, bypass_csp=True)
    provider = provider_context.new_page()
    sign_in(provider, "provider")
    provider.goto(f"{BASE}/contracts?status=pending_provider")
    shot(provider, f"provider-queue-en{tag}")
    provider.goto(f"{BASE}/facilities")
    provider.locator("tbody a").first.click()
    provider.wait_for_load_state("load")
    expect(provider.locator("svg.strip rect.held, svg.strip rect.mark, svg.strip rect.full").first).to_be_attached()
    shot(provider, f"facility-en{tag}")
    provider.goto(contract_url)
    act(provider, "accept")
    expect(provider.locator("#status")).to_have_text("Awaiting the ministry")

    ministry_context = browser.new_context(java_script_enabled=javascript, bypass_csp=True)
    ministry = ministry_context.new_page()
    sign_in(ministry, "ministry")
    ministry.goto(f"{BASE}/review")
    expect(ministry.locator(f"a[href='{contract_url.replace(BASE, '')}']")).to_be_visible()
    shot(ministry, f"review-queue-en{tag}")
    ministry.goto(contract_url)
    # The reviewer sees the building's use around the contract's dates.
    expect(ministry.locator("svg.strip")).to_be_visible()
    shot(ministry, f"review-en{tag}")
    act(ministry, "approve")
    expect(ministry.locator("#status")).to_have_text("Approved")
    expect(ministry.locator("ol.timeline li")).to_have_count(4)
    # The history in the past tense, each step with who took it.
    expect(ministry.locator("ol.timeline")).to_contain_text("Submitted · Hajj Affairs Office of Indonesia")
    expect(ministry.locator("ol.timeline")).to_contain_text("Approved · Ministry")
    shot(ministry, f"contract-en{tag}")

    # An amendment: the office asks for more beds, the provider accepts, the ministry approves.
    office.goto(contract_url)
    amend = office.locator("form.amend")
    amend.locator("input[name=units]").fill("5")
    amend.locator("textarea").fill("Two more pilgrims joined the group.")
    amend.locator("button").click()
    office.wait_for_load_state("load")
    expect(office.locator(".amendment .status").first).to_have_text("Awaiting the provider")
    shot(office, f"amendment-en{tag}")
    # It awaits the provider on its dashboard.
    provider.goto(f"{BASE}/")
    expect(provider.locator(f"table.amendments-awaiting a[href='{contract_url.replace(BASE, '')}#amendments']")).to_be_visible()
    shot(provider, f"provider-home-en{tag}")
    provider.goto(contract_url)
    provider.locator(".amendment form.a-accept button").click()
    provider.wait_for_load_state("load")
    # The accepted amendment waits in the ministry's review queue, which leads to it.
    ministry.goto(f"{BASE}/review")
    ministry.locator(f"#amendments a[href='{contract_url.replace(BASE, '')}#amendments']").click()
    ministry.wait_for_load_state("load")
    ministry.locator(".amendment form.a-approve button").click()
    ministry.wait_for_load_state("load")
    expect(ministry.locator(".amendment .status").first).to_have_text("Approved")
    expect(ministry.locator(".facts")).to_contain_text("5 Beds")

    # Another organisation's contract is the same 404 page as one that does not exist.
    tawafa_context = browser.new_context(java_script_enabled=javascript, bypass_csp=True)
    authority = tawafa_context.new_page()
    sign_in(authority, "authority")
    response = authority.goto(contract_url)
    assert response.status == 404, response.status
    missing = authority.goto(f"{BASE}/contracts/00000000-0000-7000-8000-000000000000")
    assert missing.status == 404
    for c in (context, provider_context, ministry_context, tawafa_context):
        c.close()
    return contract_url


def inspect(browser, javascript, result, findings, tag):
    """The tawafa establishment records an inspection of the office's approved 300-bed housing;
    returns the office's gaps on its readiness page before and after."""
    context = browser.new_context(java_script_enabled=javascript, bypass_csp=True)
    tawafa = context.new_page()
    sign_in(tawafa, "tawafa")
    tawafa.goto(f"{BASE}/readiness?status=not_ready")
    shot(tawafa, f"readiness-board-en{tag}")
    office_row = tawafa.locator("tbody tr", has_text="Indonesia").first
    office_row.locator("a").click()
    tawafa.wait_for_load_state("load")
    client_url = tawafa.url
    gaps = "section.card:has(h2:text('Gaps')) tbody tr"
    before = tawafa.locator(gaps).count()
    tawafa.goto(f"{BASE}/contracts?status=approved&type=housing")
    tawafa.locator("tbody tr", has_text="Hajj Affairs Office of Indonesia").filter(has_text="300 Beds").first.locator("a").click()
    tawafa.wait_for_load_state("load")
    form = tawafa.locator("form.inspection")
    form.locator(f"input[value={result}]").check()
    form.locator("textarea").fill(findings)
    form.locator("button").click()
    tawafa.wait_for_load_state("load")
    expect(tawafa.locator("ol.timeline")).to_be_visible()
    tawafa.goto(client_url)
    after = tawafa.locator(gaps).count()
    if result == "failed":
        expect(tawafa.locator("h2 .status")).to_have_text("Not ready")
        shot(tawafa, f"readiness-client-en{tag}")
    context.close()
    return before, after


def inspection_and_readiness(browser):
    """A tawafa establishment fails an inspection of the office's approved housing (without
    JavaScript): the office's readiness loses that coverage; a passing re-inspection restores it;
    a failed one takes it away again. The office is told, and reads it in its notifications."""
    before, after = inspect(browser, False, "failed", "Fire exits blocked on floors 3 to 5.", "-nojs")
    assert after > before, (before, after)
    again_before, restored = inspect(browser, True, "passed", "Fire exits cleared.", "")
    assert (again_before, restored) == (after, before), (again_before, restored, before, after)
    before, after = inspect(browser, True, "failed", "Fire exits blocked again on floor 4.", "")
    assert after > before, (before, after)

    context = browser.new_context(bypass_csp=True, accept_downloads=True)
    office = context.new_page()
    sign_in(office, "office")
    office.goto(f"{BASE}/readiness")
    expect(office.locator("h2 .status")).to_have_text("Not ready")
    expect(office.locator("a", has_text="failed inspection").first).to_be_visible()
    badge = office.locator("nav .badge")
    expect(badge).to_be_visible()
    office.goto(f"{BASE}/contracts?status=approved")
    with office.expect_download() as download:
        office.click("a[href*='format=csv']")
    assert download.value.suggested_filename.startswith("contracts-")
    office.goto(f"{BASE}/notifications?unread=1")
    expect(office.locator("ul.notices li", has_text="inspection").first).to_be_visible()
    shot(office, "notifications-en")
    office.goto(f"{BASE}/profile")
    shot(office, "profile-en")
    office.goto(f"{BASE}/groups")
    expect(office.locator("tbody tr", has_text="Jakarta 1")).to_be_visible()
    shot(office, "groups-en")
    # A new group planned from the list, then changed on its own page.
    plan = office.locator("form.group-plan")
    plan.locator("input[name=name]").fill("Surabaya 7")
    plan.locator("input[name=pilgrims]").fill("12")
    plan.locator("input[name=arrival_date]").fill("2027-05-11")
    plan.locator("input[name=departure_date]").fill("2027-05-21")
    plan.locator("select[name=stay1_city]").select_option("makkah")
    plan.locator("input[name=stay1_from]").fill("2027-05-11")
    plan.locator("input[name=stay1_to]").fill("2027-05-21")
    plan.locator("button").click()
    office.wait_for_load_state("load")
    office.locator("tbody tr a", has_text="Surabaya 7").click()
    office.wait_for_load_state("load")
    office.locator("form.group-plan input[name=pilgrims]").fill("14")
    office.locator("form.group-plan button").click()
    office.wait_for_load_state("load")
    expect(office.locator(".facts")).to_contain_text("14")
    shot(office, "group-en")
    office.goto(f"{BASE}/season")
    expect(office.locator("table").first).to_be_visible()
    shot(office, "season-en")
    context.close()


def authority(browser):
    """The demo's foreign-affairs ministry reads the visa dataset it is granted, and its CSV."""
    context = browser.new_context(bypass_csp=True, accept_downloads=True)
    page = context.new_page()
    sign_in(page, "authority")
    page.goto(f"{BASE}/datasets")
    shot(page, "datasets-en")
    page.click("a[href='/datasets/visa_eligibility']:not([download])")
    page.wait_for_load_state("load")
    # Columns in words, the CSV's column names kept as their titles.
    expect(page.locator("table thead")).to_contain_text("Eligible for visas")
    expect(page.locator("table thead th[title=visa_eligible]")).to_be_visible()
    shot(page, "dataset-en")
    with page.expect_download() as download:
        page.click("a[href='/datasets/visa_eligibility?format=csv']")
    assert download.value.suggested_filename.startswith("visa_eligibility-")
    context.close()


def administration(browser):
    """The ministry opens an agency under the demo office, invites its first user and makes it a
    viewer; the season page offers the ministry its quota and new-season forms; the same screens
    in Arabic."""
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    sign_in(page, "ministry")
    page.goto(f"{BASE}/organizations")
    shot(page, "organizations-en")
    form = page.locator("form[method=post][action='/organizations']")
    form.locator("select[name=kind]").select_option("agency")
    form.locator("input[name=name]").fill("Garuda Umrah Travel")
    form.locator("input[name=name_ar]").fill("غارودا للعمرة")
    form.locator("input[name=country]").fill("ID")
    form.locator("select[name=parent_id]").select_option(label="ID · Hajj Affairs Office of Indonesia")
    form.locator("button").click()
    page.wait_for_load_state("load")
    expect(page.locator("h1")).to_have_text("Garuda Umrah Travel")
    users = page.locator("form[action$='/users']")
    users.locator("input[name=email]").fill("first.admin@garuda.example")
    users.locator("input[name=full_name]").fill("Dewi Garuda")
    users.locator("select[name=role]").select_option("admin")
    users.locator("button").click()
    page.wait_for_load_state("load")
    row = page.locator("tbody tr", has_text="first.admin@garuda.example")
    expect(row).to_contain_text("Invited")
    shot(page, "organization-en")
    row.locator("a").click()
    page.wait_for_load_state("load")
    expect(page.locator("h1")).to_have_text("Dewi Garuda")
    page.locator("select[name=role]").select_option("viewer")
    page.locator("form[action^='/users/'] button").click()
    page.wait_for_load_state("load")
    expect(page.locator(".facts")).to_contain_text("Viewer")
    shot(page, "user-en")
    page.goto(f"{BASE}/season")
    expect(page.locator("form[action='/season/quotas']")).to_be_visible()
    page.locator("details summary").click()
    shot(page, "season-ministry-en")
    switch_language(page, "ar")
    for path, name in (("/organizations", "organizations-ar"), ("/review", "review-queue-ar"), ("/season", "season-ar")):
        page.goto(f"{BASE}{path}")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        shot(page, name)
    switch_language(page, "en")
    context.close()


def integration(browser):
    """The office's admin makes an API key and a webhook (each secret shown once) and turns the
    webhook off; the ministry reads the audit log and checks its chain."""
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    sign_in(page, "office")
    page.goto(f"{BASE}/profile")
    page.locator("a[href$='/integration']").click()
    page.wait_for_load_state("load")
    form = page.locator("form.new-key")
    form.locator("input[name=name]").fill("Booking system")
    form.locator("button").click()
    page.wait_for_load_state("load")
    expect(page.locator(".secret-value")).to_contain_text("etk_")
    expect(page.locator("#api-keys tbody tr", has_text="Booking system")).to_be_visible()
    form = page.locator("form.new-webhook")
    form.locator("input[name=url]").fill("https://hooks.example.org/e-track")
    form.locator("input[name=description]").fill("Our booking system")
    form.locator("input[value='contract.approved']").check()
    form.locator("button").click()
    page.wait_for_load_state("load")
    expect(page.locator(".secret-value")).to_contain_text("whsec_")
    shot(page, "integration-en")
    page.locator("#webhooks tbody a").first.click()
    page.wait_for_load_state("load")
    expect(page.locator(".secret-value")).to_have_count(0)
    page.locator("form.edit-webhook input[name=active]").uncheck()
    page.locator("form.edit-webhook button").click()
    page.wait_for_load_state("load")
    expect(page.locator("dl.facts")).to_contain_text("Turned off")
    shot(page, "webhook-en")
    context.close()

    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    sign_in(page, "ministry")
    page.goto(f"{BASE}/audit")
    page.locator("form.verify button").click()
    page.wait_for_load_state("load")
    expect(page.locator("p.done")).to_contain_text("intact")
    expect(page.locator("table.audit tbody tr").first).to_be_visible()
    shot(page, "audit-en")
    switch_language(page, "ar")
    page.goto(f"{BASE}/audit")
    shot(page, "audit-ar")
    switch_language(page, "en")
    context.close()


def arabic(browser, contract_url):
    context = browser.new_context(locale="ar-SA", bypass_csp=True)
    page = context.new_page()
    page.goto(f"{BASE}/sign-in")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    shot(page, "sign-in-ar")
    sign_in(page, "office", "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    shot(page, "home-ar")
    page.goto(f"{BASE}/contracts")
    expect(page.locator("h1")).to_have_text("العقود")
    shot(page, "contracts-ar")
    page.goto(contract_url)
    expect(page.locator("#status")).to_have_text("معتمد")
    shot(page, "contract-ar")
    # The printable sheet, English and Arabic side by side, with its history hash.
    page.click("#sheet")
    expect(page.locator("footer code")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    expect(page.locator("header")).to_contain_text("صحيفة العقد")
    shot(page, "contract-sheet")
    page.goto(f"{BASE}/readiness")
    shot(page, "readiness-ar")
    page.goto(f"{BASE}/contracts/new?type=housing&starts_on=2027-05-10&ends_on=2027-05-14")
    shot(page, "new-contract-ar")
    page.goto(f"{BASE}/notifications")
    shot(page, "notifications-ar")
    # Persian is right to left too.
    switch_language(page, "fa")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    switch_language(page, "en")
    context.close()


def arabic_without_javascript(browser, contract_url):
    """An Arabic session with JavaScript off: right to left from the sign-in page on, the language
    switched to Persian and back by the plain form, a contract read and the contracts filtered."""
    context = browser.new_context(locale="ar-SA", java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{BASE}/sign-in")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    sign_in(page, "office", "ar")
    page.goto(contract_url)
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.locator("#status")).to_have_text("معتمد")
    page.goto(f"{BASE}/contracts")
    page.locator("form.filters select[name=status]").select_option("approved")
    page.locator("form.filters button").click()
    page.wait_for_load_state("load")
    assert "status=approved" in page.url, page.url
    expect(page.locator("tbody tr").first).to_be_visible()
    switch_language(page, "fa")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    switch_language(page, "en")
    context.close()


def forged_form(browser, contract_url):
    """A form without its token is refused. This context does not bypass the
    Content-Security-Policy: the console's stylesheet and scripts load under it, and nothing on
    the pages visited breaks it."""
    context = browser.new_context()
    page = context.new_page()
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    sign_in(page, "office")
    for path in ("/", "/contracts", contract_url.replace(BASE, ""), "/readiness", "/season", "/groups"):
        page.goto(f"{BASE}{path}")
        page.wait_for_load_state("load")
        assert page.evaluate("getComputedStyle(document.querySelector('header.top')).borderBottomStyle") == "solid", path
        assert page.evaluate("typeof htmx") == "object", path
    assert not violations, violations
    reply = page.request.post(
        f"{contract_url}/act", form={"action": "cancel", "reason": "forged"}
    )
    assert reply.status == 403, reply.status
    page.goto(contract_url)
    expect(page.locator("#status")).to_have_text("Approved")
    context.close()


def documents(browser, contract_url):
    """The provider of the approved contract's building attaches a civil-defence certificate that
    lapses before the contract ends; the office, reading in Persian, finds the lapsing paper on
    its readiness page; the provider then attaches the renewed one from the same form."""
    context = browser.new_context(bypass_csp=True)
    office = context.new_page()
    sign_in(office, "office")
    office.goto(contract_url)
    facility_url = BASE + office.locator("#facility").get_attribute("href")
    context.close()

    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    sign_in(page, "provider")
    page.goto(facility_url)
    expect(page.locator("#documents")).to_be_visible()
    pdf = b"%PDF-1.7\n% civil defence certificate\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
    form = page.locator("form.upload")
    form.locator("select[name=kind]").select_option("civil_defence")
    form.locator("input[name=valid_until]").fill("2027-05-11")
    form.locator("input[name=file]").set_input_files(
        files=[{"name": "civil-defence-2026.pdf", "mimeType": "application/pdf", "buffer": pdf}]
    )
    form.locator("button").click()
    page.wait_for_load_state("load")
    expect(page.locator("#documents tbody tr", has_text="civil-defence-2026.pdf")).to_be_visible()
    shot(page, "facility-documents-en")

    reader = browser.new_context(bypass_csp=True)
    office = reader.new_page()
    sign_in(office, "office")
    switch_language(office, "fa")
    office.goto(f"{BASE}/readiness")
    expect(office.locator("html")).to_have_attribute("dir", "rtl")
    expect(office.locator("tr.lapsing").first).to_be_visible()
    shot(office, "readiness-lapsing-fa")

    form = page.locator("form.upload")
    form.locator("select[name=kind]").select_option("civil_defence")
    form.locator("input[name=valid_until]").fill("2027-12-31")
    form.locator("input[name=file]").set_input_files(
        files=[{"name": "civil-defence-2027.pdf", "mimeType": "application/pdf", "buffer": pdf + b"%renewed\n"}]
    )
    form.locator("button").click()
    page.wait_for_load_state("load")
    office.goto(f"{BASE}/readiness")
    expect(office.locator("tr.lapsing")).to_have_count(0)
    switch_language(office, "en")
    # The facility's papers as an Arabic reader sees them, right to left.
    switch_language(page, "ar")
    page.goto(facility_url)
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("#documents tbody tr", has_text="civil-defence-2027.pdf")).to_be_visible()
    shot(page, "facility-documents-ar")
    switch_language(page, "en")
    reader.close()
    context.close()


def main():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        url = lifecycle(browser, javascript=True, tag="")
        lifecycle(browser, javascript=False, tag="-nojs")
        inspection_and_readiness(browser)
        authority(browser)
        administration(browser)
        integration(browser)
        documents(browser, url)
        arabic(browser, url)
        arabic_without_javascript(browser, url)
        forged_form(browser, url)
        browser.close()
    print("console browser tests passed")


if __name__ == "__main__":
    main()
