"""Callback cryptography shared by WeCom and the WeChat Official Account (公众号).

Both platforms use Tencent's one scheme (the WXBizMsgCrypt of their samples), told apart
only by the receive id: WeCom's corp id, the Official Account's AppID.

- ``msg_signature`` = SHA-1 hex of the sorted, concatenated ``[token, timestamp, nonce,
  encrypt]``; the Official Account also sends ``signature`` = SHA-1 hex of the sorted
  ``[token, timestamp, nonce]`` (its URL verification carries only that one).
- The body is AES-256-CBC: key = base64(EncodingAESKey + "="), IV = key[:16], PKCS#7
  padding to 32-byte blocks, plaintext = 16 random bytes ‖ 4-byte big-endian length ‖
  message ‖ receive id.
- An encrypted passive reply is the XML ``<Encrypt>``, ``<MsgSignature>``, ``<TimeStamp>``,
  ``<Nonce>`` (:meth:`MsgCrypto.seal`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
from dataclasses import dataclass
from enum import StrEnum

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .xml import XmlError, child_text, parse_xml

__all__ = [
    "CryptoError",
    "CryptoErrorReason",
    "MsgCrypto",
    "SignedEnvelope",
    "msg_signature",
    "signature",
]

_BLOCK = 32  # both platforms pad to 32 bytes, not to the AES block size
_AES_BLOCK = 16
_RANDOM_PREFIX = 16
_LENGTH_FIELD = 4


class CryptoErrorReason(StrEnum):
    """Why a callback failed its cryptographic checks (stable codes for logs and responses)."""

    BAD_KEY = "bad_key"
    BAD_SIGNATURE = "bad_signature"
    BAD_BASE64 = "bad_base64"
    BAD_CIPHERTEXT = "bad_ciphertext"
    BAD_PADDING = "bad_padding"
    BAD_LENGTH = "bad_length"
    WRONG_RECEIVER = "wrong_receiver"
    BAD_ENCODING = "bad_encoding"


class CryptoError(Exception):
    """A signature, key or ciphertext failed a check; ``reason`` says which."""

    def __init__(self, reason: CryptoErrorReason, detail: str = "") -> None:
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)
        self.reason = reason
        self.detail = detail


def msg_signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """Return the ``msg_signature``: SHA-1 hex of the sorted, concatenated four strings."""
    return _sha1_sorted(token, timestamp, nonce, encrypt)


def signature(token: str, timestamp: str, nonce: str) -> str:
    """Return the Official Account's ``signature``: SHA-1 hex of the sorted token, timestamp
    and nonce (URL verification, and every POST beside ``msg_signature``)."""
    return _sha1_sorted(token, timestamp, nonce)


def _sha1_sorted(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class SignedEnvelope:
    """An encrypted, signed message as the platform would POST it to a callback URL."""

    msg_signature: str
    timestamp: str
    nonce: str
    encrypt: str
    xml: bytes

    def query(self) -> dict[str, str]:
        """Return the callback query parameters (``msg_signature``, ``timestamp``, ``nonce``)."""
        return {"msg_signature": self.msg_signature, "timestamp": self.timestamp, "nonce": self.nonce}


class MsgCrypto:
    """Signs, verifies, encrypts and decrypts for one app: its token, its EncodingAESKey and
    its receive id (a WeCom corp id, an Official Account's AppID)."""

    def __init__(self, token: str, encoding_aes_key: str, receive_id: str) -> None:
        """Raise CryptoError(bad_key) unless the EncodingAESKey decodes to 32 bytes."""
        if len(encoding_aes_key) != 43:
            raise CryptoError(CryptoErrorReason.BAD_KEY, "EncodingAESKey must be 43 characters")
        try:
            key = base64.b64decode(encoding_aes_key + "=", validate=True)
        except binascii.Error as exc:
            raise CryptoError(CryptoErrorReason.BAD_KEY, "EncodingAESKey is not base64") from exc
        if len(key) != 32:
            raise CryptoError(CryptoErrorReason.BAD_KEY, "EncodingAESKey must decode to 32 bytes")
        self._token = token
        self._key = key
        self._receive_id = receive_id.encode("utf-8")

    @property
    def receive_id(self) -> str:
        """The receive id (corp id, AppID) this instance expects and writes."""
        return self._receive_id.decode("utf-8")

    # --- signatures ---------------------------------------------------------------------------

    def sign(self, timestamp: str, nonce: str, encrypt: str) -> str:
        """Return the ``msg_signature`` for these values under this app's token."""
        return msg_signature(self._token, timestamp, nonce, encrypt)

    def verify(self, signature: str, timestamp: str, nonce: str, encrypt: str) -> None:
        """Return None when ``signature`` is right; raise CryptoError(bad_signature) otherwise.

        The comparison runs in constant time.
        """
        _compare(self.sign(timestamp, nonce, encrypt), signature)

    def verify_signature(self, given: str, timestamp: str, nonce: str) -> None:
        """Return None when ``given`` is the Official Account's ``signature`` of ``timestamp``
        and ``nonce`` under this token; raise CryptoError(bad_signature) otherwise (in
        constant time)."""
        _compare(signature(self._token, timestamp, nonce), given)

    # --- AES envelope -------------------------------------------------------------------------

    def encrypt(self, message: bytes | str, *, random_prefix: bytes | None = None) -> str:
        """Return base64 ciphertext of ``message`` addressed to this receive id.

        ``random_prefix`` (16 bytes) is for reproducible tests; by default it comes from
        ``secrets``. Raises ValueError for a prefix of the wrong size.
        """
        body = message.encode("utf-8") if isinstance(message, str) else message
        prefix = secrets.token_bytes(_RANDOM_PREFIX) if random_prefix is None else random_prefix
        if len(prefix) != _RANDOM_PREFIX:
            raise ValueError("random_prefix must be 16 bytes")
        plain = prefix + struct.pack(">I", len(body)) + body + self._receive_id
        pad = _BLOCK - len(plain) % _BLOCK
        plain += bytes([pad]) * pad
        encryptor = Cipher(algorithms.AES(self._key), modes.CBC(self._key[:_AES_BLOCK])).encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode("ascii")

    def decrypt(self, encrypted: str) -> bytes:
        """Return the message inside base64 ciphertext ``encrypted``.

        Raises CryptoError with reason bad_base64, bad_ciphertext (empty or not a
        multiple of 16 bytes), bad_padding, bad_length (declared length beyond the data)
        or wrong_receiver (the receive id is not this app's).
        """
        try:
            raw = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise CryptoError(CryptoErrorReason.BAD_BASE64) from exc
        if not raw or len(raw) % _AES_BLOCK:
            raise CryptoError(CryptoErrorReason.BAD_CIPHERTEXT, f"{len(raw)} bytes")
        decryptor = Cipher(algorithms.AES(self._key), modes.CBC(self._key[:_AES_BLOCK])).decryptor()
        plain = decryptor.update(raw) + decryptor.finalize()
        content = _unpad(plain)
        header = _RANDOM_PREFIX + _LENGTH_FIELD
        if len(content) < header:
            raise CryptoError(CryptoErrorReason.BAD_LENGTH, "shorter than the header")
        (length,) = struct.unpack(">I", content[_RANDOM_PREFIX:header])
        if header + length > len(content):
            raise CryptoError(CryptoErrorReason.BAD_LENGTH, "declared length beyond the data")
        message = content[header : header + length]
        receiver = content[header + length :]
        if not hmac.compare_digest(receiver, self._receive_id):
            raise CryptoError(CryptoErrorReason.WRONG_RECEIVER)
        return message

    # --- the two callback operations ------------------------------------------------------------

    def verify_url(self, signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """Return the plaintext echo for a URL-verification GET (to answer as the bare body).

        Raises CryptoError (bad_signature first, then any decrypt reason, or
        bad_encoding when the echo is not UTF-8).
        """
        self.verify(signature, timestamp, nonce, echostr)
        return _utf8(self.decrypt(echostr))

    def open(self, signature: str, timestamp: str, nonce: str, encrypt: str) -> bytes:
        """Return the decrypted message of a callback POST after checking its signature.

        Raises CryptoError (bad_signature before any decryption is tried).
        """
        self.verify(signature, timestamp, nonce, encrypt)
        return self.decrypt(encrypt)

    def envelope(
        self,
        message: bytes | str,
        *,
        timestamp: str,
        nonce: str,
        to_user_name: str | None = None,
        agent_id: str | None = None,
        random_prefix: bytes | None = None,
    ) -> SignedEnvelope:
        """Return ``message`` encrypted and signed in the XML the platform POSTs to a callback.

        ``to_user_name`` defaults to the receive id. Raises ValueError when a value
        cannot be carried in CDATA.
        """
        encrypt = self.encrypt(message, random_prefix=random_prefix)
        to_user = self.receive_id if to_user_name is None else to_user_name
        parts = [f"<xml><ToUserName>{_cdata(to_user)}</ToUserName><Encrypt>{_cdata(encrypt)}</Encrypt>"]
        if agent_id is not None:
            parts.append(f"<AgentID>{_cdata(agent_id)}</AgentID>")
        parts.append("</xml>")
        return SignedEnvelope(
            msg_signature=self.sign(timestamp, nonce, encrypt),
            timestamp=timestamp,
            nonce=nonce,
            encrypt=encrypt,
            xml="".join(parts).encode("utf-8"),
        )

    def seal(
        self, message: bytes | str, *, timestamp: str, nonce: str, random_prefix: bytes | None = None
    ) -> bytes:
        """Return ``message`` (a passive reply's XML) as the encrypted reply XML the platform
        expects in the HTTP answer: ``Encrypt``, ``MsgSignature``, ``TimeStamp``, ``Nonce``.

        Raises ValueError when ``timestamp`` or ``nonce`` cannot be carried (not digits /
        containing "]]>")."""
        if not timestamp.isdigit():
            raise ValueError("timestamp must be digits")
        encrypt = self.encrypt(message, random_prefix=random_prefix)
        return (
            f"<xml><Encrypt>{_cdata(encrypt)}</Encrypt>"
            f"<MsgSignature>{_cdata(self.sign(timestamp, nonce, encrypt))}</MsgSignature>"
            f"<TimeStamp>{timestamp}</TimeStamp><Nonce>{_cdata(nonce)}</Nonce></xml>"
        ).encode()

    def open_reply(self, sealed: bytes) -> bytes:
        """Return the reply inside a :meth:`seal`-ed answer after checking its signature.

        Raises CryptoError, or XmlError when ``sealed`` is not the reply XML."""
        root = parse_xml(sealed)
        fields = {tag: child_text(root, tag) for tag in ("Encrypt", "MsgSignature", "TimeStamp", "Nonce")}
        missing = [tag for tag, value in fields.items() if value is None]
        if missing:
            raise XmlError("malformed_xml", f"missing {', '.join(missing)}")
        encrypt, signed, timestamp, nonce = (str(fields[t]) for t in fields)
        return self.open(signed, timestamp, nonce, encrypt)


def _compare(expected: str, given: str) -> None:
    if not hmac.compare_digest(expected.encode("ascii"), given.encode("utf-8")):
        raise CryptoError(CryptoErrorReason.BAD_SIGNATURE)


def _unpad(plain: bytes) -> bytes:
    """Return ``plain`` without its PKCS#7 (32-byte block) padding; raise bad_padding if inconsistent."""
    pad = plain[-1]
    if not 1 <= pad <= _BLOCK or pad > len(plain) or plain[-pad:] != bytes([pad]) * pad:
        raise CryptoError(CryptoErrorReason.BAD_PADDING)
    return plain[:-pad]


def _utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CryptoError(CryptoErrorReason.BAD_ENCODING) from exc


def _cdata(value: str) -> str:
    if "]]>" in value:
        raise ValueError("value cannot be carried in CDATA")
    return f"<![CDATA[{value}]]>"
