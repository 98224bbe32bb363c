"""The console's translations compiled: each locale/<lang>/LC_MESSAGES/django.po (in git) to the
django.mo beside it (a build product, git-ignored), with Babel (a runtime dependency already), so
neither the image nor a laptop needs GNU gettext. Only a catalog whose .po is newer than its .mo
is compiled.

Run by `make install`, the Dockerfile and the test session (conftest.py): `python -m
clinicbot.catalogs`. Uses no Django setting, so it runs before any is configured.
"""

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def stale_catalogs(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """The .po files whose .mo is missing or older."""
    return [
        po
        for po in sorted(locale_dir.glob("*/LC_MESSAGES/*.po"))
        if not po.with_suffix(".mo").exists()
        or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]


def catalogs_compile(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Compiles the stale catalogs; the .mo files written. Fuzzy entries are left out, as
    msgfmt does: a guess is not shown to staff."""
    written = []
    for po in stale_catalogs(locale_dir):
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name)
        mo = po.with_suffix(".mo")
        with mo.open("wb") as target:
            write_mo(target, catalog, use_fuzzy=False)
        written.append(mo)
    return written


if __name__ == "__main__":
    compiled = catalogs_compile()
    print(f"{len(compiled)} catalog(s) compiled", file=sys.stderr)
