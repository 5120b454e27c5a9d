"""`python -m devhost [--port 7071] [--app-dir .] [--state-dir .devhost]`"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from devhost.host import DevHost


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m devhost", description="Run a Python v2 Functions app locally.")
    parser.add_argument("--port", type=int, default=7071, help="HTTP port on 127.0.0.1 (0 picks a free one)")
    parser.add_argument("--app-dir", type=Path, default=Path("."), help="directory holding function_app.py")
    parser.add_argument("--state-dir", type=Path, default=None, help="durable state (default <app-dir>/.devhost)")
    parser.add_argument("--log-level", default="INFO", help="Python logging level (default INFO)")
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    host = DevHost(args.app_dir, args.state_dir, port=args.port)
    await host.start()
    try:
        await stop.wait()
        logging.getLogger("devhost").info("shutting down")
    finally:
        await host.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    try:
        asyncio.run(run(args))
    except Exception as exc:
        print(f"devhost: error: {exc}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
