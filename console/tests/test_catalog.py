"""The catalog pages on the real platform: the editor with activity rows and cadence words, the suggested price,
save, publish, a second version and the diff of the two; refusals keep the form and write nothing."""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx

from console.tests.conftest import another_session, signed_in
from console.tests.practice import ok
from vcio_shared import cadence
from vcio_shared.testing import auth

TENANT = "console-catalog"
ROADMAP = {
    "name": "IT roadmap",
    "category": "it_strategy",
    "track": "business",
    "billing_mode": "billable",
    "cadence": "FREQ=YEARLY",
    "role": "vcio",
    "effort_hours": "8",
    "deliverable": "12-month roadmap",
}
QBR = {
    "name": "QBR",
    "category": "account_management",
    "track": "business",
    "billing_mode": "billable",
    "cadence": "FREQ=MONTHLY;INTERVAL=3",
    "role": "account_manager",
    "effort_hours": "2.5",
    "deliverable": "",
}
PATCHES = {
    "name": "Patch review",
    "category": "infrastructure",
    "track": "technical",
    "billing_mode": "included",
    "cadence": "FREQ=WEEKLY;BYDAY=MO",
    "role": "technical_account_manager",
    "effort_hours": "0.5",
    "deliverable": "",
}


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page)
    assert found is not None
    return found.group(1)


def key_of(page: str) -> str:
    found = re.search(r'name="idempotency_key" value="([0-9a-f-]{36})"', page)
    assert found is not None
    return found.group(1)


def form(page: str, fields: dict[str, str], *rows: dict[str, str], action: str = "save") -> dict[str, str]:
    """The editor's form as a browser posts it: its CSRF token and idempotency key, the fields, the rows."""
    data = {"csrf_token": csrf_of(page), "idempotency_key": key_of(page), "action": action, **fields}
    for i, row in enumerate(rows):
        data.update({f"activities-{i}-{k}": v for k, v in row.items()})
    return data


CORE = {
    "name": "vCIO Core",
    "tier": "core",
    "description": "",
    "currency": "USD",
    "monthly_price": "1500.00",
    "billing_cycle": "monthly",
    "term_months": "12",
    "onboarding_fee": "500.00",
}


async def api(platform: Any, tenant: str, method: str, path: str, body: Any = None, status: int = 200) -> Any:
    """The catalog's own answer, as the tenant (to check what the console wrote, or to set something up)."""
    async with httpx.AsyncClient(base_url=platform.url("catalog")) as http:
        return ok(await http.request(method, path, json=body, headers=auth(tenant)), status)


API_BODY = {**CORE, "term_months": 12, "description": None, "activities": [QBR]}


def words(index: int, text: str, refused: bool = False) -> str:
    klass = "cadence-words refused" if refused else "cadence-words"
    return f'<span id="cadence-words-{index}" class="{klass}" aria-live="polite">{text}</span>'


def weekly_mondays() -> int:
    """Mondays in the 12-month term the catalog counts effort on (from the 1st of next month)."""
    today = dt.datetime.now(dt.UTC).date()
    return cadence.occurrences(cadence.parse("FREQ=WEEKLY;BYDAY=MO", today), cadence.schedule_basis(today), 12)


async def test_create_two_activities_publish_then_version_2_and_the_diff(
    console: httpx.AsyncClient, platform: Any
) -> None:
    http = signed_in(console, f"{TENANT}-flow")
    # the hourly rates first, on the catalog page: saved in the catalog's settings
    listed = (await http.get("/catalog")).text
    assert '<tr data-currency="new">' in listed and '<tr data-currency="USD">' not in listed
    rates = {"rate-new-vcio": "175", "rate-new-account_manager": "125.00", "rate-new-technical_account_manager": "150"}
    r = await http.post("/catalog/rates", data={"csrf_token": csrf_of(listed), "new-currency": "USD", **rates})
    assert (r.status_code, r.headers["location"]) == (303, "/catalog#rates")
    settings = await api(platform, f"{TENANT}-flow", "GET", "/v1/settings")
    assert settings["hourly_rates"] == {
        "USD": {"account_manager": "125.00", "technical_account_manager": "150.00", "vcio": "175.00"}
    }
    listed = (await http.get("/catalog")).text
    assert 'id="rate-USD-vcio" name="rate-USD-vcio" type="text" inputmode="decimal" value="175.00"' in listed
    assert 'id="rate-USD-engineer" name="rate-USD-engineer" type="text" inputmode="decimal" value=""' in listed
    new = await http.get("/catalog/new")
    assert new.status_code == 200 and new.text.count('<fieldset class="activity-row"') == 1
    # "Add an activity" posts the form back with one more row, writing nothing
    added = await http.post("/catalog/new", data=form(new.text, CORE, ROADMAP, action="add"))
    assert added.status_code == 200 and added.text.count('<fieldset class="activity-row"') == 2
    assert 'value="IT roadmap"' in added.text and key_of(added.text) == key_of(new.text)
    saved = await http.post("/catalog/new", data=form(added.text, CORE, ROADMAP, QBR))
    assert saved.status_code == 303
    package_id = saved.headers["location"].removeprefix("/catalog/")
    page = (await http.get(saved.headers["location"])).text
    assert '<h1 id="package-name">vCIO Core</h1>' in page
    assert 'Version 1 <span class="state draft">draft</span>' in page
    assert words(0, "every year") in page and words(1, "every 3 months") in page
    figures = re.findall(r'<span class="muted activity-figures" id="activity-figures-\d">([^<]*)</span>', page)
    assert figures == ["1 time in a 12-month term, 8.00 hours a year", "4 times in a 12-month term, 10.00 hours a year"]
    # vCIO 8 h × 175 + account manager 10 h × 125 = 2650 a year: 220.83 a month
    assert (
        '<p id="suggested">Suggested from effort: <strong>220.83 USD</strong> a month, beside the list price of '
        "1,500.00 USD: margin 1,279.17 USD (85.28 %).</p>"
    ) in page
    assert '<tr><td>vCIO</td><td class="num">8.00</td><td class="num">175.00 USD</td>' in page
    assert '<p id="contract-value" class="muted">18.00 hours a year in all; contract value 18,500.00 USD.</p>' in page
    assert 'placeholder="175.00"' in page and 'placeholder="none saved"' in page  # the engineer has no rate
    # as typed, not saved: the quote htmx posts on input and swaps into #pricing (a rate to try, the saved others)
    typed = form(page, CORE, ROADMAP, QBR)
    again = await http.post("/catalog/quote", data={**typed, "rate-vcio": "200.00"}, headers={"hx-request": "true"})
    assert "<strong>237.50 USD</strong>" in again.text and "<html" not in again.text  # (8 × 200 + 10 × 125) ÷ 12
    # QBR at 3 hours, typed: account manager 12 h × 125 = 1500 + 1400 = 2900 a year → 241.67, nothing written
    longer = await http.post("/catalog/quote", data=form(page, CORE, ROADMAP, {**QBR, "effort_hours": "3"}))
    assert (
        '<p id="suggested">Suggested from effort: <strong>241.67 USD</strong> a month, beside the list price of '
        "1,500.00 USD: margin 1,258.33 USD (83.89 %).</p>"
    ) in longer.text
    assert '<tr><td>Account manager</td><td class="num">12.00</td><td class="num">125.00 USD</td>' in longer.text
    bad = await http.post("/catalog/quote", data=form(page, CORE, ROADMAP, {**QBR, "cadence": "FREQ=DAILY"}))
    assert (
        '<p class="banner bad" id="pricing-error">body.package.activities.1.cadence: cadence FREQ=DAILY is too '
        "frequent: activities recur weekly, monthly or yearly</p>"
    ) in bad.text
    stored = await api(platform, f"{TENANT}-flow", "GET", f"/v1/packages/{package_id}")
    assert (stored["version"], stored["activities"][1]["effort_hours"]) == (1, "2.50")

    published = await http.post(f"/catalog/{package_id}/publish", data={"csrf_token": csrf_of(page)})
    assert (published.status_code, published.headers["location"]) == (303, f"/catalog/{package_id}")
    page = (await http.get(f"/catalog/{package_id}")).text
    assert 'Version 1 <span class="state published">published</span>' in page
    assert "saving opens draft version 2" in page
    v1 = await api(platform, f"{TENANT}-flow", "GET", f"/v1/packages/{package_id}")
    assert (v1["version"], v1["status"], v1["contract_value"]) == (1, "published", "18500.00")

    # version 2: a new price, QBR takes 3 hours, the roadmap goes and a weekly patch review comes
    v2_fields = {**CORE, "monthly_price": "1750.00"}
    saved = await http.post(f"/catalog/{package_id}", data=form(page, v2_fields, {**QBR, "effort_hours": "3"}, PATCHES))
    assert saved.status_code == 303
    page = (await http.get(f"/catalog/{package_id}")).text
    assert 'Version 2 <span class="state draft">draft</span>' in page
    assert words(0, "every 3 months") in page and words(1, "every week on Monday") in page
    mondays = weekly_mondays()
    tam_hours = Decimal(mondays) / 2
    suggested = f"{((12 * 125 + tam_hours * 150) / 12).quantize(Decimal('0.01'), ROUND_HALF_UP):,}"
    assert f"<strong>{suggested} USD</strong>" in page
    assert (await http.post(f"/catalog/{package_id}/publish", data={"csrf_token": csrf_of(page)})).status_code == 303
    v2 = await api(platform, f"{TENANT}-flow", "GET", f"/v1/packages/{package_id}")
    assert (v2["version"], v2["status"], v2["contract_value"]) == (2, "published", "21500.00")
    assert [a["name"] for a in v2["activities"]] == ["QBR", "Patch review"]

    diff = (await http.get(f"/catalog/{package_id}/diff")).text
    assert "<h1>Version 1 and version 2</h1>" in diff
    changed = re.findall(
        r'<tr class="changed" data-field="([a-z_]+)"><th scope="row">[^<]*</th><td>([^<]*)</td>'
        r"<td>([^<]*)</td>",
        diff,
    )
    total = f"{12 + tam_hours:.2f}"
    assert changed == [
        ("monthly_price", "1500.00", "1750.00"),
        ("contract_value", "18500.00", "21500.00"),
        ("total_effort_hours_per_year", "18.00", total),
    ]
    assert diff.count('<tr class="same" data-field=') == 7  # name, tier, description, currency, cycle, term, fee
    activities = re.findall(r'<tr class="([a-z]+)" data-activity="([^"]+)">', diff)
    assert activities == [("changed", "QBR"), ("added", "Patch review"), ("removed", "IT roadmap")]
    qbr = diff.split('data-activity="QBR">')[1].split("</tr>")[0]
    assert qbr.count('<div class="changed">') == 2  # one per side: effort hours only
    assert '<div class="changed"><dt>effort hours</dt><dd>2.50</dd></div>' in qbr
    assert '<div class="changed"><dt>effort hours</dt><dd>3.00</dd></div>' in qbr
    assert '<p id="diff-count">6 changes</p>' in diff

    listed = (await http.get("/catalog")).text
    assert (
        f'<tr data-id="{package_id}"><td><a href="/catalog/{package_id}">vCIO Core</a> <span class="muted">core'
        '</span></td><td class="num">2</td><td><span class="state published">published</span></td>'
        '<td class="num">1,750.00 USD</td><td class="num hide-sm">2</td></tr>'
    ) in listed


async def test_a_bad_or_daily_cadence_is_422_on_the_form_and_nothing_is_written(
    console: httpx.AsyncClient, platform: Any
) -> None:
    tenant = f"{TENANT}-refused"
    http = signed_in(console, tenant)
    new = (await http.get("/catalog/new")).text
    cases = [
        ("FREQ=DAILY", "cadence FREQ=DAILY is too frequent: activities recur weekly, monthly or yearly"),
        ("FREQ=MONTHLY;INTERVAL=0", "cadence INTERVAL must be between 1 and 1000"),
        ("EVERY=MONTH", "cadence is not a valid RRULE: EVERY is not supported"),
    ]
    for rule, message in cases:
        r = await http.post("/catalog/new", data=form(new, CORE, ROADMAP, {**QBR, "cadence": rule}))
        assert r.status_code == 422, rule
        assert f'<p class="banner bad" role="alert" id="form-error">body.activities.1.cadence: {message}</p>' in r.text
        assert words(1, message, refused=True) in r.text and words(0, "every year") in r.text
        assert f'value="{rule}"' in r.text and 'value="vCIO Core"' in r.text  # the values are kept
        assert key_of(r.text) == key_of(new)
    listed = await api(platform, tenant, "GET", "/v1/packages")
    assert listed["items"] == []
    # fixed, the same form (and key) saves once; a double submit answers the same package
    fixed = form(new, CORE, ROADMAP, QBR)
    first, second = await http.post("/catalog/new", data=fixed), await http.post("/catalog/new", data=fixed)
    assert first.status_code == second.status_code == 303 and first.headers["location"] == second.headers["location"]
    listed = await api(platform, tenant, "GET", "/v1/packages")
    assert len(listed["items"]) == 1


async def test_the_cadence_words_fragment(console: httpx.AsyncClient) -> None:
    http = signed_in(console, TENANT)
    headers = {"hx-request": "true"}
    cases = [
        ("FREQ=MONTHLY;INTERVAL=3", words(3, "every 3 months"), 200),
        ("FREQ=YEARLY", words(3, "every year"), 200),
        ("FREQ=WEEKLY;BYDAY=MO", words(3, "every week on Monday"), 200),
        (
            "FREQ=DAILY",
            words(3, "cadence FREQ=DAILY is too frequent: activities recur weekly, monthly or yearly", True),
            200,
        ),
    ]
    for rule, expected, status in cases:
        r = await http.get("/catalog/cadence", params={"activities-3-cadence": rule}, headers=headers)
        assert (r.status_code, r.text.strip()) == (status, expected)
    assert (await http.get("/catalog/cadence", headers=headers)).status_code == 422


async def test_a_post_without_the_csrf_token_is_403_and_writes_nothing(
    console: httpx.AsyncClient, platform: Any
) -> None:
    tenant = f"{TENANT}-csrf"
    http = signed_in(console, tenant)
    new = (await http.get("/catalog/new")).text
    data = form(new, CORE, ROADMAP)
    del data["csrf_token"]
    assert (await http.post("/catalog/new", data=data)).status_code == 403
    assert (await api(platform, tenant, "GET", "/v1/packages"))["items"] == []
    package = await api(platform, tenant, "POST", "/v1/packages", API_BODY, 201)
    assert (await http.post(f"/catalog/{package['id']}", data=data)).status_code == 403
    assert (await http.post(f"/catalog/{package['id']}/publish", data={})).status_code == 403
    after = await api(platform, tenant, "GET", f"/v1/packages/{package['id']}")
    assert (after["version"], after["status"], after["activities"][0]["name"]) == (1, "draft", "QBR")


async def test_another_tenants_package_is_404(console: httpx.AsyncClient, platform: Any) -> None:
    owner = f"{TENANT}-owner"
    package = await api(platform, owner, "POST", "/v1/packages", API_BODY, 201)
    pid = package["id"]
    async with another_session(console, f"{TENANT}-intruder") as other:
        csrf = csrf_of((await other.get("/catalog/new")).text)
        for path in (f"/catalog/{pid}", f"/catalog/{pid}/diff", "/catalog/not-a-uuid"):
            assert (await other.get(path)).status_code == 404, path
        assert (await other.post(f"/catalog/{pid}/publish", data={"csrf_token": csrf})).status_code == 404
        assert (await other.post(f"/catalog/{pid}", data={"csrf_token": csrf, "name": "mine"})).status_code == 404
        assert pid not in (await other.get("/catalog")).text
    after = await api(platform, owner, "GET", f"/v1/packages/{pid}")
    assert (after["name"], after["status"]) == ("vCIO Core", "draft")


async def test_no_cookie_no_catalog_page(console: httpx.AsyncClient) -> None:
    for path in ("/catalog", "/catalog/new", "/catalog/cadence?activities-0-cadence=FREQ%3DYEARLY"):
        r = await console.get(path)
        assert (r.status_code, r.headers["location"]) == (303, "/signin"), path
    assert (await console.post("/catalog/new", data={"name": "x"})).status_code == 401


async def test_html_in_a_package_is_text_on_every_catalog_page(console: httpx.AsyncClient, platform: Any) -> None:
    tenant = f"{TENANT}-escaped"
    name = "Core <b>plus</b> & co"
    activity = {**QBR, "name": "<script>QBR</script>", "deliverable": "<i>notes</i>"}
    package = await api(
        platform, tenant, "POST", "/v1/packages", {**API_BODY, "name": name, "activities": [activity]}, 201
    )
    await api(platform, tenant, "POST", f"/v1/packages/{package['id']}/publish")
    await api(platform, tenant, "PATCH", f"/v1/packages/{package['id']}", {"monthly_price": "1600.00"})
    http = signed_in(console, tenant)
    escaped = "Core &lt;b&gt;plus&lt;/b&gt; &amp; co"
    for path in ("/catalog", f"/catalog/{package['id']}", f"/catalog/{package['id']}/diff"):
        page = (await http.get(path)).text
        assert escaped in page and "<b>plus</b>" not in page, path
        assert "<script>QBR" not in page and "<i>notes" not in page, path
    editor = (await http.get(f"/catalog/{package['id']}")).text
    assert 'value="&lt;script&gt;QBR&lt;/script&gt;"' in editor and 'value="&lt;i&gt;notes&lt;/i&gt;"' in editor


async def test_removing_a_row_and_publishing_twice(console: httpx.AsyncClient, platform: Any) -> None:
    tenant = f"{TENANT}-rows"
    http = signed_in(console, tenant)
    new = (await http.get("/catalog/new")).text
    removed = await http.post("/catalog/new", data=form(new, CORE, ROADMAP, QBR, PATCHES, action="remove-1"))
    assert removed.status_code == 200 and removed.text.count('<fieldset class="activity-row"') == 2
    assert 'value="IT roadmap"' in removed.text and 'value="Patch review"' in removed.text
    assert 'value="QBR"' not in removed.text and words(1, "every week on Monday") in removed.text
    assert (await api(platform, tenant, "GET", "/v1/packages"))["items"] == []
    saved = await http.post("/catalog/new", data=form(removed.text, CORE, ROADMAP, PATCHES))
    page = (await http.get(saved.headers["location"])).text
    csrf = csrf_of(page)
    assert (await http.post(f"{saved.headers['location']}/publish", data={"csrf_token": csrf})).status_code == 303
    again = await http.post(f"{saved.headers['location']}/publish", data={"csrf_token": csrf})
    assert again.status_code == 409
    assert (
        '<p class="banner bad" role="alert" id="form-error">version 1 is already published; edit the package to '
        "open a new draft</p>"
    ) in again.text
    package = (await api(platform, tenant, "GET", "/v1/packages"))["items"]
    assert [(p["version"], p["status"], len(p["activities"])) for p in package] == [(1, "published", 2)]


async def test_rates_refused_keep_the_form_and_a_package_without_rates_says_so(
    console: httpx.AsyncClient, platform: Any
) -> None:
    tenant = f"{TENANT}-rates"
    http = signed_in(console, tenant)
    # no rates saved: the editor's suggestion is the catalog's refusal, and the page says none are saved
    new = (await http.get("/catalog/new")).text
    assert '<p class="muted" id="pricing-error">The suggestion follows the package as you type it.</p>' in new
    quoted = await http.post("/catalog/new", data=form(new, CORE, ROADMAP, QBR, action="quote"))
    assert quoted.status_code == 200
    assert (
        '<p class="banner bad" id="pricing-error">body.rates: no rates given, and none saved for USD '
        "(PUT /v1/settings hourly_rates)</p>"
    ) in quoted.text
    assert 'value="IT roadmap"' in quoted.text and (await api(platform, tenant, "GET", "/v1/packages"))["items"] == []
    # typed rates price it without JavaScript ("Suggest a price" posts the form back, writing nothing)
    try_rates = {"rate-vcio": "175.00", "rate-account_manager": "125.00"}
    quoted = await http.post("/catalog/new", data={**form(new, CORE, ROADMAP, QBR, action="quote"), **try_rates})
    assert "<strong>220.83 USD</strong>" in quoted.text and 'value="175.00"' in quoted.text
    assert (await api(platform, tenant, "GET", "/v1/packages"))["items"] == []

    listed = (await http.get("/catalog")).text
    rates = {"new-currency": "JPY", "rate-new-vcio": "20000.5", "rate-new-engineer": "15000"}
    refused = await http.post("/catalog/rates", data={"csrf_token": csrf_of(listed), **rates})
    assert refused.status_code == 422
    assert (
        '<p class="banner bad" role="alert" id="rates-error">body.hourly_rates.JPY.vcio: '
        "JPY has 0 minor digits; &#39;20000.5&#39; has 1</p>"
    ) in refused.text
    assert 'name="rate-JPY-vcio" type="text" inputmode="decimal" value="20000.5"' in refused.text  # kept as typed
    assert (await api(platform, tenant, "GET", "/v1/settings"))["hourly_rates"] == {}
    assert (await http.post("/catalog/rates", data=rates)).status_code == 403  # no CSRF token
    # saved; then the row emptied removes the currency, and another added beside
    saved = await http.post("/catalog/rates", data={"csrf_token": csrf_of(listed), **rates, "rate-new-vcio": "20000"})
    assert saved.status_code == 303
    assert (await api(platform, tenant, "GET", "/v1/settings"))["hourly_rates"] == {
        "JPY": {"engineer": "15000", "vcio": "20000"}
    }
    emptied = {"rate-JPY-vcio": "", "rate-JPY-engineer": "", "new-currency": "EUR", "rate-new-vcio": "160"}
    assert (await http.post("/catalog/rates", data={"csrf_token": csrf_of(listed), **emptied})).status_code == 303
    assert (await api(platform, tenant, "GET", "/v1/settings"))["hourly_rates"] == {"EUR": {"vcio": "160.00"}}
    # tenant B sees none of it
    async with another_session(console, f"{TENANT}-rates-other") as other:
        assert '<tr data-currency="EUR">' not in (await other.get("/catalog")).text
