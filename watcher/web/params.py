"""Validation of path and query parameters: a bad value is a 400 (or 404 for ids), never a 500."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from starlette.exceptions import HTTPException
from starlette.requests import Request

from watcher.alerts.content import SEVERITY_ORDER, VERDICT_WORDS
from watcher.store.web import ChangeFilter, severities_from

MAX_ROW_ID = 2**63 - 1  # SQLite's INTEGER range: a larger id cannot exist
MAX_PAGE = 10_000
MAX_TEXT = 200
CHANGE_KINDS = ("first_seen", "modified", "removed", "restored", "moved", "discovered", "renormalized")
VERDICT_FILTERS = (*(v for v in VERDICT_WORDS if v != "n/a"), "none")


def bad(message: str) -> HTTPException:
    """A 400 answer naming the parameter and what is wrong."""
    return HTTPException(status_code=400, detail=message)


def not_found(message: str) -> HTTPException:
    """A 404 answer."""
    return HTTPException(status_code=404, detail=message)


def row_id(value: int, what: str) -> int:
    """An id or version number from the path; 404 when it cannot exist."""
    if not 0 < value <= MAX_ROW_ID:
        raise not_found(f"no {what} {value}")
    return value


def text(request: Request, name: str, max_length: int = MAX_TEXT) -> str | None:
    """A single text value, stripped; None when absent or empty."""
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise bad(f"{name}: give one value, not {len(values)}")
    value = values[0].strip() if values else ""
    if len(value) > max_length:
        raise bad(f"{name}: at most {max_length} characters")
    if "\x00" in value:
        raise bad(f"{name}: NUL characters are not allowed")
    return value or None


def choice(request: Request, name: str, allowed: tuple[str, ...]) -> str | None:
    """One of the allowed values, or None."""
    value = text(request, name)
    if value is not None and value not in allowed:
        raise bad(f"{name}: {value!r} is not one of {', '.join(allowed)}")
    return value


def positive(request: Request, name: str, default: int, maximum: int) -> int:
    """A positive integer (such as a page number) no larger than maximum."""
    value = text(request, name)
    if value is None:
        return default
    if not value.isdigit() or not 0 < int(value) <= maximum:
        raise bad(f"{name}: a whole number from 1 to {maximum}")
    return int(value)


def version_number(request: Request, name: str) -> int:
    """A required version number from the query (the compare form)."""
    value = text(request, name)
    if value is None or not value.isdigit() or not 0 < int(value) <= MAX_ROW_ID:
        raise bad(f"{name}: a version number is required")
    return int(value)


def moment(request: Request, name: str, *, end: bool = False) -> str | None:
    """A date (2026-01-31) or ISO 8601 time as a UTC timestamp; for `end`, a date means the end of that
    day."""
    value = text(request, name)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise bad(f"{name}: {value!r} is not a date (2026-01-31) or ISO 8601 time") from None
    if end and len(value) == 10:
        parsed += timedelta(days=1)
    parsed = parsed.replace(tzinfo=parsed.tzinfo or UTC).astimezone(UTC)
    return parsed.isoformat(timespec="seconds").replace("+00:00", "Z")


def change_filter(request: Request) -> ChangeFilter:
    """The change list's filters from the query string."""
    severity = choice(request, "severity", SEVERITY_ORDER)
    minimum = choice(request, "min_severity", SEVERITY_ORDER)
    if severity and minimum:
        raise bad("give severity (exactly) or min_severity (at least), not both")
    severities = (severity,) if severity else severities_from(minimum) if minimum else ()
    material = choice(request, "material", ("yes", "no"))
    return ChangeFilter(
        org=text(request, "org"), source=text(request, "source"), kind=choice(request, "kind", CHANGE_KINDS),
        severities=severities, verdict=choice(request, "verdict", VERDICT_FILTERS), tag=text(request, "tag"),
        since=moment(request, "since"), until=moment(request, "until", end=True),
        material=None if material is None else material == "yes")


def filter_values(request: Request) -> dict[str, str]:
    """The filter parameters as given (for refilling the form and building page links)."""
    names = ("org", "source", "kind", "severity", "min_severity", "verdict", "tag", "since", "until",
             "material")
    return {name: request.query_params[name] for name in names if request.query_params.get(name)}
