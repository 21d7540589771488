"""The Models API, offline: ``GET /v1/models`` and ``GET /v1/models/{model_id}`` from the catalogue.

So that ``client.models.list()`` (with auto-pagination), ``client.models.retrieve()`` and
their ``client.beta.models`` twins (same paths with ``?beta=true``) work with no key. The
shape follows the SDK (``resources/models.py``, ``pagination.SyncPage``, ``ModelListParams``):
a page is ``{data, has_more, first_id, last_id}``, newest model first; ``limit`` defaults to
20 and ranges 1..1000; ``after_id`` / ``before_id`` are cursors; ``lifecycle`` (sent by the
SDK as ``lifecycle[]=...``) filters, defaulting to active and deprecated models; retired
models appear only when asked for, and ``retrieve`` still describes them (ModelInfo: a
retired model "remains in the catalogue as the historical record of its retirement").
"""

from __future__ import annotations

from typing import Any, get_args

from starlette.datastructures import QueryParams

from .._catalogue import MODELS, ModelEntry, find
from .._catalogue_data import Lifecycle
from ._errors import APIError, invalid

LIFECYCLES: tuple[str, ...] = get_args(Lifecycle)
DEFAULT_LIFECYCLES = frozenset({"active", "deprecated"})
MAX_LIMIT = 1000


def _limit(params: QueryParams) -> int:
    raw = params.get("limit")
    if raw is None:
        return 20
    try:
        limit = int(raw)
    except ValueError:
        raise invalid("limit: Input should be a valid integer, unable to parse string as an integer") from None
    if limit < 1:
        raise invalid("limit: Input should be greater than or equal to 1")
    if limit > MAX_LIMIT:
        raise invalid(f"limit: Input should be less than or equal to {MAX_LIMIT}")
    return limit


def _lifecycles(params: QueryParams) -> frozenset[str]:
    values = params.getlist("lifecycle[]") + params.getlist("lifecycle")
    if not values:
        return DEFAULT_LIFECYCLES
    if len(values) > len(LIFECYCLES):
        raise invalid(f"lifecycle: List should have at most {len(LIFECYCLES)} items after validation, "
                      f"not {len(values)}")
    for i, value in enumerate(values):
        if value not in LIFECYCLES:
            raise invalid(f"lifecycle.{i}: Input should be 'active', 'deprecated' or 'retired'")
    return frozenset(values)


def list_models(params: QueryParams) -> dict[str, Any]:
    """One page of ``GET /v1/models``."""
    limit = _limit(params)
    wanted = _lifecycles(params)
    after, before = params.get("after_id"), params.get("before_id")
    if after and before:
        raise invalid("after_id and before_id cannot both be specified")
    models = [m for m in MODELS if m.lifecycle in wanted]
    ids = [m.id for m in models]

    def position(cursor: str) -> int | None:
        entry = find(cursor)
        return ids.index(entry.id) if entry is not None and entry.id in ids else None

    page: list[ModelEntry]
    if before:
        end = position(before)
        start = max(0, (end or 0) - limit)
        page = models[start:end] if end is not None else []
        has_more = end is not None and start > 0
    else:
        start = 0
        if after:
            found = position(after)
            start = found + 1 if found is not None else len(models)
        page = models[start:start + limit]
        has_more = start + limit < len(models)
    return {
        "data": [m.info() for m in page],
        "has_more": has_more,
        "first_id": page[0].id if page else None,
        "last_id": page[-1].id if page else None,
    }


def retrieve_model(model_id: str) -> dict[str, Any]:
    """``GET /v1/models/{model_id}``: an id or alias, resolved; 404 as the API words it."""
    entry = find(model_id)
    if entry is None:
        raise APIError(404, f"model: {model_id}", error_type="not_found_error")
    return entry.info()
