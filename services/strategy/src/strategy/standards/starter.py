# long: the starter standard's text (45 questions, each with why and how to check), data rather than logic
"""The starter standard every tenant reads: an alignment review written for this project, from the seed's areas.

Cybersecurity is six sections, one per NIST CSF 2.0 function (Govern, Identify, Protect, Detect, Respond,
Recover), so each function has a score of its own. Its ids are fixed (uuid5), so that migrations and replicas
agree on them; a changed text is a new version (a new migration), never an edit of a published one."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

STARTER_ID = uuid.uuid5(uuid.NAMESPACE_URL, "https://vcio.example/strategy/starter-standard")
NAME = "vCIO alignment review (starter)"
DESCRIPTION = (
    "The platform's starter standard: business-focused IT strategy, applications, data, productivity, "
    "integrations, cybersecurity by NIST CSF 2.0 function, and infrastructure. Copy it to make it your own."
)

# (section, [(priority, internal_only, text, why, how_to)])
Q = tuple[str, bool, str, str, str]
SECTIONS: list[tuple[str, list[Q]]] = [
    (
        "IT strategy",
        [
            (
                "high",
                False,
                "Is there a written IT roadmap for the next 12-36 months, tied to the business plan?",
                "Without a roadmap, IT spend follows emergencies instead of the business's goals.",
                "Ask for the roadmap; check it names owners, quarters and budgets, and was reviewed this year.",
            ),
            (
                "high",
                False,
                "Is there an annual IT budget, split into one-time projects and recurring costs?",
                "A budget lets the client plan cash flow and compare IT spend with revenue.",
                "Review last year's actual IT spend against the budget, by category.",
            ),
            (
                "medium",
                False,
                "Does leadership meet the vCIO at least quarterly (QBR) to review IT against goals?",
                "Regular reviews keep IT decisions aligned as the business changes.",
                "Check the calendar and minutes of the last four business reviews.",
            ),
            (
                "medium",
                False,
                "Are IT risks recorded in a risk register with owners and review dates?",
                "Named risks get decisions; unnamed ones become incidents.",
                "Ask for the register; sample three risks for an owner and a recent review.",
            ),
            (
                "low",
                True,
                "Is the lifecycle of hardware and software tracked, with planned replacement dates?",
                "Planned replacement avoids surprise failures and end-of-support exposure.",
                "Compare the asset inventory's purchase dates with the roadmap's replacement items.",
            ),
        ],
    ),
    (
        "Business applications",
        [
            (
                "high",
                False,
                "Is every line-of-business application on a version its vendor still supports?",
                "Unsupported software gets no security fixes and blocks integrations.",
                "List the key applications with their version and the vendor's end-of-support date.",
            ),
            (
                "medium",
                False,
                "Does each key application have a named business owner?",
                "An owner decides on changes, access and renewal; without one nobody does.",
                "Ask who approves access and changes for each application.",
            ),
            (
                "medium",
                False,
                "Are application licences and renewals tracked centrally, with their costs?",
                "Untracked renewals lead to lapses, audits and paying for unused seats.",
                "Compare the licence list with the accounting system's software payments.",
            ),
            (
                "medium",
                False,
                "Is there a process for evaluating and selecting new business software?",
                "A structured selection avoids tools that duplicate others or do not fit the workflow.",
                "Ask how the last application was chosen: requirements, options compared, decision.",
            ),
            (
                "low",
                False,
                "Are staff trained on the business applications they use daily?",
                "Training turns paid features into productivity and reduces support tickets.",
                "Check onboarding material and ticket trends for how-to questions.",
            ),
        ],
    ),
    (
        "Data and BI",
        [
            (
                "high",
                False,
                "Is it known where the business's critical data lives, and who owns each data set?",
                "You cannot protect, back up or report on data you have not located.",
                "Ask for a data inventory; check the finance, client and HR data sets are in it.",
            ),
            (
                "medium",
                False,
                "Do leaders get regular reports or dashboards on the business's key figures?",
                "Decisions made on current figures beat decisions made on memory.",
                "Ask which reports leadership reviewed last month and where the figures came from.",
            ),
            (
                "medium",
                False,
                "Is data entered once and shared, rather than re-keyed between systems?",
                "Re-keying wastes time and produces conflicting numbers.",
                "Follow one order or client from first contact to invoice and count the re-entries.",
            ),
            (
                "medium",
                True,
                "Are data retention and deletion rules defined and applied?",
                "Keeping data longer than needed raises breach impact and legal exposure.",
                "Ask for the retention policy; check one system for records past their retention.",
            ),
            (
                "low",
                False,
                "Is data quality (duplicates, missing fields) reviewed periodically?",
                "Poor data quality undermines every report built on it.",
                "Run a duplicate check on the client list in the CRM or accounting system.",
            ),
        ],
    ),
    (
        "Office productivity",
        [
            (
                "high",
                False,
                "Are e-mail, files and calendars on one managed cloud productivity platform?",
                "One platform simplifies security, sharing, licensing and support.",
                "Check the tenant (Microsoft 365 or Google Workspace) and look for stray personal accounts.",
            ),
            (
                "medium",
                False,
                "Are shared files kept in structured team sites or shared drives, not personal folders?",
                "Files in personal folders are lost when staff leave and are hard to secure.",
                "Review the sharing report for files owned by departed or personal accounts.",
            ),
            (
                "medium",
                False,
                "Are licences assigned to the right plan for each role, and unused ones removed?",
                "Right-sizing licences cuts recurring cost without losing features people use.",
                "Compare assigned licences with active users over the last 90 days.",
            ),
            (
                "low",
                False,
                "Do staff use the collaboration tools (chat, meetings, co-authoring) the business pays for?",
                "Adoption is where the value of the subscription comes from.",
                "Review the platform's usage reports for chat, meetings and co-authoring.",
            ),
            (
                "medium",
                True,
                "Is there an onboarding and offboarding checklist for accounts and devices?",
                "Missed offboarding leaves access open to people who have left.",
                "Sample the last two leavers: check their accounts were disabled the day they left.",
            ),
        ],
    ),
    (
        "System integrations",
        [
            (
                "medium",
                False,
                "Are the key systems (CRM, accounting, PSA, line-of-business) integrated where data flows?",
                "Integrations remove manual transfers and the errors they bring.",
                "Draw the data flows between systems; mark which are automated and which manual.",
            ),
            (
                "medium",
                False,
                "Is each integration documented: what it moves, how often, and who to call when it fails?",
                "Undocumented integrations fail silently and nobody knows how to fix them.",
                "Ask for the integration list and the last failure of each.",
            ),
            (
                "high",
                True,
                "Do integrations use dedicated service accounts or API keys, rotated and not tied to a person?",
                "Integrations on a person's account break when they leave and widen that account's reach.",
                "Check the credentials each integration uses and when they were last rotated.",
            ),
            (
                "low",
                False,
                "Are integration failures monitored and alerted on?",
                "An alert on the first failure avoids days of missing data.",
                "Look for alerts or logs of the integrations' last runs.",
            ),
            (
                "low",
                False,
                "Is single sign-on used for the applications that support it?",
                "SSO gives one place to grant and remove access, and fewer passwords.",
                "List applications supporting SAML/OIDC and check which are connected to the identity provider.",
            ),
        ],
    ),
    (
        "Cybersecurity: Govern (NIST CSF 2.0 GV)",
        [
            (
                "high",
                False,
                "Is there a written information security policy approved by leadership?",
                "GV.PO: policy sets expectations and gives authority to enforce them.",
                "Ask for the policy, its approval date and its last review.",
            ),
            (
                "medium",
                False,
                "Are cybersecurity roles and responsibilities assigned, including the MSP's?",
                "GV.RR: clear roles avoid gaps between the client's staff and the MSP.",
                "Check a RACI or the agreement for who does what in security.",
            ),
            (
                "medium",
                False,
                "Are suppliers with access to systems or data assessed for security risk?",
                "GV.SC: supply chain compromises reach the client through trusted vendors.",
                "List vendors with remote access or data; check for a security review of each.",
            ),
        ],
    ),
    (
        "Cybersecurity: Identify (NIST CSF 2.0 ID)",
        [
            (
                "high",
                False,
                "Is there a current inventory of hardware, software and cloud services?",
                "ID.AM: you cannot protect assets you do not know you have.",
                "Compare the RMM's device list with a network scan and the cloud tenant's apps.",
            ),
            (
                "medium",
                True,
                "Is a cybersecurity risk assessment performed at least yearly?",
                "ID.RA: a risk assessment ranks what to fix first.",
                "Ask for the last assessment and the actions it produced.",
            ),
        ],
    ),
    (
        "Cybersecurity: Protect (NIST CSF 2.0 PR)",
        [
            (
                "high",
                False,
                "Is multi-factor authentication enforced for e-mail, remote access and admin accounts?",
                "PR.AA: MFA stops most account takeovers from stolen passwords.",
                "Check the identity provider's MFA report for users and admins without it.",
            ),
            (
                "high",
                False,
                "Are operating systems and applications patched within 30 days (critical within 14)?",
                "PR.PS: unpatched vulnerabilities are the most common way in.",
                "Review the RMM's patch compliance report for the last month.",
            ),
            (
                "high",
                False,
                "Do staff receive security awareness training and phishing tests at least yearly?",
                "PR.AT: people are the target of most attacks.",
                "Check training completion records and the last phishing test's results.",
            ),
            (
                "medium",
                True,
                "Is administrative access limited to separate admin accounts used only for admin work?",
                "PR.AA: separate admin accounts limit what a compromised daily account can do.",
                "List accounts with admin roles; check none is used for e-mail or browsing.",
            ),
        ],
    ),
    (
        "Cybersecurity: Detect (NIST CSF 2.0 DE)",
        [
            (
                "high",
                False,
                "Is endpoint detection and response (EDR) on every server and workstation?",
                "DE.CM: EDR catches what antivirus misses and records what happened.",
                "Compare the EDR console's device count with the asset inventory.",
            ),
            (
                "medium",
                True,
                "Are security logs (identity, firewall, endpoint) collected and monitored centrally?",
                "DE.CM / DE.AE: detection needs the logs in one place and someone watching them.",
                "Check the SIEM or SOC service's sources and the last alert handled.",
            ),
        ],
    ),
    (
        "Cybersecurity: Respond (NIST CSF 2.0 RS)",
        [
            (
                "high",
                False,
                "Is there a written incident response plan with contacts, and has it been exercised?",
                "RS.MA: a practised plan shortens an incident and its cost.",
                "Ask for the plan and the date of the last tabletop exercise.",
            ),
            (
                "medium",
                False,
                "Is cyber insurance in place, and do its requirements match the controls in use?",
                "RS.CO: a claim can be refused when required controls were missing.",
                "Compare the policy's control questionnaire with the current state.",
            ),
        ],
    ),
    (
        "Cybersecurity: Recover (NIST CSF 2.0 RC)",
        [
            (
                "high",
                False,
                "Are backups of servers, cloud data and SaaS kept offsite and immutable, and restored in tests?",
                "RC.RP: only a tested, untouchable backup recovers from ransomware.",
                "Check the backup report and the date and result of the last restore test.",
            ),
            (
                "medium",
                False,
                "Are recovery time and recovery point objectives agreed with the business?",
                "RC.RP: agreed objectives decide how backups and failover are designed.",
                "Ask leadership how long they can be down and how much data they can lose; compare with the design.",
            ),
        ],
    ),
    (
        "Infrastructure",
        [
            (
                "high",
                False,
                "Are firewalls, switches and access points under support and on current firmware?",
                "Network equipment without firmware updates carries known vulnerabilities.",
                "List network devices with their firmware and support end dates.",
            ),
            (
                "medium",
                False,
                "Is the network segmented (guests, staff, servers, devices) with rules between segments?",
                "Segmentation limits how far an intruder or a fault spreads.",
                "Review the VLANs and the firewall rules between them.",
            ),
            (
                "medium",
                False,
                "Are workstations and servers within their planned lifecycle (e.g. under 5 years)?",
                "Old hardware fails more often and may not run supported operating systems.",
                "Sort the asset inventory by age; count devices past the lifecycle.",
            ),
            (
                "medium",
                False,
                "Is the internet connection resilient (a second line or failover) where the business needs it?",
                "A single line is a single point of failure for cloud-based work.",
                "Check the circuits in place and the last outage's impact.",
            ),
            (
                "low",
                True,
                "Is infrastructure documented: network diagram, IP plan, credentials in a vault?",
                "Documentation makes support faster and survives staff changes.",
                "Open the documentation platform; check the diagram matches the site.",
            ),
        ],
    ),
]


def question_id(version: int, section: int, position: int) -> uuid.UUID:
    return uuid.uuid5(STARTER_ID, f"{version}:{section}:{position}")


def rows(version: int, now: dt.datetime) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The starter's standard row and question rows for one version (published, for every tenant)."""
    standard = {
        "id": STARTER_ID,
        "version": version,
        "tenant_id": None,
        "status": "published",
        "name": NAME,
        "description": DESCRIPTION,
        "created_at": now,
        "updated_at": now,
        "published_at": now,
    }
    questions = [
        {
            "id": question_id(version, s, n),
            "standard_id": STARTER_ID,
            "standard_version": version,
            "section_position": s,
            "section_name": name,
            "position": n,
            "text": text,
            "why": why,
            "how_to": how_to,
            "priority": priority,
            "internal_only": internal,
        }
        for s, (name, items) in enumerate(SECTIONS, start=1)
        for n, (priority, internal, text, why, how_to) in enumerate(items, start=1)
    ]
    return standard, questions
