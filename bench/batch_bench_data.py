"""Synthetic contracts and prompts for bench/batch_bench.py: deterministic, every document different (its own
number, parties, amounts and clause choices, so no two share a hash and the answer cache reuses nothing),
plain text (about 2-3.5 KB) in the shape of real commercial agreements, and ten prompts of the three scoring kinds."""

from __future__ import annotations

import random
from typing import Any

KINDS = (
    ("Mutual Non-Disclosure Agreement", "Disclosing Party", "Receiving Party"),
    ("Master Services Agreement", "Customer", "Supplier"),
    ("Software as a Service Subscription Agreement", "Customer", "Provider"),
    ("Consulting Agreement", "Client", "Consultant"),
    ("Supply Agreement", "Buyer", "Seller"),
)
COMPANIES = (
    "Northwind Traders", "Contoso Pharmaceuticals", "Fabrikam Logistics", "Tailspin Analytics", "Litware Systems",
    "Adventure Works Cycles", "Woodgrove Financial", "Proseware Health", "Wide World Importers", "Alpine Ski House",
    "Blue Yonder Airlines", "Coho Winery", "Lucerne Publishing", "Margie's Travel", "Trey Research",
)  # fmt: skip
LAWS = (
    ("the State of New York", "the state and federal courts located in New York County"),
    ("England and Wales", "the courts of London"),
    ("the State of Delaware", "the courts of Wilmington, Delaware"),
    ("Ireland", "the courts of Dublin"),
    ("the Province of Ontario", "the courts of Toronto"),
)
PROMPTS: list[dict[str, Any]] = [
    {"name": "Governing law", "text": "Which law governs the agreement and which courts resolve disputes?"},
    {
        "name": "Term and renewal",
        "text": "How long does the agreement last and does it renew automatically?",
        "scoring": {"type": "scale", "min": 1, "max": 5},
    },
    {"name": "Termination for convenience", "text": "Can a party terminate the agreement for convenience on notice?"},
    {
        "name": "Liability cap",
        "text": "Is each party's liability limited, and are indirect damages excluded?",
        "scoring": {
            "type": "checks",
            "checks": [
                {"name": "cap", "regex": r"liability .{0,80}shall not exceed"},
                {"name": "indirect excluded", "regex": r"indirect, incidental|consequential damages"},
            ],
        },
    },
    {
        "name": "Confidentiality survival",
        "text": "How long do the confidentiality obligations survive termination?",
        "scoring": {"type": "scale", "min": 1, "max": 5},
    },
    {
        "name": "Payment terms",
        "text": "When are invoices payable and is interest charged on late payment?",
        "scoring": {
            "type": "checks",
            "checks": [
                {"name": "net days", "regex": r"within \w+ \(\d+\) days"},
                {"name": "late interest", "regex": r"interest .{0,40}per month"},
            ],
        },
    },
    {
        "name": "IP indemnity",
        "text": "Does a party indemnify the other against third-party intellectual property claims?",
    },
    {"name": "Assignment", "text": "May a party assign the agreement without the other party's prior written consent?"},
    {
        "name": "Data protection",
        "text": "Must personal data be processed under data protection law, with notice of a security breach?",
        "scoring": {"type": "scale", "min": 1, "max": 5},
    },
    {"name": "Insurance", "text": "Must a party maintain insurance coverage, and of what amount?"},
]
IN_WORDS = {30: "thirty", 45: "forty-five", 60: "sixty", 90: "ninety"}


def _clauses(rng: random.Random, first: str, second: str) -> list[tuple[str, str]]:
    law, courts = rng.choice(LAWS)
    years = rng.randint(1, 5)
    days = rng.choice((30, 45, 60, 90))
    cap = rng.choice(("the fees paid in the twelve (12) months before the claim", "USD 1,000,000", "EUR 500,000"))
    survive = rng.choice(("two (2) years", "three (3) years", "five (5) years", "so long as it remains a trade secret"))
    clauses = [
        ("Definitions", f'"Confidential Information" means any non-public information that the {first} discloses to '
         f"the {second}, whether oral or written, including business plans, prices, software and customer lists. "
         '"Affiliate" means any entity that controls, is controlled by or is under common control with a party.'),
        ("Term", f"This Agreement starts on the Effective Date and continues for {years} year(s). "
         + ("It renews automatically for successive one-year terms unless a party gives notice of non-renewal at "
            f"least {days} days before the end of the then-current term." if rng.random() < 0.6 else
            "It does not renew unless the parties agree in writing.")),
        ("Fees and Payment", f"The {first} shall pay each undisputed invoice within {IN_WORDS[days]} "
         f"({days}) days of receipt. " + ("Late amounts bear interest at one percent (1%) per month or the highest "
         "rate permitted by law, if lower." if rng.random() < 0.7 else "No interest accrues on late amounts.")),
        ("Confidentiality", f"The {second} shall keep the Confidential Information confidential, use it only to "
         "perform this Agreement, and disclose it only to employees and advisers who need to know it and are bound by "
         f"duties of confidentiality at least as strict. These obligations survive termination for {survive}."),
        ("Limitation of Liability", "Neither party shall be liable for any indirect, incidental, special or "
         "consequential damages, or for loss of profits, revenue or data."
         + (f" Each party's total liability under this Agreement shall not exceed {cap}."
            if rng.random() < 0.75 else "")),
        ("Termination", f"Either party may terminate this Agreement for material breach not cured within {days} "
         "days of written notice."
         + (f" Either party may terminate this Agreement for convenience on {days} days' written notice."
            if rng.random() < 0.5 else "")),
        ("Governing Law", f"This Agreement is governed by the laws of {law}, without regard to its conflict of laws "
         f"rules. The parties submit to the exclusive jurisdiction of {courts}."),
    ]  # fmt: skip
    optional = [
        ("Indemnification", f"The {second} shall defend and indemnify the {first} against any third-party claim that "
         "the deliverables infringe a patent, copyright, trademark or trade secret, and pay the damages and costs "
         "finally awarded."),
        ("Assignment", "Neither party may assign or transfer this Agreement without the prior written consent of the "
         "other party, except to an Affiliate or a successor to all or substantially all of its business."),
        ("Data Protection", f"The {second} shall process personal data only on documented instructions, in "
         "accordance with applicable data protection law, and shall notify the other party of a personal data "
         "breach without undue delay and in any event within seventy-two (72) hours."),
        ("Insurance", f"The {second} shall maintain commercial general liability insurance of at least USD "
         f"{rng.choice((1, 2, 5))},000,000 per occurrence and professional liability insurance for the term."),
        ("Notices", "Notices must be in writing and delivered by hand, by courier or by email with confirmation "
         "to the addresses set out above."),
    ]  # fmt: skip
    clauses += [clause for clause in optional if rng.random() < 0.65]
    clauses.append(("Entire Agreement", "This Agreement is the entire agreement between the parties on its subject "
                    "and supersedes all prior agreements and understandings."))  # fmt: skip
    return clauses


def contract_text(index: int) -> str:
    """Contract number `index`: the same text every run, different from every other index."""
    rng = random.Random(index)
    title, first, second = KINDS[index % len(KINDS)]
    one, two = rng.sample(COMPANIES, 2)
    head = (
        f"{title.upper()}\nAgreement No. BB-{index:06d}\n\n"
        f'This {title} (the "Agreement") is made on {rng.randint(1, 28)} {rng.choice(("March", "June", "October"))} '
        f'2024 between {one} Ltd. (the "{first}") and {two} Inc. (the "{second}").\n'
    )
    body = "\n".join(f"{n}. {name}\n{text}\n" for n, (name, text) in enumerate(_clauses(rng, first, second), 1))
    return head + "\n" + body + f"\nSigned for {one} Ltd. and for {two} Inc. by their authorised representatives.\n"


def filename(index: int) -> str:
    return f"agreement-{index:06d}.txt"
