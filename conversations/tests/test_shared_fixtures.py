from pathlib import Path

import pytest

from conftest import EVOLUTION_FIXTURES, FIXTURES, SHARED_FIXTURES

# Where each shared folder is vendored: the gateway bodies beside their channel's tests.
VENDORED = {"clinics": FIXTURES / "clinics", "evolution": EVOLUTION_FIXTURES}


@pytest.mark.skipif(not SHARED_FIXTURES.exists(), reason="no ../shared/fixtures beside this clone")
def test_the_vendored_fixtures_match_the_shared_ones():
    shared = sorted(p.relative_to(SHARED_FIXTURES) for p in SHARED_FIXTURES.rglob("*.json"))
    vendored = sorted(
        Path(folder) / p.relative_to(path)
        for folder, path in VENDORED.items()
        for p in path.rglob("*.json")
    )
    assert vendored == shared
    for name in shared:
        copy = VENDORED[name.parts[0]] / name.relative_to(name.parts[0])
        assert copy.read_bytes() == (SHARED_FIXTURES / name).read_bytes(), name
