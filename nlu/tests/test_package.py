"""The language layer stands on its own: no Django, nothing else of the project."""

import pkgutil
import subprocess
import sys
from pathlib import Path

import nlu

ROOT = Path(__file__).resolve().parents[2]
PROJECT_PACKAGES = ("clinicbot", "conversations", "pricing", "followups", "security")


def product_modules() -> list[str]:
    return [
        info.name
        for info in pkgutil.walk_packages(nlu.__path__, prefix="nlu.")
        if not info.name.startswith("nlu.tests")
    ]


def test_importing_every_module_of_nlu_loads_no_django_and_no_other_package_of_the_project():
    modules = product_modules()
    assert "nlu.catalog" in modules and "nlu.lexicon.he" in modules
    forbidden = ("django", *PROJECT_PACKAGES)
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {forbidden!r})\n"
        "print(' '.join(loaded))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == []
