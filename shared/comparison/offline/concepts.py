"""Clause concepts recognised from headings, and which of them are high-risk or boilerplate.

Headings differ between drafters ("Governing Law" / "Choice of Law", "Limitation of Liability" / "Liability
Cap"); mapping them to concepts lets the aligner pair clauses by meaning rather than by spelling, and lets the
comparison rate a deviation by what the clause is about.
"""

from __future__ import annotations

import re
from functools import lru_cache

from shared.analysis.offline.comparable_headings import normalize_heading
from shared.analysis.offline.similarity import stem, words

# concept -> heading phrases (normalized: lower-case words separated by single spaces).
CONCEPT_PHRASES: dict[str, tuple[str, ...]] = {
    "governing_law": ("governing law", "governing laws", "choice of law", "applicable law", "law governing"),
    "jurisdiction": ("jurisdiction", "venue", "forum", "courts", "dispute resolution", "arbitration", "disputes"),
    "term": ("term", "duration", "term of agreement", "period of agreement", "term of confidentiality"),
    "termination": ("termination", "terminate", "cancellation", "expiration"),
    "liability_cap": (
        "limitation of liability",
        "limitations of liability",
        "limitation on liability",
        "liability cap",
        "cap on liability",
        "limited liability",
        "liability",
        "damages",
    ),
    "indemnity": ("indemnification", "indemnity", "indemnities", "hold harmless", "indemnify"),
    "confidentiality": (
        "confidentiality",
        "confidential information",
        "confidential",
        "non disclosure",
        "nondisclosure",
        "protection of information",
    ),
    "ip": (
        "intellectual property",
        "ip",
        "ip ownership",
        "ownership",
        "proprietary rights",
        "work product",
        "inventions",
        "license",
        "licenses",
    ),
    "non_compete": (
        "non compete",
        "noncompete",
        "non competition",
        "noncompetition",
        "covenant not to compete",
        "restrictive covenants",
        "restrictive covenant",
        "exclusivity",
    ),
    "non_solicit": (
        "non solicitation",
        "nonsolicitation",
        "non solicit",
        "no solicitation",
        "no hire",
        "no poach",
        "no poaching",
        "solicitation",
    ),
    "payment": (
        "payment",
        "payments",
        "payment terms",
        "fees",
        "fee",
        "compensation",
        "rent",
        "invoicing",
        "pricing",
        "salary",
        "charges",
        "taxes",
    ),
    "notices": ("notice", "notices"),
    "assignment": ("assignment", "assign", "successors and assigns"),
    "entire_agreement": ("entire agreement", "integration", "merger"),
    "severability": ("severability", "severable"),
    "waiver": ("waiver", "no waiver"),
    "amendment": ("amendment", "amendments", "modification", "modifications"),
    "force_majeure": ("force majeure",),
    "warranty": ("warranty", "warranties", "representations", "disclaimer", "disclaimers"),
    "remedies": ("equitable relief", "injunctive relief", "remedies", "specific performance"),
    "return": ("return of", "destruction", "return or destruction"),
    "insurance": ("insurance",),
    "audit": ("audit", "audit rights", "records"),
    "definitions": ("definitions", "defined terms", "interpretation"),
    "counterparts": ("counterparts",),
    "exceptions": ("exceptions", "exclusions"),
    "required_disclosure": ("required by law", "compelled disclosure", "legally required"),
    "purpose": ("purpose", "introduction", "background", "recitals"),
    "services": ("services", "scope of work", "statement of work", "deliverables", "duties", "position"),
    "benefits": ("benefits", "vacation", "paid time off"),
    "premises": ("premises", "use of premises", "maintenance", "repairs", "security deposit", "deposit"),
}

# Deviations in these clauses are what a reviewing lawyer escalates first.
HIGH_RISK = frozenset(
    {
        "governing_law",
        "jurisdiction",
        "term",
        "termination",
        "liability_cap",
        "indemnity",
        "confidentiality",
        "ip",
        "non_compete",
        "non_solicit",
        "payment",
    }
)
# Boilerplate whose addition rarely matters.
BOILERPLATE = frozenset(
    {"notices", "entire_agreement", "severability", "waiver", "amendment", "counterparts", "definitions"}
)

_PHRASE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (concept, re.compile(r"\b" + re.escape(phrase) + r"\b"))
    for concept, phrases in CONCEPT_PHRASES.items()
    for phrase in sorted(phrases, key=len, reverse=True)
]


@lru_cache(maxsize=8192)  # every pair of clauses compares headings: each heading is read once
def heading_concepts(title: str) -> frozenset[str]:
    """Concepts named by a heading: 'Term and Termination' -> {term, termination}."""
    normalized = normalize_heading(title)
    found = {concept for concept, pattern in _PHRASE_PATTERNS if pattern.search(normalized)}
    # "Limitation of Liability" also contains "liability"; "Non-Disclosure" also contains "disclosure": fine,
    # the concept is the same. But a heading that names a term *of* something else is about that thing.
    if "term" in found and re.search(r"\bterm of (confidentiality|non)", normalized):
        found.add("confidentiality")
    return frozenset(found)


@lru_cache(maxsize=8192)
def heading_terms(title: str) -> frozenset[str]:
    return frozenset(stem(w) for w in words(normalize_heading(title)) if len(w) > 2 and w not in _HEADING_STOP)


_HEADING_STOP = frozenset({"and", "the", "of", "for", "to", "in", "on", "by", "with", "clause", "section", "general"})


def is_high_risk(concepts: frozenset[str]) -> bool:
    return bool(concepts & HIGH_RISK)
