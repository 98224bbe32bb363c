"""The phone blind index: stable, normalising, keyed, and rotation-aware."""

import pytest

from security.blind_index import blind_index, blind_index_candidates, normalize_phone
from security.tests.helpers import new_master_key


@pytest.mark.parametrize(
    "written",
    [
        "+7 (900) 123-45-67",
        "79001234567",
        "+79001234567",
        "0079001234567",
        "7 900 123 45 67",
        "79001234567@s.whatsapp.net",
        "79001234567:12@s.whatsapp.net",
    ],
)
def test_every_way_of_writing_a_number_gives_the_same_index(written):
    assert normalize_phone(written) == "79001234567"
    assert blind_index(written) == blind_index("79001234567")


def test_the_index_is_long_hex_and_stable():
    index = blind_index("+7 900 123-45-67")
    assert len(index) == 64 and int(index, 16) >= 0
    assert blind_index("79001234567") == index


def test_different_numbers_give_different_indexes():
    assert blind_index("79001234567") != blind_index("79001234568")


def test_the_index_depends_on_the_master_key_and_is_not_a_plain_hash(settings):
    import hashlib

    before = blind_index("79001234567")
    assert before != hashlib.sha256(b"79001234567").hexdigest()
    settings.PHI_MASTER_KEY = new_master_key()
    assert blind_index("79001234567") != before


def test_the_index_key_is_derived_apart_from_the_encryption_key():
    import base64

    from security.keys import DATA_KEY_INFO, INDEX_KEY_INFO, _derive, parse_master_keys

    raw = new_master_key()
    material = base64.b64decode(raw)
    assert DATA_KEY_INFO != INDEX_KEY_INFO
    assert parse_master_keys(raw).current.index_key == _derive(material, INDEX_KEY_INFO)
    assert _derive(material, INDEX_KEY_INFO) != _derive(material, DATA_KEY_INFO)


def test_candidates_cover_every_key_during_a_rotation(settings):
    old = settings.PHI_MASTER_KEY
    before = blind_index("79001234567")
    settings.PHI_MASTER_KEY = f"{new_master_key()},{old}"
    after = blind_index("79001234567")
    assert blind_index_candidates("+7 900 123 45 67") == [after, before]


def test_a_value_without_digits_is_refused_without_echoing_it():
    with pytest.raises(ValueError) as raised:
        blind_index("Ivan Petrov")
    assert "Ivan" not in str(raised.value)
