"""`vcio demo`: a living practice for a tenant, made only through the public HTTP APIs of the running platform.

The practice is deterministic: a seeded random draws the clients, and every date counts from the demo's day, the
day its first client was created. A second run therefore sends the very same requests under the same
Idempotency-Keys (derived from the tenant and the item) and makes nothing twice; the steps the APIs do not key
(opening, accepting or declining on the client's page, completing an activity, recording a payment) are taken only
while the item's current state still calls for them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import os
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import httpx
import typer
from dateutil.relativedelta import relativedelta
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from vcio_cli import catalog
from vcio_cli.client import base_url, dev_secret, token_for
from vcio_cli.demo_design import (
    LOCAL_PRICES,
    OUTCOMES,
    SEED,
    STAFF,
    SUMMARY_ROWS,
    TIERS,
    ClientDesign,
    Tally,
    agreement_start,
    billing_dates,
    design,
)
from vcio_console.signin import dev_link

WAIT = 60.0  # seconds for an event to travel (an agreement from an acceptance, a plan from an agreement)
CONCURRENCY = 8  # requests in flight at once
PDF_CONCURRENCY = 2  # of them, sends and acceptances: each renders a PDF, and proposals renders two at a time


class DemoError(Exception):
    """A step the platform refused: the demo stops and says which."""


class Demo:
    """The demo for one tenant, step by step through the services' public APIs."""

    def __init__(self, http: httpx.AsyncClient, tenant: str, clients: int, seed: int, progress: Progress) -> None:
        self.http = http
        self.tenant = tenant
        self.clients = design(clients, seed)
        self.progress = progress
        self.tally = Tally()
        self.packages: dict[tuple[str, str], dict[str, Any]] = {}  # (currency, tier) → package
        self.agreements: dict[int, dict[str, Any]] = {}  # client index → agreement
        self.day = dt.datetime.now(dt.UTC).date()
        self.first_made = False  # whether this run made the first client (`anchor` does)
        self.gate = asyncio.Semaphore(CONCURRENCY)
        self.pdf_gate = asyncio.Semaphore(PDF_CONCURRENCY)

    # ---------------------------------------------------------------- HTTP

    def key(self, *item: object) -> str:
        return ":".join(["vcio-demo", self.tenant, *map(str, item)])

    async def call(
        self,
        method: str,
        url: str,
        *,
        ok: Iterable[int] = (200, 201),
        key: str | None = None,
        json: Any = None,
        params: dict[str, Any] | None = None,
        pdf: bool = False,
    ) -> httpx.Response:
        """One request; a 429 (the client page's rate limit) or a 503 (busy, e.g. rendering PDFs) waits as told
        and tries again, for up to WAIT seconds."""
        headers = {"Idempotency-Key": key} if key else {}
        deadline = time.monotonic() + WAIT
        while True:
            async with self.pdf_gate if pdf else self.gate:
                r = await self.http.request(method, url, json=json, params=params, headers=headers)
            if r.status_code not in (429, 503) or time.monotonic() > deadline:
                break
            await asyncio.sleep(min(float(r.headers.get("Retry-After", "0.5")), 5.0))
        if r.status_code not in tuple(ok):
            try:
                detail = r.json().get("detail", r.text)
            except ValueError:
                detail = r.text
            raise DemoError(f"{method} {url}: {r.status_code} {detail}")
        return r

    async def create(self, url: str, body: Any, key: str, pdf: bool = False) -> tuple[dict[str, Any], bool]:
        """A keyed creating POST: its answer, and whether this call made it (not a replay)."""
        r = await self.call("POST", url, json=body, key=key, pdf=pdf)
        return r.json(), r.headers.get("Idempotency-Replayed") != "true"

    async def every(self, url: str, **params: Any) -> list[dict[str, Any]]:
        """Every item of a list, page after page."""
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            query = {**params, "limit": 200, **({"cursor": cursor} if cursor else {})}
            page = (await self.call("GET", url, params=query)).json()
            items += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                return items

    async def until(self, what: str, check: Callable[[], Awaitable[Any]]) -> Any:
        """Poll `check` until it answers something truthy (an event crossing services), for up to WAIT s."""
        deadline = time.monotonic() + WAIT
        while not (result := await check()):
            if time.monotonic() > deadline:
                raise DemoError(f"gave up waiting for {what} after {WAIT:.0f}s: are all services running?")
            await asyncio.sleep(0.1)
        return result

    # ---------------------------------------------------------------- steps

    async def anchor(self) -> None:
        """The demo's day: when its first client was created (today on a first run)."""
        first = self.clients[0]
        url = f"{base_url('proposals')}/v1/clients"
        client, self.first_made = await self.create(url, self.client_body(first), self.key("client", 0))
        self.day = dt.datetime.fromisoformat(client["created_at"]).astimezone(dt.UTC).date()

    async def load_catalog(self) -> None:
        """The starter tiers as `vcio seed` loads them, and each tier again in the clients' other currencies."""
        catalog_url = base_url("catalog")
        starter = {}
        for tier in TIERS:
            found = await self.every(f"{catalog_url}/v1/packages", status="published", currency="USD", tier=tier)
            if not found:
                raise DemoError(f"the starter catalog has no published {tier} tier in USD")
            starter[tier] = min(found, key=lambda p: p["created_at"])
            self.packages[("USD", tier)] = starter[tier]
            self.tally.add("packages", False)
        currencies = sorted({c.currency for c in self.clients} - {"USD"})
        task = self.progress.add_task("packages", total=len(currencies) * len(TIERS))
        for currency in currencies:
            for n, tier in enumerate(TIERS):
                body = self.local_package(starter[tier], currency, LOCAL_PRICES[currency][n])
                package, made = await self.create(
                    f"{catalog_url}/v1/packages", body, self.key("package", currency, tier)
                )
                current = (await self.call("GET", f"{catalog_url}/v1/packages/{package['id']}")).json()
                if current["status"] == "draft":
                    await self.call("POST", f"{catalog_url}/v1/packages/{package['id']}/publish")
                self.packages[(currency, tier)] = package
                self.tally.add("packages", made)
                self.progress.advance(task)
        for package in self.packages.values():  # proposals learns of packages from catalog's events
            url = f"{base_url('proposals')}/v1/catalog/packages/{package['id']}"
            await self.until(f"package {package['name']} in proposals", functools.partial(self.found, url))

    async def found(self, url: str) -> bool:
        return (await self.http.get(url)).status_code == 200

    @staticmethod
    def local_package(starter: dict[str, Any], currency: str, price: str) -> dict[str, Any]:
        fields = ("name", "category", "track", "billing_mode", "cadence", "role", "effort_hours", "deliverable")
        return {
            "name": f"{starter['name']} ({currency})",
            "tier": starter["tier"],
            "description": starter["description"],
            "currency": currency,
            "monthly_price": price,
            "billing_cycle": starter["billing_cycle"],
            "term_months": starter["term_months"],
            "onboarding_fee": "0.00",
            "activities": [{f: a[f] for f in fields} for a in starter["activities"]],
        }

    async def hire(self) -> None:
        """The practice's staff, before any plan is made, so that plans are assigned by role as they are made."""
        task = self.progress.add_task("staff", total=len(STAFF))
        for n, (name, role, hours) in enumerate(STAFF):
            email = f"{name.split()[0].lower()}@msp.example"
            body = {"name": name, "email": email, "roles": [role], "weekly_capacity_hours": hours}
            _, made = await self.create(f"{base_url('scheduler')}/v1/staff", body, self.key("staff", n))
            self.tally.add("staff", made)
            self.progress.advance(task)

    def client_body(self, c: ClientDesign) -> dict[str, Any]:
        return {"name": c.name, "email": c.email, "timezone": c.timezone, "currency": c.currency}

    async def client(self, c: ClientDesign, task: Any) -> None:
        """A client, its proposal taken to its state, and for an accepted one the agreement and the delivered work."""
        proposals = base_url("proposals")
        client, made = await self.create(f"{proposals}/v1/clients", self.client_body(c), self.key("client", c.index))
        self.tally.add("clients", made or (c.index == 0 and self.first_made))
        package = self.packages[(c.currency, c.tier)]
        if c.state == "accepted":
            start = agreement_start(self.day, c.months_ago)
        else:
            start = self.day.replace(day=1) + relativedelta(months=1)
        body = {"client_id": client["id"], "package_id": package["id"], "start_date": start.isoformat()}
        proposal, made = await self.create(f"{proposals}/v1/proposals", body, self.key("proposal", c.index))
        self.tally.add(f"proposals {c.state}", made)
        moved = c.state != "draft" and await self.take_to_state(c, proposal)
        if c.state == "accepted":
            await self.deliver(c, proposal, moved)
        self.progress.advance(task)

    async def take_to_state(self, c: ClientDesign, proposal: dict[str, Any]) -> bool:
        """Send it, then on the client's page (no login, as the client would): open, accept or decline. Whether
        this call took it to its state (False when it was there already)."""
        url = f"{base_url('proposals')}/v1/proposals/{proposal['id']}"
        sent, sent_now = await self.create(f"{url}/send", None, self.key("send", c.index), pdf=True)  # a rerun: replay
        status = (await self.call("GET", url)).json()["status"]
        if c.state == "sent" or status not in ("sent", "viewed"):
            return sent_now
        page = sent["accept_url"]
        if c.state == "viewed":
            if status == "viewed":
                return False
            await self.call("GET", page, ok=(200,))
        elif c.state == "declined":
            await self.call("POST", f"{page}/decline", json={"reason": "We are staying with our current provider."})
        else:
            signer = {"signer_name": c.signer, "signer_email": c.signer_email}
            await self.call("POST", f"{page}/accept", json=signer, pdf=True)
        return True

    async def deliver(self, c: ClientDesign, proposal: dict[str, Any], accepted_now: bool) -> None:
        """The agreement billing made of the acceptance, its delivery plan, and the past work done but for the
        client's last `left_overdue` past activities, which stay open and overdue."""
        billing, scheduler = base_url("billing"), base_url("scheduler")

        async def agreement() -> Any:
            r = await self.http.get(f"{billing}/v1/agreements", params={"proposal_id": proposal["id"]})
            return (r.json()["items"] or [None])[0] if r.status_code == 200 else None

        self.agreements[c.index] = found = await self.until(f"the agreement of {c.name}", agreement)
        self.tally.add("agreements", accepted_now)
        expected = sum(s["occurrences"] for s in proposal["schedule_summary"])

        async def plan() -> Any:
            items = await self.every(f"{scheduler}/v1/activities", agreement_id=found["id"])
            return items if len(items) == expected else None

        activities = sorted(await self.until(f"the plan of {c.name}", plan), key=lambda a: (a["due_date"], a["name"]))
        self.tally.add("activities", accepted_now, len(activities))
        past = [a for a in activities if dt.date.fromisoformat(a["due_date"]) < self.day]
        done = past[: len(past) - c.left_overdue]
        still_open = [a for a in past[len(done) :] if a["status"] in ("planned", "scheduled")]
        self.tally.add("overdue", accepted_now, len(still_open))
        now = dt.datetime.now(dt.UTC)
        for n, a in enumerate(done):
            if a["status"] not in ("planned", "scheduled"):
                self.tally.add("completed", False)
                continue
            due = dt.datetime.combine(dt.date.fromisoformat(a["due_date"]), dt.time(16), dt.UTC)
            at = min(due + dt.timedelta(days=n % 3), now - dt.timedelta(hours=1))
            body = {
                "outcome": OUTCOMES[n % len(OUTCOMES)],
                "hours_spent": a["effort_hours"],
                "completed_at": at.isoformat(),
            }
            await self.call("POST", f"{scheduler}/v1/activities/{a['id']}/complete", json=body)
            self.tally.add("completed", True)

    async def bill(self) -> None:
        """A run as of the first of each month of the past year and one as of the demo's day, each under its key."""
        dates = billing_dates(self.day)
        task = self.progress.add_task("billing runs", total=len(dates))
        for as_of in dates:
            run, made = await self.create(
                f"{base_url('billing')}/v1/billing-runs", {"as_of": as_of.isoformat()}, self.key("billing-run", as_of)
            )
            if run["status"] != "completed":
                raise DemoError(f"the billing run as of {as_of} ended {run['status']}: {run.get('errors')}")
            self.tally.add("billing runs", made)
            self.progress.advance(task)

    async def collect(self) -> None:
        """Each agreement's invoices paid, but for its latest `left_unpaid`."""
        task = self.progress.add_task("payments", total=len(self.agreements))
        await asyncio.gather(*(self.collect_from(c, task) for c in self.clients if c.index in self.agreements))

    async def collect_from(self, c: ClientDesign, task: Any) -> None:
        billing = base_url("billing")
        invoices = await self.every(f"{billing}/v1/invoices", agreement_id=self.agreements[c.index]["id"])
        invoices.sort(key=lambda i: i["period_start"])
        self.tally.add("invoices", False, len(invoices))  # made by the runs, counted there
        for n, invoice in enumerate(invoices):
            if invoice["status"] == "paid":
                self.tally.add("payments", False)
            elif invoice["status"] != "issued":
                continue  # a draft (the tenant reviews drafts first) or a void invoice takes no payment
            elif n >= len(invoices) - c.left_unpaid:
                self.tally.add("outstanding", False)
            else:
                await self.pay(c, n, invoice)
        self.progress.advance(task)

    async def pay(self, c: ClientDesign, n: int, invoice: dict[str, Any]) -> None:
        """The invoice paid in full, 5 to 24 days after it was issued (never later than an hour ago)."""
        issued = dt.datetime.combine(dt.date.fromisoformat(invoice["issue_date"]), dt.time(15), dt.UTC)
        now = dt.datetime.now(dt.UTC)
        paid_at = min(issued + dt.timedelta(days=5 + (c.index + n) % 20), now - dt.timedelta(hours=1))
        body = {"amount": invoice["total"], "paid_at": paid_at.isoformat(), "reference": f"ACH {4400 + n}"}
        url = f"{base_url('billing')}/v1/invoices/{invoice['id']}/payments"
        _, made = await self.create(url, body, self.key("payment", invoice["id"]))
        self.tally.add("payments", made)

    async def bill_and_collect(self) -> None:
        invoices = f"{base_url('billing')}/v1/invoices"
        before = len(await self.every(invoices))
        await self.bill()
        self.tally.new["invoices"] += len(await self.every(invoices)) - before
        await self.collect()

    async def run(self) -> Tally:
        await self.anchor()
        await self.load_catalog()
        await self.hire()
        settings_url = f"{base_url('billing')}/v1/settings"
        # Billing's automatic daily run would bill today's periods as soon as the agreements exist, before the
        # past months' runs: it is paused while the demo loads, and restored as it was.
        auto_run = (await self.call("GET", settings_url)).json()["auto_run_enabled"]
        if auto_run:
            await self.call("PUT", settings_url, json={"auto_run_enabled": False})
        try:
            task = self.progress.add_task("clients", total=len(self.clients))
            # the agreements first; the other proposals go out while the year is billed
            await asyncio.gather(*(self.client(c, task) for c in self.clients if c.state == "accepted"))
            others = (self.client(c, task) for c in self.clients if c.state != "accepted")
            await asyncio.gather(self.bill_and_collect(), *others)
        finally:
            if auto_run:
                await self.call("PUT", settings_url, json={"auto_run_enabled": True})
        return self.tally


def console_url() -> str:
    port = os.environ.get("CONSOLE_PORT", "8000")
    return os.environ.get("CONSOLE_URL", f"http://127.0.0.1:{port}").rstrip("/")


def signin_link(tenant: str) -> str | None:
    """A development sign-in link to the console for `tenant`, when the demo knows the services' secret."""
    if os.environ.get("VCIO_TOKEN"):
        return None
    try:
        secret = os.environ.get("VCIO_JWT_SECRET") or dev_secret()
    except typer.BadParameter:
        return None
    return dev_link(secret, tenant, console_url())


def demo(
    tenant: str = typer.Option("dev", "--tenant", help="the MSP (tenant id) to load the demo practice for"),
    clients: int = typer.Option(40, "--clients", min=1, max=1000, help="how many clients"),
    seed: int = typer.Option(SEED, "--seed", help="the seed the practice is drawn from", hidden=True),
) -> None:
    """Load a living practice through the public APIs: catalog, staff, clients, proposals, plans, a year of billing."""
    console = Console()
    started = time.monotonic()
    catalog.seed(tenant=tenant)  # the starter catalog, exactly as `vcio seed` loads it

    async def load() -> Tally:
        headers = {"Authorization": f"Bearer {token_for(tenant)}"}
        columns = (SpinnerColumn(), TextColumn("{task.description:<13}"), BarColumn(), MofNCompleteColumn())
        async with httpx.AsyncClient(headers=headers, timeout=120) as http:
            with Progress(*columns, TimeElapsedColumn(), console=console) as progress:
                return await Demo(http, tenant, clients, seed, progress).run()

    try:
        tally = asyncio.run(load())
    except (DemoError, httpx.HTTPError) as exc:
        typer.secho(f"vcio demo: {type(exc).__name__}: {exc}", err=True, fg="red")
        raise typer.Exit(1) from None
    table = Table("demo practice", "in it", "new now", title=f"tenant {tenant}")
    for item, label in SUMMARY_ROWS:
        table.add_row(label, str(tally.total[item]), str(tally.new[item]))
    console.print(table)
    if not sum(tally.new.values()):
        console.print(f"tenant {tenant} already had this demo: nothing new was made", soft_wrap=True)
    console.print("(no proposal is expired: the APIs let a proposal expire only once its valid_until has passed)")
    console.print(f"done in {time.monotonic() - started:.1f}s. The console: {console_url()}", soft_wrap=True)
    link = signin_link(tenant)
    if link:
        console.print(f"Sign in to tenant [bold]{tenant}[/] (the link works once, for 15 minutes):")
        console.print(link, soft_wrap=True, highlight=False)
