"""Field encryption at rest: AES-256-GCM with a key id, so keys can be rotated without downtime."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = b"\x01"
_NONCE = 12


class CryptoError(ValueError):
    """The key ring is malformed, or a value was sealed with a key the ring lacks."""


@dataclass(frozen=True)
class KeyRing:
    """Named 256-bit keys; the first is the active one that seals new values.

    Ciphertext layout: version (1 byte) | key id length (1) | key id | nonce (12) | AES-GCM output.
    The key id and the column name are authenticated, so a value moved to another column fails.
    """

    keys: tuple[tuple[str, bytes], ...]

    @classmethod
    def parse(cls, text: str) -> KeyRing:
        """Parse `kid:base64key[,kid:base64key...]`."""
        keys: list[tuple[str, bytes]] = []
        for part in filter(None, (p.strip() for p in text.split(","))):
            kid, sep, encoded = part.partition(":")
            if not sep or not kid or len(kid) > 32:
                raise CryptoError("each key must look like 'kid:base64key'")
            try:
                raw = base64.urlsafe_b64decode(encoded)
            except ValueError as exc:
                raise CryptoError(f"key {kid!r} is not valid base64") from exc
            if len(raw) != 32:
                raise CryptoError(f"key {kid!r} must be 32 bytes (256 bits)")
            keys.append((kid, raw))
        if not keys:
            raise CryptoError("the key ring is empty")
        return cls(tuple(keys))

    @property
    def active_kid(self) -> str:
        return self.keys[0][0]

    def _key(self, kid: str) -> bytes:
        for name, raw in self.keys:
            if name == kid:
                return raw
        raise CryptoError(f"no key {kid!r} in the key ring")

    def seal(self, plaintext: str | None, *, field: str) -> bytes | None:
        """Encrypt one field value (None stays None)."""
        if plaintext is None:
            return None
        kid = self.active_kid.encode()
        header = _VERSION + bytes([len(kid)]) + kid
        nonce = os.urandom(_NONCE)
        sealed = AESGCM(self._key(self.active_kid)).encrypt(
            nonce, plaintext.encode(), header + field.encode()
        )
        return header + nonce + sealed

    def open(self, token: bytes | None, *, field: str) -> str | None:
        """Decrypt one field value sealed by `seal` under any key of the ring."""
        if token is None:
            return None
        if token[:1] != _VERSION:
            raise CryptoError("unknown ciphertext version")
        kid_len = token[1]
        header = token[: 2 + kid_len]
        kid = header[2:].decode()
        nonce = token[2 + kid_len : 2 + kid_len + _NONCE]
        body = token[2 + kid_len + _NONCE :]
        return AESGCM(self._key(kid)).decrypt(nonce, body, header + field.encode()).decode()

    def kid_of(self, token: bytes) -> str:
        """The id of the key that sealed this value (for rotation)."""
        return token[2 : 2 + token[1]].decode()
