"""Huibao's intranet: site, accounts, organisations, roles, audit (and later notices)."""

from pathlib import Path

# templates/ and static/ live at the project root, beside the two packages.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Registers the `{name:id}` path convertor before any module builds its routes.
from intranet import convertors as convertors  # noqa: E402
