"""Write infra/cosmos-containers.json from the app's own container definitions (shared/storage/setup.py), so the
Bicep (infra/modules/cosmos.bicep, through loadJsonContent) creates exactly the containers the code uses: the same
names, partition key, default TTLs and index policies. tests/infra/test_cosmos_containers.py fails when they drift.

    python scripts/cosmos_containers.py          # rewrite the file
    python scripts/cosmos_containers.py --check  # exit 1 when it is out of date
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from shared.settings import Settings  # noqa: E402
from shared.storage.setup import container_specs, load_policy  # noqa: E402

OUTPUT = ROOT / "infra" / "cosmos-containers.json"
PARTITION_KEY = "/user_id"  # every container (shared/storage/setup.py ensure_cosmos)


def container_resources(job_ttl_seconds: int) -> list[dict[str, Any]]:
    """The `resource` body of each Microsoft.DocumentDB/.../containers, as ARM wants it."""
    resources = []
    for spec in container_specs(job_ttl_seconds):
        resource: dict[str, Any] = {
            "id": spec.name,
            "partitionKey": {"paths": [PARTITION_KEY], "kind": "Hash", "version": 2},
            "indexingPolicy": load_policy(spec.policy),
        }
        if spec.default_ttl is not None:  # absent: TTL off, as ensure_cosmos leaves it
            resource["defaultTtl"] = spec.default_ttl
        resources.append(resource)
    return resources


def render() -> str:
    defaults = Settings()
    document = {
        "_generated": "by scripts/cosmos_containers.py from shared/storage/setup.py; do not edit",
        "database": defaults.cosmos_database,
        "jobTtlSeconds": defaults.job_ttl_seconds,
        "containers": container_resources(defaults.job_ttl_seconds),
    }
    return json.dumps(document, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the file is not what the code says")
    args = parser.parse_args(argv)
    wanted = render()
    current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else None
    if args.check:
        if current != wanted:
            print(
                f"{OUTPUT.relative_to(ROOT)} is out of date: run python scripts/cosmos_containers.py", file=sys.stderr
            )
            return 1
        return 0
    if current != wanted:
        OUTPUT.write_text(wanted, encoding="utf-8")
        print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
