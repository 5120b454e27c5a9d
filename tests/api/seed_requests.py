"""The seed documents' own request bodies (../shared/seeds/000_...), copied verbatim; a test substitutes only the
contract ids with real ones, so the bytes the existing frontend sends are what the app is tested with."""

from __future__ import annotations

# "Test batch mode (>=3 contracts)": POST /api/compare-contracts.
COMPARE_CONTRACTS_BATCH = """{
    "standardContractId": "contract_123",
    "compareContractIds": ["contract_456", "contract_789", "contract_101"],
    "comparisonMode": "clauses",
    "modelSelection": "primary",
    "userEmail": "system"
  }"""

# "Submit comparison job": POST /api/jobs/comparison?user_id=system (the user_id is ignored: the principal counts).
JOBS_COMPARISON_PATH = "/api/jobs/comparison"
JOBS_COMPARISON_QUERY = "user_id=system"
JOBS_COMPARISON = (
    '{"request": {"standardContractId": "contract_123", "compareContractIds": ["contract_456"], '
    '"comparisonMode": "full", "modelSelection": "primary"}, "priority": 5}'
)

SEED_STANDARD = "contract_123"
SEED_COMPARED = ("contract_456", "contract_789", "contract_101")


def with_ids(body: str, standard: str, *compared: str) -> str:
    """`body` with the seed's placeholder contract ids replaced by real ones, nothing else changed."""
    placeholders = [p for p in SEED_COMPARED if f'"{p}"' in body]
    if len(placeholders) != len(compared):
        raise ValueError(f"the seed body names {len(placeholders)} compared contracts, got {len(compared)} ids")
    out = body.replace(f'"{SEED_STANDARD}"', f'"{standard}"')
    for placeholder, real in zip(placeholders, compared, strict=True):
        out = out.replace(f'"{placeholder}"', f'"{real}"')
    return out


def as_clauses_mode(body: str) -> str:
    """The seed's jobs/comparison body as the existing frontend sends it for a clause-by-clause comparison."""
    return body.replace('"comparisonMode": "full"', '"comparisonMode": "clauses"')
