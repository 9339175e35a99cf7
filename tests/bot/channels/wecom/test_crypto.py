"""The callback crypto against WeCom's official sample, and our own round trips and rejections."""

from __future__ import annotations

import base64
import struct

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given
from hypothesis import strategies as st

from bot.channels.wecom import CryptoErrorReason, WeComCrypto, WeComCryptoError, msg_signature

from . import samples

KEY = base64.b64decode(samples.ENCODING_AES_KEY + "=")
PREFIX = b"0123456789abcdef"


def raw_encrypt(plain: bytes) -> str:
    """AES-CBC with the sample key and no padding of our own: for crafting bad plaintexts."""
    encryptor = Cipher(algorithms.AES(KEY), modes.CBC(KEY[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def raw_decrypt(encrypted: str) -> bytes:
    decryptor = Cipher(algorithms.AES(KEY), modes.CBC(KEY[:16])).decryptor()
    return decryptor.update(base64.b64decode(encrypted)) + decryptor.finalize()


def reason_of(crypto: WeComCrypto, encrypted: str) -> CryptoErrorReason:
    with pytest.raises(WeComCryptoError) as caught:
        crypto.decrypt(encrypted)
    return caught.value.reason


# --- the official sample ----------------------------------------------------------------------


def test_official_url_verification_decrypts_the_echo(crypto: WeComCrypto) -> None:
    echo = crypto.verify_url(
        samples.VERIFY_MSG_SIGNATURE, samples.VERIFY_TIMESTAMP, samples.VERIFY_NONCE, samples.VERIFY_ECHOSTR
    )
    assert echo == samples.VERIFY_ECHO_PLAINTEXT


def test_official_message_signature_matches() -> None:
    signature = msg_signature(samples.TOKEN, samples.POST_TIMESTAMP, samples.POST_NONCE, samples.POST_ENCRYPT)
    assert signature == samples.POST_MSG_SIGNATURE


def test_official_message_decrypts_to_the_sample_plaintext(crypto: WeComCrypto) -> None:
    plain = crypto.open(
        samples.POST_MSG_SIGNATURE, samples.POST_TIMESTAMP, samples.POST_NONCE, samples.POST_ENCRYPT
    )
    assert plain == samples.POST_PLAINTEXT


def test_official_sample_with_a_changed_signature_is_refused(crypto: WeComCrypto) -> None:
    forged = "0" + samples.VERIFY_MSG_SIGNATURE[1:]
    with pytest.raises(WeComCryptoError) as caught:
        crypto.verify_url(forged, samples.VERIFY_TIMESTAMP, samples.VERIFY_NONCE, samples.VERIFY_ECHOSTR)
    assert caught.value.reason is CryptoErrorReason.BAD_SIGNATURE


def test_official_sample_under_another_corp_is_wrong_receiver() -> None:
    other = WeComCrypto(samples.TOKEN, samples.ENCODING_AES_KEY, "wwsomeoneelse")
    assert reason_of(other, samples.VERIFY_ECHOSTR) is CryptoErrorReason.WRONG_RECEIVER


# --- our own round trips ----------------------------------------------------------------------


@pytest.mark.parametrize("size", range(0, 130))
def test_round_trip_across_every_32_byte_boundary(crypto: WeComCrypto, size: int) -> None:
    # 20 header bytes + 18 corp-id bytes + size: sizes 0..129 cross four 32-byte boundaries.
    message = bytes(i % 251 for i in range(size))
    encrypted = crypto.encrypt(message, random_prefix=PREFIX)
    raw = base64.b64decode(encrypted)
    assert len(raw) % 32 == 0
    pad = raw_decrypt(encrypted)[-1]
    assert 1 <= pad <= 32
    assert crypto.decrypt(encrypted) == message


def test_a_full_block_of_padding_is_32_bytes_of_32(crypto: WeComCrypto) -> None:
    size = 64 - 20 - len(samples.CORP_ID)  # plaintext exactly 64 bytes before padding
    encrypted = crypto.encrypt(b"m" * size, random_prefix=PREFIX)
    assert raw_decrypt(encrypted)[-32:] == bytes([32]) * 32
    assert crypto.decrypt(encrypted) == b"m" * size


@given(message=st.binary(max_size=600), corp=st.text(min_size=1, max_size=40))
def test_round_trip_any_message_any_receiver(message: bytes, corp: str) -> None:
    crypto = WeComCrypto(samples.TOKEN, samples.ENCODING_AES_KEY, corp)
    assert crypto.decrypt(crypto.encrypt(message)) == message


def test_random_prefix_differs_between_encryptions(crypto: WeComCrypto) -> None:
    assert crypto.encrypt("同一条消息") != crypto.encrypt("同一条消息")


def test_envelope_is_signed_xml_that_opens(crypto: WeComCrypto) -> None:
    envelope = crypto.envelope("<xml>hi</xml>", timestamp="1700000000", nonce="42", agent_id="1000002")
    assert envelope.xml.startswith(b"<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt>")
    assert b"<AgentID><![CDATA[1000002]]></AgentID>" in envelope.xml
    assert envelope.query() == {
        "msg_signature": envelope.msg_signature,
        "timestamp": "1700000000",
        "nonce": "42",
    }
    assert crypto.open(envelope.msg_signature, "1700000000", "42", envelope.encrypt) == b"<xml>hi</xml>"


# --- rejections ---------------------------------------------------------------------------------


def padded(body: bytes, pad: int) -> bytes:
    return body + bytes([pad]) * pad


def test_pad_byte_zero_is_bad_padding(crypto: WeComCrypto) -> None:
    assert reason_of(crypto, raw_encrypt(b"a" * 31 + b"\x00")) is CryptoErrorReason.BAD_PADDING


def test_pad_byte_above_32_is_bad_padding(crypto: WeComCrypto) -> None:
    assert reason_of(crypto, raw_encrypt(b"a" * 63 + b"\x21")) is CryptoErrorReason.BAD_PADDING


def test_inconsistent_padding_is_bad_padding(crypto: WeComCrypto) -> None:
    assert reason_of(crypto, raw_encrypt(b"a" * 29 + b"\x03\x02\x03")) is CryptoErrorReason.BAD_PADDING


def test_padding_longer_than_the_data_is_bad_padding(crypto: WeComCrypto) -> None:
    assert reason_of(crypto, raw_encrypt(bytes([32]) * 16)) is CryptoErrorReason.BAD_PADDING


def test_tampered_ciphertext_is_refused(crypto: WeComCrypto) -> None:
    raw = bytearray(base64.b64decode(crypto.encrypt(b"hello", random_prefix=PREFIX)))
    raw[-17] ^= 0x01  # flips a bit of the last plaintext block: the padding byte
    with pytest.raises(WeComCryptoError):
        crypto.decrypt(base64.b64encode(bytes(raw)).decode())


def test_declared_length_beyond_the_data_is_bad_length(crypto: WeComCrypto) -> None:
    body = PREFIX + struct.pack(">I", 10_000) + b"short" + samples.CORP_ID.encode()
    plain = padded(body, 32 - len(body) % 32)
    assert reason_of(crypto, raw_encrypt(plain)) is CryptoErrorReason.BAD_LENGTH


def test_plaintext_shorter_than_the_header_is_bad_length(crypto: WeComCrypto) -> None:
    assert reason_of(crypto, raw_encrypt(padded(b"tiny", 28))) is CryptoErrorReason.BAD_LENGTH


def test_a_different_receiver_is_wrong_receiver(crypto: WeComCrypto) -> None:
    other = WeComCrypto(samples.TOKEN, samples.ENCODING_AES_KEY, "wx5823bf96d3bd56c8")
    assert reason_of(crypto, other.encrypt(b"hi")) is CryptoErrorReason.WRONG_RECEIVER


def test_an_empty_receiver_is_wrong_receiver(crypto: WeComCrypto) -> None:
    body = PREFIX + struct.pack(">I", 2) + b"hi"
    assert reason_of(crypto, raw_encrypt(padded(body, 32 - len(body)))) is CryptoErrorReason.WRONG_RECEIVER


def test_ciphertext_truncated_by_a_block_is_refused(crypto: WeComCrypto) -> None:
    raw = base64.b64decode(crypto.encrypt(b"hello world", random_prefix=PREFIX))
    with pytest.raises(WeComCryptoError) as caught:
        crypto.decrypt(base64.b64encode(raw[:-16]).decode())
    assert caught.value.reason in {CryptoErrorReason.BAD_PADDING, CryptoErrorReason.BAD_LENGTH}


@pytest.mark.parametrize("cut", [1, 5, 15])
def test_ciphertext_not_a_multiple_of_16_is_bad_ciphertext(crypto: WeComCrypto, cut: int) -> None:
    raw = base64.b64decode(crypto.encrypt(b"hello"))
    assert reason_of(crypto, base64.b64encode(raw[:-cut]).decode()) is CryptoErrorReason.BAD_CIPHERTEXT


def test_empty_ciphertext_is_bad_ciphertext(crypto: WeComCrypto) -> None:
    assert reason_of(crypto, "") is CryptoErrorReason.BAD_CIPHERTEXT


@pytest.mark.parametrize("text", ["not base64!", "abc", samples.VERIFY_ECHOSTR[:-3], "P9nA zCzy"])
def test_bad_base64_is_bad_base64(crypto: WeComCrypto, text: str) -> None:
    assert reason_of(crypto, text) is CryptoErrorReason.BAD_BASE64


def test_plus_turned_into_space_is_refused(crypto: WeComCrypto) -> None:
    # What a query parser that decodes '+' as a space would hand us.
    assert reason_of(crypto, samples.VERIFY_ECHOSTR.replace("+", " ")) is CryptoErrorReason.BAD_BASE64


@pytest.mark.parametrize("key", ["", samples.ENCODING_AES_KEY[:-1], samples.ENCODING_AES_KEY[:-1] + "!"])
def test_an_unusable_aes_key_is_bad_key(key: str) -> None:
    with pytest.raises(WeComCryptoError) as caught:
        WeComCrypto(samples.TOKEN, key, samples.CORP_ID)
    assert caught.value.reason is CryptoErrorReason.BAD_KEY


def test_non_utf8_echo_is_bad_encoding(crypto: WeComCrypto) -> None:
    echostr = crypto.encrypt(b"\xff\xfe")
    signature = crypto.sign("1", "2", echostr)
    with pytest.raises(WeComCryptoError) as caught:
        crypto.verify_url(signature, "1", "2", echostr)
    assert caught.value.reason is CryptoErrorReason.BAD_ENCODING


def test_non_ascii_signature_is_bad_signature_not_a_crash(crypto: WeComCrypto) -> None:
    with pytest.raises(WeComCryptoError) as caught:
        crypto.verify("签名", "1", "2", "abc")
    assert caught.value.reason is CryptoErrorReason.BAD_SIGNATURE
