"""FHIR JSON written as FHIR XML, for tests: the other spelling of the same resources.

Written from the rules of R4 ``xml.html`` independently of the app's reader (which goes the
other way), so a file read in both spellings must give the same readings. Element order is
the JSON's, which FHIR XML readers do not depend on; extensions carry ``url`` as an
attribute, as FHIR XML writes them."""

from __future__ import annotations

import json
from typing import Any
from xml.sax.saxutils import quoteattr

FHIR_NS = "http://hl7.org/fhir"
_HOLDERS = {"resource", "contained"}


def _primitive(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return json.dumps(value)
    return str(value)


def _element(name: str, value: Any, out: list[str], indent: str) -> None:
    if isinstance(value, list):
        for item in value:
            _element(name, item, out, indent)
        return
    if name in _HOLDERS and isinstance(value, dict) and "resourceType" in value:
        out.append(f"{indent}<{name}>")
        _resource(value, out, indent + "  ")
        out.append(f"{indent}</{name}>")
        return
    if not isinstance(value, dict):
        out.append(f"{indent}<{name} value={quoteattr(_primitive(value))}/>")
        return
    attributes = "".join(f" {key}={quoteattr(str(value[key]))}" for key in ("id", "url")
                         if name in {"extension", "modifierExtension"} and key in value)
    children = {k: v for k, v in value.items()
                if not (attributes and k in ("id", "url")) and k != "div"}
    out.append(f"{indent}<{name}{attributes}>")
    for key, item in children.items():
        _element(key, item, out, indent + "  ")
    out.append(f"{indent}</{name}>")


def _resource(resource: dict[str, Any], out: list[str], indent: str) -> None:
    kind = resource["resourceType"]
    xmlns = "" if indent else f' xmlns="{FHIR_NS}"'  # inner resources inherit it
    out.append(f"{indent}<{kind}{xmlns}>")
    for key, value in resource.items():
        if key != "resourceType":
            _element(key, value, out, indent + "  ")
    out.append(f"{indent}</{kind}>")


def to_xml(resource: dict[str, Any], declaration: bool = True) -> str:
    """The FHIR XML of a resource given as its JSON dict."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>'] if declaration else []
    _resource(resource, out, "")
    return "\n".join(out) + "\n"
