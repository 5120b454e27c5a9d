"""Legal vocabulary: clause concepts recognised from headings, which of them are high-risk, and query synonyms.

Headings differ between drafters ("Governing Law" / "Choice of Law", "Limitation of Liability" / "Liability
Cap"); mapping them to concepts lets the aligner pair clauses by meaning rather than by spelling.
"""

from __future__ import annotations

import re

from shared.analysis.offline.similarity import fold, stem, wordlist, words

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

_NUMBERING = re.compile(
    r"^\s*(?:(?:section|article|clause|schedule)\s+)?(?:[0-9]+(?:\.[0-9]+)*|[ivxlc]+|[a-z])[.):]?\s+", re.I
)
_NON_WORD = re.compile(r"[^a-z0-9]+")


def normalize_heading(title: str) -> str:
    """'**9. Governing Law & Jurisdiction.**' -> 'governing law and jurisdiction'."""
    text = fold(title).replace("&", " and ").replace("*", " ").replace("#", " ").replace("_", " ").strip()
    text = _NUMBERING.sub("", text)
    return " ".join(_NON_WORD.sub(" ", text).split())


_PHRASE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (concept, re.compile(r"\b" + re.escape(phrase) + r"\b"))
    for concept, phrases in CONCEPT_PHRASES.items()
    for phrase in sorted(phrases, key=len, reverse=True)
]


def heading_concepts(title: str) -> frozenset[str]:
    """Concepts named by a heading: 'Term and Termination' -> {term, termination}."""
    normalized = normalize_heading(title)
    found = {concept for concept, pattern in _PHRASE_PATTERNS if pattern.search(normalized)}
    # "Limitation of Liability" also contains "liability"; "Non-Disclosure" also contains "disclosure": fine,
    # the concept is the same. But a heading that names a term *of* something else is about that thing.
    if "term" in found and re.search(r"\bterm of (confidentiality|non)", normalized):
        found.add("confidentiality")
    return frozenset(found)


def heading_terms(title: str) -> frozenset[str]:
    return frozenset(stem(w) for w in words(normalize_heading(title)) if len(w) > 2 and w not in _HEADING_STOP)


_HEADING_STOP = frozenset({"and", "the", "of", "for", "to", "in", "on", "by", "with", "clause", "section", "general"})


def is_high_risk(concepts: frozenset[str]) -> bool:
    return bool(concepts & HIGH_RISK)


# Query expansion: stemmed term -> related stemmed terms (weighted lower than the asked terms).
_SYNONYM_GROUPS: tuple[tuple[str, ...], ...] = (
    ("govern", "law", "choice", "construed", "jurisdiction", "court", "venue", "state"),
    ("jurisdiction", "court", "venue", "forum", "arbitration", "dispute"),
    ("terminat", "cancel", "expir", "end", "notice"),
    ("term", "duration", "period", "expir", "year", "month", "surviv"),
    ("confidential", "nondisclosur", "disclos", "secret", "proprietary"),
    ("liability", "liabl", "limit", "cap", "exceed", "damag", "aggregat"),
    ("indemnif", "indemnity", "indemnify", "harmles", "defend"),
    ("compet", "noncompet", "competitor", "restrict"),
    ("solicit", "nonsolicit", "hire", "employ", "recruit", "poach"),
    ("pay", "paid", "payment", "payable", "fee", "invoic", "compensat", "salary", "rent", "price"),
    ("assign", "transfer", "successor"),
    ("intellectual", "property", "ownership", "own", "proprietary", "licens", "invent"),
    ("warranty", "warrant", "represent", "disclaim"),
    ("renew", "extend", "extens", "automatic"),
    ("insur", "coverag", "polic"),
    ("deposit", "security"),
)

SYNONYMS: dict[str, tuple[str, ...]] = {}
for _group in _SYNONYM_GROUPS:
    for _term in _group:
        # Stemmed like document terms, so "construed" in the list meets "construed" in a clause.
        _related = tuple(stem(t) for t in _group if t != _term)
        SYNONYMS[stem(_term)] = tuple(dict.fromkeys(SYNONYMS.get(stem(_term), ()) + _related))

# Words of the question that say nothing about the topic ("What does the agreement say about ...").
QUESTION_STOP = frozenset(
    stem(w)
    for w in wordlist(
        """what which who whom how does do did is are was there any some contract contracts agreement
    agreements clause clauses provision provisions section sections say says said about regarding concerning
    apply applies applicable party parties between under include includes included contain contains
    specify specifies specified state stated provide provides provided describe describes tell me list
    each every please find show much many long"""
    )
)
