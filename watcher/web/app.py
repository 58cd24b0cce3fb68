"""The web UI's routes, error pages and security headers (read-only; no JavaScript needed).

    /                                        overview                        /overview.json
    /changes?org=&source=&kind=&severity=&min_severity=&verdict=&tag=&since=&until=&material=&page=
                                             change list                     /changes.json
    /changes/{id}                            one change                      /changes/{id}.json
    /sources/{id}                            document: timeline of versions  /sources/{id}.json
    /sources/{id}/versions/{n}               one version's text              /sources/{id}/versions/{n}.txt
    /sources/{id}/versions/{n}/original      the original file (download)
    /sources/{id}/diff/{a}..{b}?view=side    diff between any two versions   /sources/{id}/diff/{a}..{b}.json
    /sources/{id}/diff?from=A&to=B           the compare form -> the diff's permalink
    /search?q=&org=&source=                  which versions hold a phrase    /search.json
    /feeds/changes.atom, /feeds/orgs/{org}.atom, /feeds/sources/{id}.atom   (?min_severity=)
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from watcher.classify import Taxonomy, load_taxonomy
from watcher.errors import NotFoundError, StoreError
from watcher.web import changes, diffs, documents, feeds, overview, search
from watcher.web.context import Settings, json_response, render
from watcher.web.security import SecurityHeaders

STATIC = Path(__file__).parent / "static"
_MACHINE_SUFFIXES = (".json", ".atom", ".txt")


def routes() -> list[Route | Mount]:
    """Every route; each JSON variant comes before the page whose path it extends."""
    return [
        Route("/", overview.overview_page),
        Route("/overview.json", overview.overview_json),
        Route("/changes.json", changes.change_list_json),
        Route("/changes", changes.change_list_page),
        Route("/changes/{change_id:int}.json", changes.change_json),
        Route("/changes/{change_id:int}", changes.change_page),
        Route("/sources/{source_id}.json", documents.document_json),
        Route("/sources/{source_id}", documents.document_page),
        Route("/sources/{source_id}/versions/{number:int}.txt", documents.version_text),
        Route("/sources/{source_id}/versions/{number:int}", documents.version_page),
        Route("/sources/{source_id}/versions/{number:int}/original", documents.original_file),
        Route("/sources/{source_id}/diff", documents.compare_redirect),
        Route("/sources/{source_id}/diff/{old:int}..{new:int}.json", diffs.diff_json),
        Route("/sources/{source_id}/diff/{old:int}..{new:int}", diffs.diff_page),
        Route("/search.json", search.search_json),
        Route("/search", search.search_page),
        Route("/feeds/changes.atom", feeds.feed_all),
        Route("/feeds/orgs/{org:path}.atom", feeds.feed_org),
        Route("/feeds/sources/{source_id}.atom", feeds.feed_source),
        Route("/favicon.ico", favicon),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]


def favicon(request: Request) -> Response:
    """GET /favicon.ico: browsers ask for it on pages without a declared icon (JSON, text)."""
    return Response((STATIC / "favicon.svg").read_bytes(), media_type="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=86400"})


def create_app(data_dir: Path, *, taxonomy: Taxonomy | None = None, base_url: str | None = None) -> Starlette:
    """The web UI over one data folder. `base_url` is the address feeds link to (default: the request's)."""
    app = Starlette(routes=routes(), middleware=[Middleware(SecurityHeaders)], exception_handlers={
        HTTPException: http_error, NotFoundError: not_found_error, StoreError: store_error})
    app.state.settings = Settings(data_dir=data_dir, taxonomy=taxonomy or load_taxonomy(), base_url=base_url)
    app.state.diff_cache = diffs.PairCache()
    return app


def _error(request: Request, status: int, message: str) -> Response:
    if request.url.path.endswith(_MACHINE_SUFFIXES):
        return json_response({"error": message, "status": status}, status_code=status)
    return render(request, "error.html", status_code=status, status=status, message=message)


async def http_error(request: Request, exc: Exception) -> Response:
    """404, 400, 405 and the like: a short page (or JSON for .json, .atom and .txt paths)."""
    assert isinstance(exc, HTTPException)
    response = _error(request, exc.status_code, str(exc.detail))
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def not_found_error(request: Request, exc: Exception) -> Response:
    """A store lookup that found nothing."""
    return _error(request, 404, str(exc))


async def store_error(request: Request, exc: Exception) -> Response:
    """A missing or corrupt snapshot: the server's data is damaged, say which."""
    return _error(request, 500, f"the data folder cannot be read: {exc}")
