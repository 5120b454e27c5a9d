"""Run a DurableEngine for a sample app until killed (used by the crash tests).

    python tests/devhost/durable/run_engine.py <app> <state_dir> <binding_file>

Writes the durableClient binding JSON to <binding_file> once the engine has started.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.devhost.durable.conftest import make_engine  # noqa: E402


async def main(app: str, state_dir: Path, binding_file: Path) -> None:
    engine = make_engine(state_dir, app=app)
    await engine.start()
    tmp = binding_file.with_suffix(".tmp")
    tmp.write_text(engine.client_binding(), encoding="utf-8")
    tmp.replace(binding_file)  # atomic: the test never reads a half-written file
    try:
        await asyncio.Event().wait()
    finally:
        await engine.stop()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    asyncio.run(main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])))
