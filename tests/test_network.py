"""Opt-in checks against the real company URLs (`pytest -m network`); deselected by default."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from watcher.pipeline import dry_run
from watcher.sources import load_config

SHIPPED = Path(__file__).resolve().parent.parent / "sources.toml"
CONFIG = load_config(SHIPPED)


@pytest.mark.network
@pytest.mark.parametrize("source", [s for s in CONFIG.sources if s.enabled], ids=lambda s: s.id)
def test_shipped_source_fetches_and_has_text(source) -> None:  # type: ignore[no-untyped-def]
    capture, document, error = asyncio.run(dry_run(CONFIG, source))
    assert error is None, f"{source.id}: {error}"
    assert document is not None and len(document.text) > 200
