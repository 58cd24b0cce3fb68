"""`watcher serve`: the read-only web UI on uvicorn."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from watcher.classify import load_taxonomy
from watcher.errors import WatcherError
from watcher.sources import Config, WebSettings
from watcher.store import Store
from watcher.web.search import index_pending

if TYPE_CHECKING:
    import uvicorn
    from starlette.applications import Starlette

    from watcher.cli import Context


def _config(obj: Context) -> Config | None:
    """sources.toml when there is one: a copied data folder can be served without it."""
    return obj.config() if obj.config_path.exists() else None


def _feed_base_url(web: WebSettings) -> str | None:
    """[web] base_url when set on purpose; None (the request's own address) when it is the default."""
    return None if web.base_url == f"http://{web.host}:{web.port}" else web.base_url


@click.command()
@click.option("--host", default=None, help="Address to listen on (default: [web] host, else 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="Port to listen on (default: [web] port, else 8000).")
@click.pass_obj
def serve(obj: Context, host: str | None, port: int | None) -> None:
    """Serve the read-only web UI over the data folder. Example: watcher serve --port 8000"""
    import uvicorn

    config = _config(obj)
    web = config.web if config else WebSettings()
    if not (obj.data / "watcher.db").exists():
        raise WatcherError(f"{obj.data}: no watcher.db here yet; run `watcher check` first")
    app = build_app(obj.data, config)
    host, port = host or web.host, port or web.port
    click.echo(f"serving {obj.data} at http://{host}:{port}/ (Ctrl-C stops)", err=True)
    uvicorn.run(app, host=host, port=port, server_header=False, log_level="info")


def build_app(data_dir: Path, config: Config | None) -> Starlette:
    """Index what is not searchable yet, then the app over the data folder."""
    from watcher.web.app import create_app

    store = Store(data_dir)
    try:
        pending = store.unindexed_count()
        if pending:
            click.echo(f"indexing {pending} versions for search...", err=True)
            index_pending(store, datetime.now(UTC))
        store.refresh_change_facts()
    finally:
        store.close()
    web = config.web if config else WebSettings()
    return create_app(data_dir, taxonomy=load_taxonomy(config.classify.taxonomy if config else None),
                      base_url=_feed_base_url(web))


def start_in_thread(app: Starlette, host: str, port: int) -> tuple[uvicorn.Server, threading.Thread]:
    """The web UI in a thread of its own (`watcher daemon --web`); stop with `server.should_exit = True`."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, server_header=False, log_level="warning"))
    thread = threading.Thread(target=server.run, name="watcher-web", daemon=True)
    thread.start()
    return server, thread
