"""schemathesis hooks for make fuzz (loaded through `hooks` in schemathesis.toml).

They make generated requests valid where the schema cannot say what valid is; they never
drop a request or a failure (false positives are declared in schemathesis.toml only).

Cursors are opaque (`cursor`: any string up to 512 characters in the schema, but only
one taken from a `next` link is accepted, 400 otherwise). In a request whose query is
schema-valid, this hook replaces the generated cursor with the one of a real `next` link
of the same collection (or leaves it out when the collection has a single page).

Seeded references: the `body.*` parameters of schemathesis.toml (an entity, an officer,
an employee of the caller's scope) are applied by schemathesis in the fuzzing and stateful
phases only; this hook applies them to the schema-valid bodies of the coverage phase too.

Updates need the `ETag` of the version they change (`If-Match`): without it the server
answers 428, with anything else 412, so a generated request would never reach the update
logic. Before two of every three such requests this hook reads the resource and sends
its current `ETag`; the third keeps whatever schemathesis generated (or nothing), so that
428 and 412 are exercised too; a request whose headers were generated to break the schema
is left alone. The choice goes by a counter, so a run with the same seed
sends the same requests. Standard library only.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request

import schemathesis
from schemathesis.config._dictionaries import ParameterDictionaryBinding, parse_body_path
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.transforms import split_body_path
from schemathesis.generation.dictionaries import walk_substitute

BASE = os.environ.get("FUZZ_BASE_URL", "")
TOKEN = os.environ.get("FUZZ_TOKEN", "")
# Operations whose target is read at the same path, or (POST) at the path one level up.
SAME_PATH = {"PATCH", "PUT"}
PARENT_PATH_SUFFIXES = ("/statusChanges", "/reassignment")
_counter = 0


def _target(method: str, path: str) -> str | None:
    if method in SAME_PATH:
        return path
    if method == "POST" and path.endswith(PARENT_PATH_SUFFIXES):
        return path.rsplit("/", 1)[0]
    return None


def _get(path: str):
    """(headers, body) of a GET with the run's token; None when it is not a 200."""
    req = urllib.request.Request(BASE + path, method="GET")
    req.add_header("Authorization", f"Bearer {TOKEN}")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.headers, r.read()
    except (urllib.error.URLError, OSError, ValueError):
        return None


def _current_etag(path: str) -> str | None:
    got = _get(path)
    return got[0].get("ETag") if got else None


_cursors: dict[str, str | None] = {}


def _real_cursor(path: str) -> str | None:
    """The cursor of the `next` link of the first one-item page of the collection at path."""
    if path not in _cursors:
        cursor = None
        got = _get(path + "?pageSize=1")
        if got:
            try:
                next_link = json.loads(got[1]).get("next")
            except (ValueError, AttributeError):
                next_link = None
            if next_link:
                cursor = urllib.parse.parse_qs(urllib.parse.urlsplit(next_link).query).get("cursor", [None])[0]
        _cursors[path] = cursor
    return _cursors[path]


def _fix_cursor(case, path: str) -> None:
    query = case.query
    if not query or "cursor" not in query:
        return
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.QUERY):
        return
    cursor = _real_cursor(path)
    query = dict(query)
    if cursor is None:
        del query["cursor"]
    else:
        query["cursor"] = cursor
    case.query = query


def _body_overrides(case) -> dict[str, object]:
    config = case.operation.schema.config
    merged: dict[str, object] = {}
    for source in (config.parameters, config.operations.get_for_operation(case.operation).parameters):
        for key, value in source.items():
            if key.startswith("body.") and not isinstance(value, ParameterDictionaryBinding):
                merged[key] = value
    return merged


def _apply_body_overrides(case) -> None:
    if not isinstance(case.body, (dict, list)):
        return
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.BODY):
        return
    body = case.body
    for key, value in _body_overrides(case).items():
        body = walk_substitute(body, split_body_path(parse_body_path(key)), lambda _old, v=value: v, create_missing=True)
    if body != case.body:
        case.body = body


@schemathesis.hook
def before_call(context, case, kwargs):
    global _counter
    if not BASE:
        return
    try:
        path = case.formatted_path
    except Exception:
        return
    if case.method.upper() == "GET":
        _fix_cursor(case, path)
        return
    _apply_body_overrides(case)
    target = _target(case.method.upper(), path)
    if target is None:
        return
    # A header generated to break the schema (an If-Match over its length) stays as it is.
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER):
        return
    _counter += 1
    if _counter % 3 == 0:
        return
    etag = _current_etag(target)
    if etag:
        headers = dict(case.headers or {})
        headers = {k: v for k, v in headers.items() if k.lower() != "if-match"}
        headers["If-Match"] = etag
        case.headers = headers
