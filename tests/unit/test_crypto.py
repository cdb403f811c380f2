"""Field encryption: AES-GCM with key ids, bound to the table, field and row, rotatable."""

from __future__ import annotations

import base64

import pytest

from models.crypto import CryptoError, KeyRing, Slot, WrongKey

K1 = "k1:" + base64.urlsafe_b64encode(b"1" * 32).decode()
K2 = "k2:" + base64.urlsafe_b64encode(b"2" * 32).decode()
PHONE_7 = Slot("persons", "phone", 7)


def test_sealed_value_opens_to_the_plaintext_and_hides_it():
    ring = KeyRing.parse(K1)
    slot = Slot("persons", "id_number", 7)
    token = ring.seal("990000199001011234", slot)
    assert b"1990" not in token
    assert ring.open(token, slot) == "990000199001011234"


def test_same_plaintext_seals_differently_each_time():
    ring = KeyRing.parse(K1)
    assert ring.seal("x", PHONE_7) != ring.seal("x", PHONE_7)


def test_value_moved_to_another_column_fails_authentication():
    ring = KeyRing.parse(K1)
    with pytest.raises(WrongKey):
        ring.open(ring.seal("secret", PHONE_7), Slot("persons", "address", 7))


def test_old_key_still_opens_after_rotation_and_new_values_use_the_new_key():
    old = KeyRing.parse(K1)
    token = old.seal("v", PHONE_7)
    rotated = KeyRing.parse(f"{K2},{K1}")
    assert rotated.open(token, PHONE_7) == "v"
    assert rotated.kid_of(rotated.seal("v", PHONE_7)) == "k2"


def test_unknown_key_id_is_a_clear_error():
    token = KeyRing.parse(K1).seal("v", PHONE_7)
    with pytest.raises(CryptoError, match="no key 'k1'"):
        KeyRing.parse(K2).open(token, PHONE_7)


@pytest.mark.parametrize("text", ["", "nocolon", "k1:short", "k1:!!!!"])
def test_malformed_key_ring_is_refused(text):
    with pytest.raises(CryptoError):
        KeyRing.parse(text)
