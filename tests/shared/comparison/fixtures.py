"""A small standard NDA written for these tests, and edits a reviewer would care about."""

from __future__ import annotations

STANDARD: list[tuple[str, str]] = [
    (
        "Definitions",
        "“Confidential Information” means all non-public business, technical and financial information disclosed "
        "by one party to the other, whether orally or in writing, that is marked confidential or would reasonably "
        "be understood to be confidential.",
    ),
    (
        "Obligations",
        "The Receiving Party shall hold Confidential Information in strict confidence and shall not disclose it "
        "to any third party except its employees and advisers who need to know it for the Purpose. The Receiving "
        "Party shall protect Confidential Information with at least reasonable care.",
    ),
    (
        "Term",
        "This Agreement remains in effect for two (2) years from the Effective Date. The obligations of "
        "confidentiality survive for a period of five (5) years after termination of this Agreement.",
    ),
    (
        "Limitation of Liability",
        "In no event shall either party's aggregate liability under this Agreement exceed $100,000. Neither "
        "party is liable for indirect or consequential damages.",
    ),
    (
        "Governing Law",
        "This Agreement is governed by the laws of the State of Delaware, without regard to its conflict of laws "
        "rules. The courts located in Wilmington, Delaware have exclusive jurisdiction.",
    ),
    (
        "Notices",
        "All notices must be in writing and are effective when delivered by hand or by email to the address "
        "stated above.",
    ),
    (
        "Entire Agreement",
        "This Agreement is the entire agreement between the parties about its subject matter and supersedes all "
        "prior discussions.",
    ),
]

NON_SOLICIT = (
    "Non-Solicitation",
    "For twelve (12) months after the Effective Date, neither party shall solicit for employment any employee "
    "of the other party with whom it had contact in connection with the Purpose.",
)


def edited(replacements: dict[str, tuple[str, str]]) -> list[tuple[str, str]]:
    """STANDARD with (old -> new) text edits per clause title."""
    out = []
    for title, text in STANDARD:
        if title in replacements:
            old, new = replacements[title]
            assert old in text, (title, old)
            text = text.replace(old, new)
        out.append((title, text))
    return out
