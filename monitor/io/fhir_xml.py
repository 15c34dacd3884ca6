"""FHIR R4 XML, read one resource at a time into the shape its JSON has.

FHIR defines XML and JSON as two spellings of one model (R4 ``xml.html`` and ``json.html``),
so each resource is turned into the dicts and lists its JSON would decode to and handed to
the one reader that holds the clinical rules (:mod:`monitor.io.fhir`). The mapping:

- An element with a ``value`` attribute is a primitive: its value as a string, except where
  FHIR JSON has a number (``Quantity.value`` under ``valueQuantity``, ``low``, ``high`` …;
  ``valueInteger``, ``valueDecimal``; ``Bundle.total``) or a boolean (``valueBoolean``). A
  value that is not a FHIR decimal stays a string, so the reader names it as not a number.
- Repeating elements become arrays: a name that occurs twice among siblings, and the names
  that are 0..* in FHIR even when they occur once (``coding``, ``component``, ``entry``,
  ``extension``; ``identifier`` directly on a resource, where ``Reference.identifier`` is
  a single value).
- A resource inside ``<resource>`` or ``<contained>`` carries its element name as
  ``resourceType``. The XHTML narrative (``text/div``) and other namespaces are dropped.

Safety: ``defusedxml`` refuses a DTD, entity declarations and external references (FHIR XML
has none; they are how an XML file makes a parser expand without end or read local files).
Memory stays bounded as for JSON: a Bundle's entries are converted and dropped one by one,
and reading refuses more than :data:`~monitor.io.limits.RESOURCE_BYTES` bytes without
finishing an entry, nesting deeper than :data:`~monitor.io.limits.JSON_DEPTH` and more than
:data:`~monitor.io.limits.BUNDLE_ENTRIES` entries.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, BinaryIO
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from .limits import BUNDLE_ENTRIES, JSON_DEPTH, RESOURCE_BYTES, UNREADABLE
from .parsed import RowError

FHIR_NS = "http://hl7.org/fhir"
_PREFIX = "{" + FHIR_NS + "}"
#: Bytes the parser is given at a time.
READ_BYTES = 64 * 1024

# Names that are arrays in FHIR JSON wherever they occur (0..* in every type that has them).
_ALWAYS_ARRAYS = frozenset({
    "coding", "extension", "modifierExtension", "profile", "tag", "security", "given",
    "prefix", "suffix", "line", "interpretation", "referenceRange", "link", "entry",
    "contained", "component",
})
# Names that are arrays directly on a resource (R4 Observation, Patient, Device ...) but may
# be single elsewhere: Reference.identifier is 0..1, Observation.identifier is 0..*.
_RESOURCE_ARRAYS = frozenset({
    "identifier", "category", "hasMember", "derivedFrom", "basedOn", "partOf", "performer",
    "note", "focus", "name", "telecom", "address", "contact", "generalPractitioner",
    "communication", "photo", "property", "statusReason",
})
# Quantity-typed elements, whose ``value`` is a JSON number.
_QUANTITY_ELEMENTS = frozenset({
    "valueQuantity", "low", "high", "numerator", "denominator", "origin", "quantity",
    "valueAge", "valueCount", "valueDistance", "valueDuration", "valueMoney",
})
_NUMBER_PRIMITIVES = frozenset({"valueInteger", "valueDecimal", "valuePositiveInt",
                                "valueUnsignedInt", "total"})
_DECIMAL = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_RESOURCE_HOLDERS = ("resource", "contained")


def looks_like_xml(head: bytes) -> bool:
    """Whether a file starting with ``head`` is XML (after a BOM and white space), in UTF-8
    or (to be refused by name) UTF-16."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head[2:].replace(b"\x00", b"")
    return head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n").startswith(b"<")


class XmlRefused(Exception):
    """The file cannot be read on; the error says where and why."""

    def __init__(self, error: RowError):
        super().__init__(str(error))
        self.error = error


def _local(tag: str) -> str | None:
    """The name of a FHIR element, or None for another namespace (XHTML narrative)."""
    return tag[len(_PREFIX):] if tag.startswith(_PREFIX) else None


def _primitive(name: str, holder: str, value: str) -> Any:
    if name == "valueBoolean" and value in ("true", "false"):
        return value == "true"
    if (name in _NUMBER_PRIMITIVES or (name == "value" and holder in _QUANTITY_ELEMENTS)) \
            and _DECIMAL.fullmatch(value):
        number = float(value)
        return int(value) if number.is_integer() and value.lstrip("-").isdigit() else number
    return value


def as_json(element: Element, name: str, holder: str = "",
            on_resource: bool = False) -> Any:
    """The JSON value of a FHIR XML element named ``name`` inside ``holder``;
    ``on_resource`` when the element is a resource's own child."""
    children = [c for c in element if _local(c.tag) is not None]
    value = element.get("value")
    if value is not None and all(_local(c.tag) == "extension" for c in children):
        return _primitive(name, holder, value)
    out: dict[str, Any] = {}
    for key in ("id", "url"):  # element id; Extension.url
        if element.get(key) is not None:
            out[key] = element.get(key)
    arrays = _ALWAYS_ARRAYS | _RESOURCE_ARRAYS if on_resource else _ALWAYS_ARRAYS
    for child in children:
        key = _local(child.tag) or ""
        if key in _RESOURCE_HOLDERS:
            inner = next((c for c in child if _local(c.tag)), None)
            item = resource_json(inner) if inner is not None else {}
        else:
            item = as_json(child, key, name)
        if key in out:
            if not isinstance(out[key], list):  # a single element that repeats after all
                out[key] = [out[key]]
            out[key].append(item)
        else:
            out[key] = [item] if key in arrays else item
    return out


def resource_json(element: Element) -> dict[str, Any]:
    """A FHIR resource element as the dict its JSON decodes to."""
    name = _local(element.tag) or ""
    body = as_json(element, name, on_resource=name != "Bundle")
    if not isinstance(body, dict):
        body = {}
    return {"resourceType": name, **body}


class _CountingReader:
    """The file as the parser reads it, refusing once too much has been read without an
    entry being finished (the parser holds all of it)."""

    def __init__(self, stream: BinaryIO, head: bytes):
        self.stream = stream
        self.head = head
        self.count = 0
        self.mark = 0  # bytes read when the last entry was finished
        self.where = "file"  # the entry being read, for messages
        self.at_end = False  # the whole file was given to the parser

    def read(self, size: int = -1) -> bytes:
        if self.head:
            data, self.head = self.head, b""
        else:
            data = self.stream.read(READ_BYTES)
            self.at_end = not data
        self.count += len(data)
        if self.count - self.mark > RESOURCE_BYTES.value + READ_BYTES:
            raise XmlRefused(RESOURCE_BYTES.refusal(
                self.where,
                f"more than {RESOURCE_BYTES.value:,} bytes without the end of a resource"))
        return data


def resources(stream: BinaryIO, head: bytes) -> Iterator[tuple[dict[str, Any], int, str]]:
    """(resource dict, entry number (0 for a lone resource), fullUrl) for the resource a FHIR
    XML file is, or for each
    entry of its Bundle, converted as the parser reaches the entry's end. ``head`` is what
    was already read of ``stream``. Raises :class:`XmlRefused` when the file cannot be
    read on (not XML, not FHIR, a DTD, a limit)."""
    source = _CountingReader(stream, head)
    stack: list[Element] = []
    entries = 0
    try:
        for event, element in iterparse(source, events=("start", "end"), forbid_dtd=True):
            if event == "start":
                stack.append(element)
                if len(stack) > JSON_DEPTH.value:
                    raise XmlRefused(JSON_DEPTH.refusal(
                        source.where, f"more than {JSON_DEPTH.value} levels"))
                if len(stack) == 1:
                    _check_root(element)
                elif len(stack) == 2 and _local(element.tag) == "entry" \
                        and _local(stack[0].tag) == "Bundle":
                    source.where = f"entry {entries + 1:,}"
                continue
            stack.pop()
            name = _local(element.tag)
            if len(stack) == 1 and name == "entry" and _local(stack[0].tag) == "Bundle":
                entries += 1
                if entries > BUNDLE_ENTRIES.value:
                    raise XmlRefused(BUNDLE_ENTRIES.refusal(
                        f"entry {entries:,}", f"more than {BUNDLE_ENTRIES.value:,}"))
                item = _entry(element, entries)
                stack[0].remove(element)  # what keeps memory to one entry
                source.mark = source.count
                if item is not None:
                    yield item
            elif not stack and name != "Bundle":
                yield resource_json(element), 0, ""
    except ParseError as e:
        line, column = e.position
        message = str(e).split(":")[0]
        # An error found only once the parser was told the file ended: what is missing is
        # the rest of the file.
        hint = " (the file may be cut off)" if source.at_end else ""
        raise XmlRefused(RowError(f"line {line}, column {column + 1}",
                                  f"not well-formed XML: {message}{hint}; the file is refused "
                                  "and nothing was imported", UNREADABLE)) from None
    except DefusedXmlException as e:
        raise XmlRefused(RowError(
            "file", f"the XML declares a DTD or entities ({type(e).__name__}); FHIR XML has "
            "none, and they can make a reader expand text without end or read local files; "
            "the file is refused and nothing was imported", UNREADABLE)) from None


def _check_root(element: Element) -> None:
    if _local(element.tag) is None:
        tag = element.tag
        namespace, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
        where = f" in namespace {namespace}" if namespace else " without a namespace"
        raise XmlRefused(RowError(
            "file", f"an XML document that is not FHIR: its root is <{local}>{where}; FHIR "
            f"XML is in {FHIR_NS}; nothing was imported", UNREADABLE))


def _entry(element: Element, number: int) -> tuple[dict[str, Any], int, str] | None:
    full_url = ""
    resource = None
    for child in element:
        name = _local(child.tag)
        if name == "fullUrl":
            full_url = child.get("value", "")
        elif name == "resource":
            inner = next((c for c in child if _local(c.tag)), None)
            if inner is not None:
                resource = resource_json(inner)
    if resource is None:
        return None
    return resource, number, full_url
