"""Where the files shipped in ``resources/`` live, and loaders for them (no Qt)."""

from __future__ import annotations

import json
from pathlib import Path

from .domain.thresholds import ThresholdProfile, profile_from_dict

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
DEFAULT_PROFILE_FILE = RESOURCES / "presets" / "adult_post_ketamine.json"


def resource(*parts: str) -> Path:
    """Path of a shipped resource file."""
    return RESOURCES.joinpath(*parts)


def default_profile() -> ThresholdProfile:
    """The shipped adult post-ketamine threshold profile (DOMAIN.md)."""
    return profile_from_dict(json.loads(DEFAULT_PROFILE_FILE.read_text(encoding="utf-8")))
