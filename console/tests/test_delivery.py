"""The delivery page on the real platform: the signed-in person's activities found by the token's `sub`, complete
and skip through the scheduler, the workload heat-map against capacity, and the calendar subscribe link.

Each test gets a tenant of its own (console-delivery-…), since completing and skipping change what the others see:
two staff (Ada, vCIO, ada@msp.example; Bob, account manager), one client on vCIO Growth started ten months ago."""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import pytest
from dateutil.relativedelta import relativedelta
from playwright.async_api import async_playwright, expect

from console.tests.conftest import ARGS, CHROMIUM, another_session
from console.tests.practice import GROWTH, START, _accepted, _package, _plan, ok
from console.tests.test_accessibility import AXE
from console.tests.test_accessibility import RUN as AXE_RUN
from vcio_console.signin import COOKIE, dev_link
from vcio_shared.auth import issue_token
from vcio_shared.settings import SERVICES
from vcio_shared.testing import TEST_SECRET, auth

LITWARE = "Litware <b>Legal</b>"
ESCAPED = "Litware &lt;b&gt;Legal&lt;/b&gt;"
ADA = "ada@msp.example"


@dataclass
class Team:
    tenant: str
    urls: dict[str, str]
    ada: str
    bob: str
    activities: list[dict[str, Any]]

    def of(self, name: str) -> list[dict[str, Any]]:
        return [a for a in self.activities if a["name"] == name]


async def make_team(platform: Any, staffed: bool = True) -> Team:
    urls = {s: platform.url(s) for s in SERVICES}
    tenant = f"console-delivery-{uuid.uuid4().hex[:8]}"
    h = auth(tenant)
    async with httpx.AsyncClient(timeout=60) as http:
        ok(await http.put(f"{urls['billing']}/v1/settings", json={"auto_run_enabled": False}, headers=h))
        staff = {"ada": "", "bob": ""}
        for key, name, role, email in (
            ("ada", "Ada Vance", "vcio", ADA.upper()),
            ("bob", "Bob Reyes", "account_manager", None),
        )[: 2 if staffed else 0]:
            body = {"name": name, "roles": [role], "weekly_capacity_hours": "40", **({"email": email} if email else {})}
            staff[key] = ok(await http.post(f"{urls['scheduler']}/v1/staff", json=body, headers=h), 201)["id"]
        package = await _package(http, urls, h, GROWTH)
        client = {"name": LITWARE, "email": "it@litware.example", "timezone": "UTC", "currency": "USD"}
        client_id = ok(await http.post(f"{urls['proposals']}/v1/clients", json=client, headers=h), 201)["id"]
        agreement = await _accepted(http, urls, h, client_id, package, START)
        # roadmap (Ada) + 4 QBRs (Bob) + renewal planning at months 0 and 11 (Ada); nobody's without staff
        activities = await _plan(http, urls, h, agreement["id"], 7)
    return Team(tenant, urls, staff["ada"], staff["bob"], activities)


@pytest.fixture
async def team(platform: Any) -> Team:
    return await make_team(platform)


def as_person(http: httpx.AsyncClient, tenant: str, sub: str = ADA) -> httpx.AsyncClient:
    """`http` signed in as `sub` (what oauth2-proxy's token would carry: here Ada's e-mail)."""
    http.cookies.set(COOKIE, issue_token(TEST_SECRET, tenant_id=tenant, sub=sub), domain="console.test")
    return http


def _csrf(page: str) -> str:
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def capacity(month: dt.date) -> Decimal:
    """40 h a week over the month's weekdays (the scheduler's rule, README)."""
    days = calendar.monthrange(month.year, month.month)[1]
    weekdays = sum(1 for d in range(days) if (month + dt.timedelta(days=d)).weekday() < 5)
    return Decimal(40 * weekdays) / 5


def cell(page: str, staff_id: str, month: dt.date) -> str:
    """A heat-map cell: its class, then its text."""
    row = page.split(f'<tr data-staff="{staff_id}">')[1].split("</tr>")[0]
    before, after = row.split(f'" data-month="{month:%Y-%m}">')
    return before.rsplit('class="num ', 1)[1] + " " + after.split("</td>")[0]


def expected_cell(booked: str, month: dt.date) -> str:
    cap = capacity(month)
    util = (Decimal(booked) * 100 / cap).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return f'heat-light {booked} / {cap:.2f} h<br><span class="util">{util} %</span>'  # far below 50 %


async def test_my_activities_are_found_by_the_tokens_email(console: httpx.AsyncClient, team: Team) -> None:
    page = (await as_person(console, team.tenant).get("/delivery")).text
    assert '<p id="whose">Your activities, as <strong>Ada Vance</strong>' in page
    roadmap, renewal = team.of("IT strategy and roadmap")[0], team.of("Renewal planning")
    opened = page.split('<ul class="my-activities" id="open-activities">')[1].split("</ul>")[0]
    assert opened.count('<li class="activity"') == 3  # Ada's: the roadmap and two renewal plannings
    assert (
        f'<li class="activity" id="activity-{roadmap["id"]}" data-state="overdue">\n'
        f'  <div><span class="date">{roadmap["due_date"]}</span> · <strong>IT strategy and roadmap</strong> · '
        f'{ESCAPED} <span class="state overdue">overdue</span> <span class="muted">2.00 h planned</span></div>'
    ) in opened
    assert f'id="activity-{renewal[1]["id"]}" data-state="upcoming"' in opened
    assert '<p id="activity-counts">2 overdue · 1 upcoming · 0 done · 0 skipped' in page
    for qbr in team.of("Quarterly business review"):  # Bob's
        assert qbr["id"] not in opened


async def test_someone_unmapped_picks_whose_activities_to_show(console: httpx.AsyncClient, team: Team) -> None:
    http = as_person(console, team.tenant, sub="dev")
    page = (await http.get("/delivery")).text
    assert (
        '<p class="banner info" id="unmapped">Your sign-in (dev) matches no staff member\'s e-mail, so the '
        "console cannot tell which activities are yours. Pick whose activities to show.</p>"
    ) in page
    assert '<option value="">Pick a staff member</option>' in page and "open-activities" not in page
    bob = (await http.get("/delivery", params={"staff": team.bob})).text
    assert '<p id="whose">Activities of <strong>Bob Reyes</strong>' in bob
    # the QBRs of months 0, 3, 6 and 9 are all past
    assert '<p id="activity-counts">4 overdue · 0 upcoming · 0 done · 0 skipped' in bob
    assert (await http.get("/delivery", params={"staff": "not-an-id"})).status_code == 404


async def test_work_nobody_has_can_be_completed_from_the_unassigned_list(
    console: httpx.AsyncClient, platform: Any
) -> None:
    """A tenant whose plan came before any staff: every activity is unassigned, and anyone may close it."""
    team = await make_team(platform, staffed=False)
    http = as_person(console, team.tenant)
    page = (await http.get("/delivery")).text
    assert 'id="unmapped"' in page and "<p>No staff yet.</p>" in page and "open-activities" not in page
    assert (
        f'<a href="/delivery?staff=unassigned&amp;from={dt.datetime.now(dt.UTC).date():%Y-%m}" id="unassigned-link">'
        in page
    )
    page = (await http.get("/delivery", params={"staff": "unassigned"})).text
    assert '<p id="whose">Unassigned work ' in page and 'id="unmapped"' not in page
    opened = page.split('<ul class="my-activities" id="open-activities">')[1].split("</ul>")[0]
    assert opened.count('<li class="activity"') == 7  # the whole plan: 6 past, the last renewal planning ahead
    assert '<p id="activity-counts">6 overdue · 1 upcoming · 0 done · 0 skipped' in page
    assert 'id="calendar-form"' not in page  # a calendar is a person's
    qbr = team.of("Quarterly business review")[0]
    form = {"csrf_token": _csrf(page), "staff": "unassigned", "outcome": "QBR held", "hours_spent": "1.5"}
    done = await http.post(f"/delivery/activities/{qbr['id']}/complete", data=form)
    assert (done.status_code, done.headers["location"]) == (303, "/delivery?staff=unassigned")
    page = (await http.get(done.headers["location"])).text
    assert '<p id="activity-counts">5 overdue · 1 upcoming · 1 done · 0 skipped' in page
    assert '<span class="state done">done</span> <span class="muted">1.50 h: QBR held</span>' in page


async def test_complete_and_skip_through_the_scheduler_and_the_heat_map_follows(
    console: httpx.AsyncClient, team: Team
) -> None:
    http = as_person(console, team.tenant)
    month = START
    page = (await http.get("/delivery", params={"from": f"{month:%Y-%m}"})).text
    headers = page.split('<table id="workload" class="heatmap">')[1].split("</thead>")[0]
    later = month + relativedelta(months=1)  # nothing of Ada's is due then: a blank cell
    assert (
        cell(page, team.ada, later) == f'heat-none 0.00 / {capacity(later):.2f} h<br><span class="util">0.00 %</span>'
    )
    assert headers.count('<th scope="col" class="num">') == 6
    assert f'<th scope="col" class="num">{month + relativedelta(months=5):%Y-%m}</th>' in headers
    # START's month: Ada's roadmap and first renewal planning (2 h each), Bob's first QBR
    assert cell(page, team.ada, month) == expected_cell("4.00", month)
    assert cell(page, team.bob, month) == expected_cell("2.00", month)
    roadmap, renewal = team.of("IT strategy and roadmap")[0], team.of("Renewal planning")[0]
    form = {"csrf_token": _csrf(page), "staff": team.ada, "from": f"{month:%Y-%m}"}

    bad = await http.post(
        f"/delivery/activities/{roadmap['id']}/complete", data={**form, "outcome": "Roadmap agreed", "hours_spent": "x"}
    )
    assert bad.status_code == 422 and 'id="form-error"' in bad.text
    assert '<details open>\n    <summary>Complete or skip<span class="visually-hidden"> IT strategy' in bad.text
    assert ">Roadmap agreed</textarea>" in bad.text  # what was typed is kept

    done = await http.post(
        f"/delivery/activities/{roadmap['id']}/complete",
        data={**form, "outcome": "Roadmap agreed", "hours_spent": "3.5"},
    )
    assert (done.status_code, done.headers["location"]) == (303, f"/delivery?staff={team.ada}&from={month:%Y-%m}")
    skipped = await http.post(
        f"/delivery/activities/{renewal['id']}/skip", data={**form, "reason": "Folded into the roadmap"}
    )
    assert skipped.status_code == 303
    page = (await http.get(done.headers["location"])).text
    closed = page.split('<ul class="my-activities" id="closed-activities">')[1].split("</ul>")[0]
    assert closed.count('<li class="activity"') == 2
    assert (
        f'<li class="activity" data-state="done"><span class="date">{roadmap["due_date"]}</span> · IT strategy and '
        f'roadmap · {ESCAPED} <span class="state done">done</span> '
        '<span class="muted">3.50 h: Roadmap agreed</span></li>'
    ) in closed
    assert '<span class="state skipped">skipped</span> <span class="muted">Folded into the roadmap</span>' in closed
    assert '<p id="activity-counts">0 overdue · 1 upcoming · 1 done · 1 skipped' in page
    # 3.50 h spent on the roadmap; the skipped planning no longer counts
    assert cell(page, team.ada, month) == expected_cell("3.50", month)
    async with httpx.AsyncClient() as api:
        got = ok(await api.get(f"{team.urls['scheduler']}/v1/activities/{roadmap['id']}", headers=auth(team.tenant)))
    assert (got["status"], got["outcome"], got["hours_spent"]) == ("completed", "Roadmap agreed", "3.50")
    again = await http.post(f"/delivery/activities/{roadmap['id']}/complete", data={**form, "outcome": "Again"})
    assert again.status_code == 409 and 'id="form-error"' in again.text
    async with another_session(console, "console-delivery-other") as other:
        page = (await other.get("/delivery")).text
        theirs = await other.post(
            f"/delivery/activities/{renewal['id']}/skip", data={"csrf_token": _csrf(page), "reason": "x"}
        )
        assert theirs.status_code == 404


async def test_the_calendar_subscribe_link_is_shown_once_and_serves_the_feed(
    console: httpx.AsyncClient, team: Team
) -> None:
    http = as_person(console, team.tenant)
    page = (await http.get("/delivery")).text
    key = page.split('id="calendar-form">')[1].split('name="idempotency_key" value="')[1].split('"')[0]
    body = {"csrf_token": _csrf(page), "idempotency_key": key, "staff": team.ada}
    first = await http.post("/delivery/calendar", data=body)
    twice = await http.post("/delivery/calendar", data=body)  # a double click: one subscription
    assert first.status_code == 200 and 'id="calendar-form"' not in first.text
    url = first.text.split('<input id="calendar-link" type="text" value="')[1].split('"')[0]
    assert url in twice.text and url.endswith(".ics") and "/calendars/" in url
    async with httpx.AsyncClient() as app:
        feed = await app.get(url)
        subs = ok(await app.get(f"{team.urls['scheduler']}/v1/calendars/subscriptions", headers=auth(team.tenant)))
    assert feed.status_code == 200 and feed.text.startswith("BEGIN:VCALENDAR")
    assert feed.text.count("BEGIN:VEVENT") == 3 and "SUMMARY:IT strategy and roadmap" in feed.text
    assert [(s["kind"], s["subject_id"]) for s in subs["items"]] == [("staff", team.ada)]


async def test_complete_an_activity_in_chromium(console_server: str, team: Team) -> None:
    roadmap = team.of("IT strategy and roadmap")[0]
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            await page.goto(dev_link(TEST_SECRET, team.tenant, console_server, sub=ADA))
            await page.get_by_role("link", name="Delivery").click()
            await expect(page.locator("#whose")).to_contain_text("Your activities, as Ada Vance")
            item = page.locator(f"#activity-{roadmap['id']}")
            await item.get_by_text("Complete or skip").click()
            await item.get_by_label("Outcome").fill("Roadmap agreed with the partners")
            await item.get_by_label("Hours spent").fill("2.75")
            await item.get_by_role("button", name="Complete").click()
            done = page.locator('#closed-activities li[data-state="done"]')
            await expect(done).to_have_count(1)
            await expect(done).to_contain_text("IT strategy and roadmap")
            await expect(done).to_contain_text("2.75 h: Roadmap agreed with the partners")
            await expect(page.locator("#open-activities li.activity")).to_have_count(2)
            await page.evaluate(AXE)  # axe-core, as test_accessibility runs it
            assert await page.evaluate(AXE_RUN) == []
            assert errors == []  # no CSP violation, no script error
        finally:
            await browser.close()
