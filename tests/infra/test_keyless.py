"""No key, password or connection string with a secret anywhere in infra/, azure.yaml or the code that runs in Azure:
no listKeys() (or any list*Keys / listConnectionStrings), no AccountKey=, every service's key auth turned off, and
the only secure parameter is the generated telemetry salt."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INFRA_FILES = [
    *sorted((ROOT / "infra").rglob("*.bicep")),
    *sorted((ROOT / "infra").rglob("*.json")),
    ROOT / "azure.yaml",
]
# What is deployed (.funcignore leaves out tests/, devhost/, bench/, scripts/).
APP_CODE = [
    ROOT / "function_app.py",
    *sorted((ROOT / "api").rglob("*.py")),
    *sorted((ROOT / "activities").rglob("*.py")),
    *sorted((ROOT / "orchestrators").rglob("*.py")),
    *sorted((ROOT / "shared").rglob("*.py")),
]
SECRET_PATTERNS = re.compile(
    r"listKeys\(|list[A-Za-z]*Keys\(|listConnectionStrings\(|listCredentials\(|listSecrets\(|AccountKey=|"
    r"SharedAccessKey=|primaryMasterKey|primaryKey\b|InstrumentationKey=[0-9a-f]",
    re.IGNORECASE,
)


def test_no_key_is_fetched_or_written_anywhere() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in [*INFRA_FILES, *APP_CODE]
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if SECRET_PATTERNS.search(line)
    ]
    assert offenders == []


def test_every_service_refuses_keys() -> None:
    bicep = {p.name: p.read_text() for p in (ROOT / "infra" / "modules").glob("*.bicep")}
    assert "allowSharedKeyAccess: false" in bicep["storage.bicep"]
    assert "allowBlobPublicAccess: false" in bicep["storage.bicep"]
    assert "minimumTlsVersion: 'TLS1_2'" in bicep["storage.bicep"]
    assert "disableLocalAuth: true" in bicep["cosmos.bicep"]
    assert "disableLocalAuth: true" in bicep["openai.bicep"]
    assert "DisableLocalAuth: true" in bicep["monitoring.bicep"]
    # Publishing with user name and password is off for both endpoints.
    assert bicep["function-app.bicep"].count("allow: false") == 2
    # Every data-plane role goes to a principal id, never a key handed to the app.
    assert "sqlRoleAssignments" in bicep["cosmos.bicep"]
    assert "00000000-0000-0000-0000-000000000002" in bicep["cosmos.bicep"]  # Cosmos DB Built-in Data Contributor
    assert "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd" in bicep["openai-access.bicep"]  # Cognitive Services OpenAI User


def test_the_only_secure_parameter_is_the_generated_salt() -> None:
    secure = []
    for path in (ROOT / "infra").rglob("*.bicep"):
        lines = path.read_text().splitlines()
        for index, line in enumerate(lines):
            if line.strip() == "@secure()":
                following = next(x for x in lines[index + 1 :] if x.startswith("param "))
                secure.append(following.split()[1])
    assert secure == ["telemetryUserSalt"]
    main = (ROOT / "infra" / "main.bicep").read_text()
    assert "type: 'generate'" in main  # azd generates it once and keeps it in the environment: not a literal
    assert "telemetryUserSalt" not in (ROOT / "infra" / "main.parameters.json").read_text()
