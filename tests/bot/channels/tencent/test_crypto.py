"""The shared callback crypto against the WeChat Official Account's published vectors, with
the AppID as the receive id (WeCom's corp-id sample is tests/bot/channels/wecom/test_crypto.py),
and round trips across every 32-byte boundary of a message up to 4 KiB."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bot.channels.tencent import (
    CryptoError,
    CryptoErrorReason,
    MsgCrypto,
    msg_signature,
    parse_xml,
    signature,
)
from bot.channels.tencent.xml import XmlError, cdata, child_text
from tests.bot.channels.wechat import samples


@pytest.fixture
def crypto() -> MsgCrypto:
    return MsgCrypto(samples.TOKEN, samples.ENCODING_AES_KEY, samples.APP_ID)


# --- the official sample ------------------------------------------------------------------------


def test_the_samples_msg_signature_is_ours() -> None:
    signed = msg_signature(samples.TOKEN, samples.TIMESTAMP, samples.NONCE, samples.ENCRYPT)
    assert signed == samples.MSG_SIGNATURE


def test_the_samples_post_decrypts_to_its_plaintext_fields(crypto: MsgCrypto) -> None:
    encrypt = child_text(parse_xml(samples.POST_XML), "Encrypt")
    assert encrypt == samples.ENCRYPT
    plain = parse_xml(crypto.open(samples.MSG_SIGNATURE, samples.TIMESTAMP, samples.NONCE, samples.ENCRYPT))
    assert {tag: child_text(plain, tag) for tag in samples.FIELDS} == samples.FIELDS


def test_the_samples_post_under_another_appid_is_wrong_receiver() -> None:
    other = MsgCrypto(samples.TOKEN, samples.ENCODING_AES_KEY, "wx2c2769f8efd9abc3")
    with pytest.raises(CryptoError) as caught:
        other.open(samples.MSG_SIGNATURE, samples.TIMESTAMP, samples.NONCE, samples.ENCRYPT)
    assert caught.value.reason is CryptoErrorReason.WRONG_RECEIVER


def test_the_samples_post_with_another_token_is_bad_signature() -> None:
    other = MsgCrypto("spamtesT", samples.ENCODING_AES_KEY, samples.APP_ID)
    with pytest.raises(CryptoError) as caught:
        other.open(samples.MSG_SIGNATURE, samples.TIMESTAMP, samples.NONCE, samples.ENCRYPT)
    assert caught.value.reason is CryptoErrorReason.BAD_SIGNATURE


@pytest.mark.parametrize(
    ("message", "expected"),
    [(samples.JAVA_REPLY, samples.JAVA_ENCRYPTED), (samples.JAVA_REPLY_2, samples.JAVA_ENCRYPTED_2)],
)
def test_the_java_samples_encryptions_are_ours_byte_for_byte(message: str, expected: str) -> None:
    crypto = MsgCrypto(samples.JAVA_TOKEN, samples.ENCODING_AES_KEY, samples.JAVA_APP_ID)
    assert crypto.encrypt(message, random_prefix=samples.JAVA_RANDOM) == expected
    assert crypto.decrypt(expected) == message.encode()


def test_the_documentations_signatures_are_ours() -> None:
    push, verify = samples.DOC_PUSH, samples.DOC_VERIFY
    assert signature(samples.DOC_TOKEN, push["timestamp"], push["nonce"]) == push["signature"]
    assert signature(samples.DOC_TOKEN, verify["timestamp"], verify["nonce"]) == verify["signature"]
    crypto = MsgCrypto(samples.DOC_TOKEN, samples.ENCODING_AES_KEY, samples.APP_ID)
    crypto.verify_signature(verify["signature"], verify["timestamp"], verify["nonce"])
    with pytest.raises(CryptoError):
        crypto.verify_signature(verify["signature"], verify["timestamp"], push["nonce"])


# --- round trips --------------------------------------------------------------------------------


def test_round_trips_across_every_32_byte_boundary_up_to_4_kib(crypto: MsgCrypto) -> None:
    key = base64.b64decode(samples.ENCODING_AES_KEY + "=")
    overhead = 16 + 4 + len(samples.APP_ID)
    seen_pads = set()
    for size in range(0, 4097):
        message = bytes((i * 7 + size) % 256 for i in range(size))
        encrypted = crypto.encrypt(message)
        raw = base64.b64decode(encrypted)
        assert len(raw) % 32 == 0 and len(raw) >= overhead + size + 1
        decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
        pad = (decryptor.update(raw) + decryptor.finalize())[-1]
        assert pad == 32 - (overhead + size) % 32
        seen_pads.add(pad)
        assert crypto.decrypt(encrypted) == message
    assert seen_pads == set(range(1, 33))  # every distance to the boundary, 32 (a full block) included


# --- the passive reply --------------------------------------------------------------------------


def test_a_sealed_reply_is_the_four_fields_and_opens(crypto: MsgCrypto) -> None:
    reply = "<xml><Content><![CDATA[你好]]></Content></xml>"
    sealed = crypto.seal(reply, timestamp="1409735669", nonce="1320562132")
    root = parse_xml(sealed)
    assert [child.tag for child in root] == ["Encrypt", "MsgSignature", "TimeStamp", "Nonce"]
    encrypt = child_text(root, "Encrypt") or ""
    signed = msg_signature(samples.TOKEN, "1409735669", "1320562132", encrypt)
    assert child_text(root, "MsgSignature") == signed
    assert crypto.open_reply(sealed) == reply.encode()


def test_a_reply_sealed_for_another_app_does_not_open(crypto: MsgCrypto) -> None:
    other = MsgCrypto(samples.TOKEN, samples.ENCODING_AES_KEY, "wxsomeoneelse0001")
    with pytest.raises(CryptoError) as caught:
        crypto.open_reply(other.seal("<xml/>", timestamp="1", nonce="2"))
    assert caught.value.reason is CryptoErrorReason.WRONG_RECEIVER


def test_a_reply_without_its_signature_is_malformed(crypto: MsgCrypto) -> None:
    with pytest.raises(XmlError):
        crypto.open_reply(b"<xml><Encrypt><![CDATA[abc]]></Encrypt></xml>")


def test_cdata_carries_any_text() -> None:
    tricky = "a]]>b<c>&d\x00e"
    root = parse_xml(f"<xml><C>{cdata(tricky)}</C></xml>".encode())
    assert child_text(root, "C") == "a]]>b<c>&de"
