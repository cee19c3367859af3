"""Shared by the project's Python checks (scripts/check-*): pinned tools from PyPI, installed
once into .build/tools/python when the machine does not already have them."""
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
TOOLS = ROOT / ".build" / "tools"


def python_module(name, pin):
    """Imports `name`, installing the pinned distribution `pin` first if it is missing."""
    target = TOOLS / "python"
    if target.is_dir() and str(target) not in sys.path:
        sys.path.insert(0, str(target))
    try:
        return __import__(name)
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        "--no-warn-conflicts", "--root-user-action=ignore", "--target", str(target), pin], check=True)
        if str(target) not in sys.path:
            sys.path.insert(0, str(target))
        return __import__(name)
