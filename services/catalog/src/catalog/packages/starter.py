"""The starter catalog: three published vCIO tiers a new MSP can sell on day one, and adjust.

Each tier covers the six jobs of a business vCIO (IT strategy and roadmap, business application selection,
data and BI, office productivity, proposals, system integrations), the technical reviews (NIST cybersecurity,
infrastructure) and account management (QBRs, renewal review), on yearly, quarterly and monthly cadences.
Higher tiers meet more often and go deeper. Prices follow the trade's range: $1,500 to $5,000 a month, sold as
12-month commitments ($1,500 a month is an $18,000 year), with no onboarding fee so the figures read plainly.
"""

from __future__ import annotations

from catalog.packages.schemas import ActivityCreate, PackageCreate

YEARLY, QUARTERLY, MONTHLY = "FREQ=YEARLY", "FREQ=MONTHLY;INTERVAL=3", "FREQ=MONTHLY"
VCIO, AM, TAM, ENG = "vcio", "account_manager", "technical_account_manager", "engineer"


def _a(
    name: str,
    category: str,
    cadence: str,
    role: str,
    effort_hours: str,
    deliverable: str,
    *,
    track: str = "business",
    billing_mode: str = "billable",
) -> ActivityCreate:
    """An activity of a tier; its arguments are the activity's fields."""
    return ActivityCreate.model_validate(locals())


def _technical(name: str, category: str, cadence: str, role: str, hours: str, deliverable: str) -> ActivityCreate:
    # technical vCIO work is usually part of the MSP's main package: it is delivered, tracked, not billed apart
    return _a(name, category, cadence, role, hours, deliverable, track="technical", billing_mode="included")


# the reviews every tier holds, deeper and longer in higher tiers


def _nist(hours: str, deliverable: str) -> ActivityCreate:
    return _technical("NIST cybersecurity review", "cybersecurity", QUARTERLY, TAM, hours, deliverable)


def _infrastructure(hours: str, deliverable: str) -> ActivityCreate:
    return _technical("Infrastructure and lifecycle review", "infrastructure", QUARTERLY, TAM, hours, deliverable)


def _ticket_review(hours: str) -> ActivityCreate:
    deliverable = "Ticket trends and recurring issues"
    return _technical("Service delivery and ticket review", "infrastructure", MONTHLY, TAM, hours, deliverable)


def _posture_check(hours: str) -> ActivityCreate:
    deliverable = "Monthly security posture summary"
    return _technical("Security posture check", "cybersecurity", MONTHLY, TAM, hours, deliverable)


def _qbr(hours: str) -> ActivityCreate:
    return _a("Quarterly business review (QBR)", "account_management", QUARTERLY, AM, hours, "QBR deck and action list")


def _renewal(hours: str) -> ActivityCreate:
    deliverable = "Renewal recommendation and satisfaction survey"
    return _a("Renewal and satisfaction review", "account_management", YEARLY, AM, hours, deliverable)


ESSENTIALS = [
    _a(
        "Annual IT strategy and roadmap",
        "it_strategy",
        YEARLY,
        VCIO,
        "8",
        "12-month IT roadmap aligned to business goals",
    ),
    _a(
        "Business application review",
        "business_applications",
        YEARLY,
        VCIO,
        "4",
        "Application inventory with keep / replace / retire recommendations",
    ),
    _a("Data and reporting review", "data_and_bi", YEARLY, VCIO, "3", "Map of data sources and reporting needs"),
    _a(
        "Office productivity review",
        "office_productivity",
        YEARLY,
        VCIO,
        "3",
        "Microsoft 365 / Google Workspace adoption report",
    ),
    _a(
        "IT budget and project proposals",
        "proposals",
        YEARLY,
        VCIO,
        "4",
        "Annual IT budget with priced project proposals",
    ),
    _a("System integration review", "system_integrations", YEARLY, VCIO, "3", "Integration map with quick wins"),
    _nist("3", "NIST CSF scorecard"),
    _infrastructure("2", "Asset lifecycle and warranty report"),
    _ticket_review("1"),
    _qbr("2"),
    _renewal("2"),
]

GROWTH = [
    _a(
        "Annual IT strategy and three-year roadmap",
        "it_strategy",
        YEARLY,
        VCIO,
        "12",
        "Three-year IT roadmap and annual plan",
    ),
    _a("Roadmap progress review", "it_strategy", QUARTERLY, VCIO, "3", "Roadmap status and re-prioritised backlog"),
    _a(
        "Business application selection",
        "business_applications",
        QUARTERLY,
        VCIO,
        "3",
        "Shortlist and fit assessment for the applications under review",
    ),
    _a("KPI and dashboard review", "data_and_bi", QUARTERLY, VCIO, "4", "KPI dashboard with commentary"),
    _a(
        "Office productivity coaching", "office_productivity", QUARTERLY, VCIO, "2", "Adoption report and training plan"
    ),
    _a("Project proposals review", "proposals", QUARTERLY, VCIO, "2", "Priced proposals for next quarter's projects"),
    _a(
        "System integration planning",
        "system_integrations",
        QUARTERLY,
        VCIO,
        "3",
        "Integration roadmap and data-flow diagram",
    ),
    _nist("4", "NIST CSF scorecard and remediation plan"),
    _posture_check("1.5"),
    _infrastructure("3", "Asset lifecycle, capacity and warranty report"),
    _ticket_review("1.5"),
    _qbr("3"),
    _renewal("2"),
]

STRATEGIC = [
    _a(
        "Annual IT strategy and three-year roadmap",
        "it_strategy",
        YEARLY,
        VCIO,
        "16",
        "Three-year IT roadmap, annual plan and board summary",
    ),
    _a("Monthly strategy meeting", "it_strategy", MONTHLY, VCIO, "4", "Decisions log and roadmap update"),
    _a(
        "Business application selection",
        "business_applications",
        QUARTERLY,
        VCIO,
        "6",
        "Requirements, vendor shortlist and selection report",
    ),
    _a("Business intelligence review", "data_and_bi", MONTHLY, VCIO, "4", "KPI dashboard and data-quality notes"),
    _a(
        "Office productivity programme",
        "office_productivity",
        QUARTERLY,
        VCIO,
        "4",
        "Adoption report, automation ideas and training plan",
    ),
    _a(
        "Project proposals and budget review",
        "proposals",
        QUARTERLY,
        VCIO,
        "3",
        "Priced proposals and budget-to-actual report",
    ),
    _a(
        "System integration design",
        "system_integrations",
        QUARTERLY,
        VCIO,
        "6",
        "Integration architecture and implementation plan",
    ),
    _nist("6", "NIST CSF scorecard and remediation plan"),
    _posture_check("2"),
    _technical("Annual vulnerability assessment", "cybersecurity", YEARLY, ENG, "8", "Vulnerability assessment report"),
    _infrastructure("4", "Asset lifecycle, capacity and warranty report"),
    _ticket_review("2"),
    _qbr("4"),
    _renewal("3"),
]


def _package(name: str, tier: str, price: str, description: str, activities: list[ActivityCreate]) -> PackageCreate:
    return PackageCreate.model_validate(
        {
            "name": name,
            "tier": tier,
            "description": description,
            "currency": "USD",
            "monthly_price": price,
            "billing_cycle": "monthly",
            "term_months": 12,
            "onboarding_fee": "0.00",
            "activities": activities,
        }
    )


STARTER_PACKAGES: list[tuple[str, PackageCreate]] = [
    (
        "starter-essentials",
        _package(
            "vCIO Essentials",
            "essentials",
            "1500.00",
            "Annual strategy and reviews for small professional services firms.",
            ESSENTIALS,
        ),
    ),
    (
        "starter-growth",
        _package(
            "vCIO Growth",
            "growth",
            "3000.00",
            "Quarterly strategy, applications and data work for growing businesses.",
            GROWTH,
        ),
    ),
    (
        "starter-strategic",
        _package(
            "vCIO Strategic",
            "strategic",
            "5000.00",
            "Monthly strategic leadership for complex small businesses.",
            STRATEGIC,
        ),
    ),
]
