import pytest

from conftest import FIXTURES, SHARED_FIXTURES


@pytest.mark.skipif(not SHARED_FIXTURES.exists(), reason="no ../shared/fixtures beside this clone")
def test_the_vendored_fixtures_match_the_shared_ones():
    shared = sorted(p.relative_to(SHARED_FIXTURES) for p in SHARED_FIXTURES.rglob("*.json"))
    vendored = sorted(p.relative_to(FIXTURES) for p in FIXTURES.rglob("*.json"))
    assert vendored == shared
    for name in shared:
        assert (FIXTURES / name).read_bytes() == (SHARED_FIXTURES / name).read_bytes(), name
