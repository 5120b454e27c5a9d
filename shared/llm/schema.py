"""Strict JSON schemas for structured outputs, derived from pydantic models.

The API's `strict: true` mode accepts only a subset of JSON Schema: every object closed
(`additionalProperties: false`), every property listed in `required` (optional fields become nullable via
`anyOf [..., {"type": "null"}]`, which pydantic already emits for `X | None`), no `default`s, and no `$ref` with
sibling keywords. We derive it ourselves rather than import the SDK's private helper, so an SDK upgrade cannot
silently change what we send.

A reply schema also bounds what the model may answer wherever structured output can bound it, so that a validator
rarely has to send a reply back: a field whose allowed values a call knows (the clause titles it lists, the scores
of a scale) is narrowed to an `enum` of them (`narrowed`, `one_of`). Numeric `minimum` / `maximum` are not sent:
Azure OpenAI's strict mode has refused them, and a small integer range is an enum anyway. Narrowed models are
built per call from what the call knows, and cached, so the same titles give the same class (and the schema and its
exact token count are computed once).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, create_model

M = TypeVar("M", bound=BaseModel)

MAX_ENUM_VALUES = 250
"""Most values one enum gets; a field with more stays unbounded (its validator checks it). Under every provider's
limit: OpenAI allows 1,000 enum values in a schema, and 15,000 characters of them in one enum over 250 values; Azure
OpenAI has allowed 500 in a schema."""
MAX_ENUM_CHARS = 7_500
"""Most characters of one enum's string values, for the same reason."""
NARROWED_CACHE = 256
"""Narrowed models kept (and their schemas, and their token counts): about one per standard contract in use."""


def one_of(values: Iterable[Any]) -> Any | None:
    """`Literal[values]` (duplicates dropped, order kept) for a field the model must answer with one of `values`,
    or None when there are none, or too many to enumerate (MAX_ENUM_VALUES, MAX_ENUM_CHARS)."""
    distinct = tuple(dict.fromkeys(values))
    chars = sum(len(v) for v in distinct if isinstance(v, str))
    if not distinct or len(distinct) > MAX_ENUM_VALUES or chars > MAX_ENUM_CHARS:
        return None
    return Literal[distinct]


@functools.lru_cache(maxsize=NARROWED_CACHE)
def _narrowed(model: type[M], fields: tuple[tuple[str, Any], ...]) -> type[M]:
    definitions: dict[str, Any] = {name: (annotation, ...) for name, annotation in fields}
    # The same name and module: the schema's $defs and titles read as the model's own, and its validators run.
    return create_model(model.__name__, __base__=model, __module__=model.__module__, **definitions)


def narrowed(model: type[M], **fields: Any) -> type[M]:
    """`model` with the named fields' types narrowed (e.g. to `one_of(...)`, or to a narrowed nested model): a
    subclass that validates what its schema allows. A field given None keeps its type; with nothing to narrow,
    `model` itself."""
    given = tuple(sorted((name, annotation) for name, annotation in fields.items() if annotation is not None))
    return _narrowed(model, given) if given else model


class SchemaNotStrictCompatible(ValueError):
    """The pydantic model uses a construct strict structured outputs cannot express."""


def strict_json_schema(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema(mode="validation")
    return _strict(schema, root=schema, path="#")


def _resolve(root: dict[str, Any], ref: str) -> dict[str, Any]:
    if not ref.startswith("#/"):
        raise SchemaNotStrictCompatible(f"unsupported $ref {ref!r}: only local refs are allowed")
    node: Any = root
    for key in ref[2:].split("/"):
        node = node[key]
    if not isinstance(node, dict):
        raise SchemaNotStrictCompatible(f"$ref {ref!r} does not resolve to an object schema")
    return node


def _strict(node: dict[str, Any], *, root: dict[str, Any], path: str) -> dict[str, Any]:
    out = dict(node)
    # Strict mode rejects `default`; every property is required anyway, so the model always supplies a value.
    out.pop("default", None)
    if "const" in out:
        # pydantic writes a one-value Literal as `const`; a one-value `enum` says the same in every provider's subset.
        # In its place: a schema with one value reads (and is counted) as the same schema with several.
        out = {("enum" if key == "const" else key): ([v] if key == "const" else v) for key, v in out.items()}

    if "$ref" in out and len(out) > 1:
        # A $ref next to e.g. "description" is not allowed: inline the target, local keys winning.
        ref = out.pop("$ref")
        return _strict({**_resolve(root, ref), **out}, root=root, path=path)

    for key in ("$defs", "definitions"):
        if isinstance(out.get(key), dict):
            out[key] = {name: _strict(sub, root=root, path=f"{path}/{key}/{name}") for name, sub in out[key].items()}

    if out.get("type") == "object" or "properties" in out:
        if isinstance(out.get("additionalProperties"), dict):
            raise SchemaNotStrictCompatible(f"{path}: free-form maps (dict[str, X]) are not allowed in strict mode")
        out["additionalProperties"] = False
        properties = out.get("properties", {})
        out["properties"] = {
            name: _strict(sub, root=root, path=f"{path}/properties/{name}") for name, sub in properties.items()
        }
        out["required"] = list(properties)

    if isinstance(out.get("items"), dict):
        out["items"] = _strict(out["items"], root=root, path=f"{path}/items")

    for key in ("anyOf", "allOf"):
        if isinstance(out.get(key), list):
            out[key] = [_strict(sub, root=root, path=f"{path}/{key}/{i}") for i, sub in enumerate(out[key])]
    if isinstance(out.get("allOf"), list) and len(out["allOf"]) == 1:
        only = out.pop("allOf")[0]
        out = {**only, **out}

    return out
