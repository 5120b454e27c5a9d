"""Strict JSON schemas for structured outputs, derived from pydantic models.

The API's `strict: true` mode accepts only a subset of JSON Schema: every object closed
(`additionalProperties: false`), every property listed in `required` (optional fields become nullable via
`anyOf [..., {"type": "null"}]`, which pydantic already emits for `X | None`), no `default`s, and no `$ref` with
sibling keywords. We derive it ourselves rather than import the SDK's private helper, so an SDK upgrade cannot
silently change what we send.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


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
