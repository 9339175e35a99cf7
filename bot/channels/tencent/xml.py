"""Reading the platforms' callback XML safely (defusedxml: no DTD, no entities, no external
references), and writing the CDATA of the XML we answer with."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

import defusedxml.ElementTree as DefusedET  # type: ignore[import-untyped, unused-ignore]
from defusedxml.common import DefusedXmlException  # type: ignore[import-untyped, unused-ignore]

__all__ = ["Envelope", "XmlError", "cdata", "child_text", "parse_xml", "read_envelope", "stripped"]


class XmlError(Exception):
    """XML refused or unreadable; ``reason`` is ``xml_forbidden`` (DTD, entities, external
    references) or ``malformed_xml`` (not well-formed, or a required field missing or wrong)."""

    def __init__(self, reason: Literal["xml_forbidden", "malformed_xml"], detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def parse_xml(data: bytes) -> ET.Element:
    """Return the root element of ``data``, parsed with DTDs, entities and external references refused.

    Raises XmlError(xml_forbidden) for any DTD or entity (billion laughs, XXE) and
    XmlError(malformed_xml) for XML that is not well-formed.
    """
    try:
        root: ET.Element = DefusedET.fromstring(
            data, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as exc:
        raise XmlError("xml_forbidden", type(exc).__name__) from exc
    except ET.ParseError as exc:
        raise XmlError("malformed_xml", str(exc)) from exc
    return root


def child_text(root: ET.Element, tag: str) -> str | None:
    """Return the text of ``root``'s direct child ``tag`` ("" when empty), or None when absent."""
    node = root.find(tag)
    if node is None:
        return None
    return node.text or ""


def stripped(value: str | None) -> str | None:
    """``value`` without surrounding spaces; None stays None, "" stays ""."""
    return value.strip() if value is not None else None


@dataclass(frozen=True, slots=True)
class Envelope:
    """What every callback message of WeCom and the Official Account carries alike: its
    sender, its receiver, ``MsgType``, ``CreateTime``, and the flat fields no attribute of
    the platform's own message names (``extras``)."""

    from_user: str
    to_user: str
    raw_type: str
    create_time: int
    extras: Mapping[str, str]


def read_envelope(root: ET.Element, named: frozenset[str]) -> Envelope:
    """The Envelope of a callback message; ``named``: the tags kept out of ``extras``.

    Raises XmlError(malformed_xml) when ``FromUserName``, ``ToUserName``, ``MsgType`` or an
    integer ``CreateTime`` is missing."""
    from_user = (child_text(root, "FromUserName") or "").strip()
    to_user = child_text(root, "ToUserName")
    raw_type = (child_text(root, "MsgType") or "").strip()
    created = child_text(root, "CreateTime")
    if not from_user or to_user is None or not raw_type or created is None:
        raise XmlError("malformed_xml", "a required field is missing")
    try:
        create_time = int(created.strip())
    except ValueError as exc:
        raise XmlError("malformed_xml", "CreateTime is not an integer") from exc
    extras = {
        node.tag: (node.text or "").strip()
        for node in root
        if isinstance(node.tag, str) and node.tag not in named and len(node) == 0
    }
    return Envelope(from_user, to_user.strip(), raw_type, create_time, MappingProxyType(extras))


def cdata(value: str) -> str:
    """``value`` as CDATA, whatever it holds: a "]]>" inside is split across two sections.

    Characters XML cannot carry at all (most control characters) are dropped."""
    clean = "".join(ch for ch in value if _xml_char(ch))
    return "<![CDATA[" + clean.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _xml_char(ch: str) -> bool:
    code = ord(ch)
    return code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or code >= 0x10000
