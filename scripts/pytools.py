"""Shared by the project's Python checks (scripts/check-*): pinned tools from PyPI, installed
once into .build/tools/python when the machine does not already have them."""
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
TOOLS = ROOT / ".build" / "tools"


def python_module(name, pin):
    """Imports `name`, installing the pinned distribution `pin` first if it is missing."""
    try:
        return __import__(name)
    except ImportError:
        target = TOOLS / "python"
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        "--target", str(target), pin], check=True)
        sys.path.insert(0, str(target))
        return __import__(name)
