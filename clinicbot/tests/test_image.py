"""The production image holds the product and its runtime dependencies, and no test tooling.

Docker is not at hand where the suite runs, so these tests read the Dockerfile, .dockerignore
and the locks, and build the image's file tree (the build context .dockerignore leaves) by hand.
"""

import os
import re
import shlex
import shutil
import subprocess
import sys

import pytest

from testing.servers import PROJECT_ROOT, clean_environment

TEST_TOOLING = {"testing", "bench"}
TEST_TOOLS = {"pytest", "playwright", "ruff", "time-machine", "import-linter"}


def instructions(dockerfile: str) -> list[str]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", dockerfile)
    return [line.strip() for line in joined.splitlines() if line.strip() and line[0] != "#"]


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked(lock_file: str) -> dict[str, str]:
    """Package -> version of a lock; fails on any line not pinned with == and hashes."""
    text = (PROJECT_ROOT / lock_file).read_text()
    requirements = [
        line
        for line in re.sub(r"\\\n", " ", text).splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    pinned = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)(\s+--hash=sha256:[0-9a-f]{64})+\s*$")
    versions = {}
    for line in requirements:
        match = pinned.match(line)
        assert match, f"{lock_file}: not pinned with == and hashes: {line[:80]}"
        versions[normalized(match[1])] = match[2]
    return versions


def listed(requirements_in: str) -> set[str]:
    """The names a requirements .in file lists itself (not through -r)."""
    names = set()
    for line in (PROJECT_ROOT / requirements_in).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            names.add(normalized(re.split(r"[\[<>=!~;\s]", line)[0]))
    return names


# --- the build context, as Docker computes it from .dockerignore ----------------------------


def _pattern_regex(pattern: str) -> re.Pattern:
    regex, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            regex, i = regex + "(.*/)?", i + 3  # any number of folders, none included
        elif pattern.startswith("**", i):
            regex, i = regex + ".*", i + 2
        elif pattern[i] == "*":
            regex, i = regex + "[^/]*", i + 1
        elif pattern[i] == "?":
            regex, i = regex + "[^/]", i + 1
        else:
            regex, i = regex + re.escape(pattern[i]), i + 1
    return re.compile(regex + "$")


def ignore_rules() -> list[tuple[bool, re.Pattern]]:
    rules = []
    for line in (PROJECT_ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = os.path.normpath(line.removeprefix("!")).lstrip("/")
        rules.append((negated, _pattern_regex(pattern)))
    return rules


def is_ignored(path: str, rules) -> bool:
    """Docker's rule: a pattern that matches a folder matches all it holds; the last pattern
    that matches the path or one of its folders decides."""
    parts = path.split("/")
    candidates = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    ignored = False
    for negated, regex in rules:
        if any(regex.match(candidate) for candidate in candidates):
            ignored = not negated
    return ignored


def build_context() -> list[str]:
    """Every file of the project that Docker would send to the build."""
    rules = ignore_rules()
    can_prune = not any(negated for negated, _ in rules)
    files = []
    for folder, subfolders, names in os.walk(PROJECT_ROOT):
        relative = os.path.relpath(folder, PROJECT_ROOT)
        prefix = "" if relative == "." else relative + "/"
        if can_prune:
            subfolders[:] = [s for s in subfolders if not is_ignored(prefix + s, rules)]
        files += [prefix + name for name in names if not is_ignored(prefix + name, rules)]
    return files


# --- the tests -------------------------------------------------------------------------------


def test_the_image_installs_the_runtime_lock_and_nothing_else():
    steps = instructions((PROJECT_ROOT / "Dockerfile").read_text())
    installs = [step for step in steps if step.startswith("RUN") and "pip install" in step]
    assert len(installs) == 1, installs
    arguments = shlex.split(installs[0])
    requirement_files = [arguments[i + 1] for i, a in enumerate(arguments) if a == "-r"]
    assert requirement_files == ["requirements-lock.txt"]
    assert "--no-deps" in arguments and "--require-hashes" in arguments
    assert not [step for step in steps if "requirements-dev" in step]


def test_the_runtime_lock_holds_no_test_tool():
    runtime = locked("requirements-lock.txt")
    tools = {name for name in runtime if name in TEST_TOOLS or name.startswith("pytest-")}
    assert not tools
    assert not listed("requirements-dev.in") & set(runtime)


def test_a_package_in_both_locks_has_the_same_version_in_both():
    runtime, development = locked("requirements-lock.txt"), locked("requirements-dev-lock.txt")
    assert set(runtime) <= set(development)
    assert {name: development[name] for name in runtime} == runtime
    assert listed("requirements-dev.in") <= set(development)


def test_dockerignore_keeps_tests_test_tooling_and_local_state_out():
    rules = ignore_rules()
    for path in [
        "testing/stack.py",
        "testing/tests/test_fault_proxy.py",
        "bench/run.py",
        "channels/evolution/tests/test_credentials.py",
        "testing/servers.py",
        "security/tests/conftest.py",
        "conftest.py",
        "requirements-dev.in",
        "requirements-dev-lock.txt",
        ".git/HEAD",
        ".venv/bin/python",
        ".env",
        "db.sqlite3",
        ".pytest_cache/README.md",
        ".ruff_cache/CACHEDIR.TAG",
        "conversations/__pycache__/models.cpython-311.pyc",
        "staticfiles/staticfiles.json",
        "test-artifacts/screenshots/inbox.png",
        "locale/ru/LC_MESSAGES/django.mo",
    ]:
        assert is_ignored(path, rules), path
    for path in [
        "manage.py",
        "requirements-lock.txt",
        "clinicbot/settings.py",
        "conversations/demo/smile-dental.json",
        "conversations/templates/admin/conversations/dashboard.html",
        "locale/he/LC_MESSAGES/django.po",
    ]:
        assert not is_ignored(path, rules), path


def test_the_build_context_holds_no_test_or_test_tooling_file():
    context = build_context()
    assert "manage.py" in context and "requirements-lock.txt" in context
    unwanted = [
        path
        for path in context
        if path.split("/")[0] in TEST_TOOLING
        or "tests" in path.split("/")
        or path.startswith("requirements-dev")
    ]
    assert not unwanted


@pytest.fixture
def image_tree(tmp_path):
    """The files the image's `COPY . .` brings in, in a scratch folder."""
    tree = tmp_path / "app"
    for path in build_context():
        (tree / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT_ROOT / path, tree / path)
    return tree


def test_the_image_tree_collects_its_static_files_and_passes_its_checks(image_tree):
    def manage(*args, **environment):
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=image_tree,
            env=clean_environment(**environment),
            capture_output=True,
            text=True,
            timeout=120,
        )

    # As the Dockerfile runs it: DEBUG false, no secret.
    collected = manage("collectstatic", "--noinput", DEBUG="false")
    assert collected.returncode == 0, collected.stderr
    assert (image_tree / "staticfiles" / "staticfiles.json").exists()
    checked = manage("check", DEBUG="true")
    assert checked.returncode == 0, checked.stderr
    assert not (image_tree / "testing").exists() and not (image_tree / "bench").exists()


def test_the_image_tree_compiles_the_consoles_translations(image_tree):
    """As the Dockerfile runs it: every catalog compiled in the image, none brought in."""
    catalogs = sorted(image_tree.glob("locale/*/LC_MESSAGES/django.po"))
    assert {po.parent.parent.name for po in catalogs} == {"ru", "es", "pt", "uk", "he"}
    assert not list(image_tree.glob("locale/*/LC_MESSAGES/django.mo"))
    compiled = subprocess.run(
        [sys.executable, "-m", "clinicbot.catalogs"],
        cwd=image_tree,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert compiled.returncode == 0, compiled.stderr
    assert all(po.with_suffix(".mo").stat().st_size > 1000 for po in catalogs)
