"""The read-only web UI (`watcher serve`): overview, changes, documents, diffs, search and Atom feeds.

Modules, one concern each: app (routes, errors), security (headers), context (store per request,
templates), params (validation), overview, changes, documents, diffs, hunks (hunk views), search (the
phrase search and keeping its index complete), feeds (Atom), command (the click command).
"""

from __future__ import annotations

from watcher.web.app import create_app

__all__ = ["create_app"]
