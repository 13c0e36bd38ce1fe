"""The practice `vcio demo` loads, drawn from a seed: its clients, what happens to each, and the dates it bills.
Client i is the same whatever the count, so a second run makes the very same requests."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta

SEED = 18
TIERS = ("essentials", "growth", "strategic")
STATES = ("draft", "sent", "viewed", "accepted", "declined", "expired")
# The first eight clients hold every state the APIs can reach today; later ones are drawn, mostly accepted.
FIRST_STATES = ("accepted", "sent", "accepted", "viewed", "accepted", "declined", "accepted", "draft")
LATER_STATES = {"accepted": 14, "sent": 2, "viewed": 2, "declined": 1, "draft": 1}
CURRENCY_CYCLE = ("USD", "EUR", "USD", "GBP", "CAD", "USD", "AUD", "GBP", "USD", "EUR")
TIMEZONES = {
    "USD": ("America/Chicago", "America/New_York", "America/Denver", "America/Los_Angeles"),
    "EUR": ("Europe/Berlin", "Europe/Paris", "Europe/Amsterdam", "Europe/Madrid"),
    "GBP": ("Europe/London",),
    "CAD": ("America/Toronto", "America/Vancouver"),
    "AUD": ("Australia/Sydney", "Australia/Melbourne"),
}
SUFFIXES = {
    "USD": ("LLC", "Inc."),
    "EUR": ("GmbH", "B.V.", "S.L."),
    "GBP": ("Ltd",),
    "CAD": ("Inc.",),
    "AUD": ("Pty Ltd",),
}
# the starter tiers (USD) in the other currencies: round local list prices, not converted cents
LOCAL_PRICES = {
    "EUR": ("1400.00", "2750.00", "4600.00"),
    "GBP": ("1200.00", "2400.00", "3950.00"),
    "CAD": ("2050.00", "4100.00", "6850.00"),
    "AUD": ("2300.00", "4550.00", "7600.00"),
}
PLACES = (
    "Harbor", "Summit", "Maple", "Cedar", "Northfield", "Bluewater", "Ironwood", "Lakeside", "Granite", "Riverbend",
    "Oakridge", "Brightline", "Westgate", "Kestrel", "Silverleaf", "Foxglove", "Redwood", "Clearwater", "Stonebridge",
    "Hawthorn", "Pinecrest", "Marlow", "Ashford", "Elmstead", "Juniper", "Copperfield", "Willowbrook", "Seaview",
)  # fmt: skip
TRADES = (
    "Dental", "Law Group", "Accounting", "Architects", "Veterinary Clinic", "Logistics", "Engineering",
    "Property Management", "Physiotherapy", "Insurance Brokers", "Manufacturing", "Family Practice", "Wealth Advisors",
    "Construction", "Opticians", "Recruitment", "Marketing", "Freight", "Orthodontics", "Surveyors",
)  # fmt: skip
FIRST_NAMES = ("Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Kira", "Liam", "Maya")
LAST_NAMES = ("Park", "Okafor", "Schmidt", "Moreau", "Tanaka", "Walsh", "Novak", "Reyes", "Larsen", "Costa", "Byrne")
STAFF = (
    ("Avery Chen", "vcio", "40"),
    ("Jordan Patel", "vcio", "40"),
    ("Morgan Ellis", "account_manager", "40"),
    ("Riley Novak", "account_manager", "32"),
    ("Sam Okafor", "technical_account_manager", "40"),
    ("Taylor Brooks", "technical_account_manager", "40"),
    ("Casey Lindqvist", "engineer", "40"),
)
OUTCOMES = ("Delivered as planned", "Delivered; actions agreed with the client", "Delivered; follow-up booked")


@dataclass(frozen=True)
class ClientDesign:
    """One client of the demo and what happens to it; drawn from the seed, the same for any --clients."""

    index: int
    name: str
    email: str
    timezone: str
    currency: str
    tier: str
    state: str  # the state its proposal is left in
    signer: str
    months_ago: int  # accepted: the agreement began this many months (and a week) before the demo's day
    left_overdue: int  # accepted: its latest past activities left open, overdue
    left_unpaid: int  # accepted: its latest invoices left unpaid

    @property
    def signer_email(self) -> str:
        return f"{self.signer.split()[0].lower()}@{self.email.split('@')[1]}"


def design(clients: int, seed: int = SEED) -> list[ClientDesign]:
    """The first `clients` clients of the seed's practice (client i is the same whatever the count)."""
    rng = random.Random(seed)
    places = rng.sample(PLACES, len(PLACES))  # each place once before any comes again
    taken: set[str] = set()
    made: list[ClientDesign] = []
    for i in range(clients):
        currency = CURRENCY_CYCLE[i % len(CURRENCY_CYCLE)]
        place = places[i % len(places)]
        base = f"{place} {rng.choice(TRADES)}"
        for _ in range(len(TRADES)):
            if base not in taken:
                break
            base = f"{place} {rng.choice(TRADES)}"
        else:
            base = f"{base} {i // len(places) + 1}"  # past every place and trade: numbered, still unique
        taken.add(base)
        name = f"{base} {rng.choice(SUFFIXES[currency])}"
        state = FIRST_STATES[i] if i < len(FIRST_STATES) else rng.choices(*zip(*LATER_STATES.items(), strict=True))[0]
        months_ago = rng.randint(0, 11)
        made.append(
            ClientDesign(
                index=i,
                name=name,
                email=f"it@{base.lower().replace(' ', '-')}-{i + 1}.example",
                timezone=rng.choice(TIMEZONES[currency]),
                currency=currency,
                tier=rng.choices(TIERS, (5, 3, 2))[0],
                state=state,
                signer=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                months_ago=months_ago,
                left_overdue=rng.choice((0, 1, 1, 2, 3)),
                left_unpaid=min(rng.choice((1, 1, 1, 2)), months_ago + 1),
            )
        )
    return made


def agreement_start(day: dt.date, months_ago: int) -> dt.date:
    """A week more than `months_ago` months before `day`, on a day-of-month every month has: the agreement's
    (k+1)-th monthly occurrence then falls a good week before `day`, whatever weekday or time zone."""
    start = day - relativedelta(months=months_ago) - dt.timedelta(days=7)
    return start if start.day <= 28 else start.replace(day=28)


def billing_dates(day: dt.date) -> list[dt.date]:
    """The first of each of the last twelve months and of this one, then `day`: a year of monthly runs."""
    first = day.replace(day=1)
    dates = [first - relativedelta(months=m) for m in range(12, -1, -1)]
    return dates if day == first else [*dates, day]


@dataclass
class Tally:
    """What the demo holds (`total`) and what this run made of it (`new`)."""

    total: Counter[str] = field(default_factory=Counter)
    new: Counter[str] = field(default_factory=Counter)

    def add(self, item: str, made: bool, n: int = 1) -> None:
        self.total[item] += n
        if made:
            self.new[item] += n


# What the demo prints at its end: each item of its tally, as a row.
SUMMARY_ROWS = (
    ("packages", "packages (starter tiers and their local-currency copies)"),
    ("staff", "staff"),
    ("clients", "clients"),
    *((f"proposals {s}", f"proposals {s}") for s in STATES),
    ("agreements", "agreements"),
    ("activities", "activities planned"),
    ("completed", "activities completed"),
    ("overdue", "activities overdue"),
    ("billing runs", "billing runs"),
    ("invoices", "invoices"),
    ("payments", "payments"),
    ("outstanding", "invoices outstanding"),
)
