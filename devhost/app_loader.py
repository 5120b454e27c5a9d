"""Import an app's function_app.py the way the Python worker does (script root on sys.path)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import azure.functions as func

SCRIPT_FILE = "function_app.py"
MODULE_NAME = "function_app"


class AppLoadError(Exception):
    def __init__(self, app_dir: Path, reason: str) -> None:
        super().__init__(f"cannot load {app_dir / SCRIPT_FILE}: {reason}")
        self.app_dir = app_dir


def load_app(app_dir: Path) -> Any:
    """Import function_app.py fresh and return its single FunctionApp (FunctionRegister) instance."""
    script = app_dir / SCRIPT_FILE
    if not script.is_file():
        raise AppLoadError(app_dir, "file not found")
    if str(app_dir) not in sys.path:
        # The worker puts the script root first so the app's own packages import as top-level modules.
        sys.path.insert(0, str(app_dir))
    # A previous app (another test) may have left its module behind; the worker always starts clean.
    sys.modules.pop(MODULE_NAME, None)
    spec = importlib.util.spec_from_file_location(MODULE_NAME, script)
    if spec is None or spec.loader is None:
        raise AppLoadError(app_dir, "not importable")
    module = importlib.util.module_from_spec(spec)
    sys.modules[MODULE_NAME] = module
    spec.loader.exec_module(module)
    apps = [v for v in vars(module).values() if isinstance(v, func.FunctionRegister)]
    if len(apps) != 1:
        raise AppLoadError(app_dir, f"expected exactly one FunctionApp object at module level, found {len(apps)}")
    return apps[0]
