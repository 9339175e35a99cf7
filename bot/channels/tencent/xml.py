"""Reading the platforms' callback XML safely (defusedxml: no DTD, no entities, no external
references), and writing the CDATA of the XML we answer with."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Literal

import defusedxml.ElementTree as DefusedET  # type: ignore[import-untyped, unused-ignore]
from defusedxml.common import DefusedXmlException  # type: ignore[import-untyped, unused-ignore]

__all__ = ["XmlError", "cdata", "child_text", "parse_xml"]


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


def cdata(value: str) -> str:
    """``value`` as CDATA, whatever it holds: a "]]>" inside is split across two sections.

    Characters XML cannot carry at all (most control characters) are dropped."""
    clean = "".join(ch for ch in value if _xml_char(ch))
    return "<![CDATA[" + clean.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _xml_char(ch: str) -> bool:
    code = ord(ch)
    return code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or code >= 0x10000
