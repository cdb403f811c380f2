"""Field encryption at rest: AES-256-GCM with a key id, so keys can be rotated without downtime."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

UNBOUND = b"\x01"  # sealed before migration 0013: bound to the field only
BOUND = b"\x02"  # bound to table, field and row id
_NONCE = 12
_CHECK = b"gridcare key check"


class CryptoError(ValueError):
    """The key ring is malformed, or a value was sealed with a key the ring lacks."""


class WrongKey(CryptoError):
    """A value (or a key's check value) does not open: another key with the same id, or a moved value."""


@dataclass(frozen=True)
class Slot:
    """Where a sealed value lives: a table, a field of it and a row id.

    Authenticated with the value, so a ciphertext copied to another column or another row (another
    person's) does not open there."""

    table: str
    field: str
    row_id: int

    def associated_data(self) -> bytes:
        return f"{self.table}\x1f{self.field}\x1f{int(self.row_id)}".encode()


def header(kid: str, version: bytes = BOUND) -> bytes:
    """The bytes every value sealed under `kid` starts with."""
    raw = kid.encode()
    return version + bytes([len(raw)]) + raw


def _split(token: bytes) -> tuple[bytes, str, bytes, bytes]:
    """(header, key id, nonce, AES-GCM output) of a sealed value."""
    kid_len = token[1]
    head = token[: 2 + kid_len]
    nonce = token[2 + kid_len : 2 + kid_len + _NONCE]
    return head, head[2:].decode(), nonce, token[2 + kid_len + _NONCE :]


@dataclass(frozen=True)
class KeyRing:
    """Named 256-bit keys; the first is the active one that seals new values.

    Ciphertext layout: version (1 byte) | key id length (1) | key id | nonce (12) | AES-GCM output.
    The header and the value's slot (table, field, row id) are authenticated: a value moved to
    another column or row fails.
    """

    keys: tuple[tuple[str, bytes], ...]

    @classmethod
    def parse(cls, text: str) -> KeyRing:
        """Parse `kid:base64key[,kid:base64key...]`; each id once."""
        keys: list[tuple[str, bytes]] = []
        for part in filter(None, (p.strip() for p in text.split(","))):
            kid, sep, encoded = part.partition(":")
            if not sep or not kid or len(kid.encode()) > 32:
                raise CryptoError("each key must look like 'kid:base64key'")
            try:
                raw = base64.urlsafe_b64decode(encoded)
            except ValueError as exc:
                raise CryptoError(f"key {kid!r} is not valid base64") from exc
            if len(raw) != 32:
                raise CryptoError(f"key {kid!r} must be 32 bytes (256 bits)")
            if any(kid == known for known, _ in keys):
                # Which one would open a value? The one found first: values sealed under the other are lost.
                raise CryptoError(f"key id {kid!r} is given twice in the key ring; each key needs its own id")
            keys.append((kid, raw))
        if not keys:
            raise CryptoError("the key ring is empty")
        return cls(tuple(keys))

    @property
    def active_kid(self) -> str:
        return self.keys[0][0]

    @property
    def kids(self) -> tuple[str, ...]:
        return tuple(kid for kid, _ in self.keys)

    def _key(self, kid: str) -> bytes:
        for name, raw in self.keys:
            if name == kid:
                return raw
        raise CryptoError(f"no key {kid!r} in the key ring")

    def _encrypt(self, kid: str, version: bytes, plaintext: bytes, context: bytes) -> bytes:
        head = header(kid, version)
        nonce = os.urandom(_NONCE)
        return head + nonce + AESGCM(self._key(kid)).encrypt(nonce, plaintext, head + context)

    def seal(self, plaintext: str | None, slot: Slot) -> bytes | None:
        """Encrypt one field value for its slot (None stays None)."""
        if plaintext is None:
            return None
        return self._encrypt(self.active_kid, BOUND, plaintext.encode(), slot.associated_data())

    def open(self, token: bytes | None, slot: Slot) -> str | None:
        """Decrypt one value sealed by `seal` for this slot, under any key of the ring."""
        if token is None:
            return None
        token = bytes(token)
        if token[:1] == UNBOUND:
            raise CryptoError(
                f"{slot.table}.{slot.field} id={slot.row_id}: sealed before rows were bound "
                "(run gridcare db upgrade)"
            )
        if token[:1] != BOUND:
            raise CryptoError("unknown ciphertext version")
        head, kid, nonce, body = _split(token)
        try:
            return AESGCM(self._key(kid)).decrypt(nonce, body, head + slot.associated_data()).decode()
        except InvalidTag:
            raise WrongKey(
                f"{slot.table}.{slot.field} id={slot.row_id} does not open under key {kid!r}: "
                "another key with that id, or a value moved from another row"
            ) from None

    def open_unbound(self, token: bytes, *, field: str) -> str:
        """Decrypt a value sealed before migration 0013 (bound to its field only); for that migration."""
        token = bytes(token)
        if token[:1] != UNBOUND:
            raise CryptoError("not a value of the unbound format")
        head, kid, nonce, body = _split(token)
        try:
            return AESGCM(self._key(kid)).decrypt(nonce, body, head + field.encode()).decode()
        except InvalidTag:
            raise WrongKey(f"a {field} value does not open under key {kid!r}") from None

    def kid_of(self, token: bytes) -> str:
        """The id of the key that sealed this value (for rotation)."""
        return _split(bytes(token))[1]

    def check_value(self, kid: str) -> bytes:
        """A value only this key opens, stored per key id so another key with the same id is caught."""
        return self._encrypt(kid, BOUND, _CHECK, b"key-check")

    def matches(self, kid: str, check: bytes) -> bool:
        """Whether the ring's key `kid` is the one that made this check value."""
        head, found, nonce, body = _split(bytes(check))
        if found != kid:
            return False
        try:
            return AESGCM(self._key(kid)).decrypt(nonce, body, head + b"key-check") == _CHECK
        except InvalidTag:
            return False
