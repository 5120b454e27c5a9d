from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, Field

from shared.comparison.outputs import ComparisonOut
from shared.llm.schema import SchemaNotStrictCompatible, strict_json_schema
from shared.query.outputs import CombineOut, PartOut


def objects(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if node.get("type") == "object":
            found.append(node)
        for value in node.values():
            found.extend(objects(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(objects(value))
    return found


@pytest.mark.parametrize("model", [ComparisonOut, PartOut, CombineOut])
def test_output_schemas_are_strict(model: type[BaseModel]) -> None:
    schema = strict_json_schema(model)
    every = objects(schema)
    assert len(every) >= 2  # root plus nested definitions
    for node in every:
        assert node["additionalProperties"] is False
        assert node["required"] == list(node["properties"])
    assert '"default"' not in str(schema).replace("'", '"')


def test_optional_and_described_fields() -> None:
    class Inner(BaseModel):
        n: int = Field(ge=0)

    class Outer(BaseModel):
        note: str | None = None
        inner: Inner = Field(description="the inner part")
        items: list[Inner] = Field(default_factory=list)

    schema = strict_json_schema(Outer)
    assert schema["required"] == ["note", "inner", "items"]
    assert schema["properties"]["note"] == {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Note"}
    inner = schema["properties"]["inner"]
    assert "$ref" not in inner  # a $ref with a sibling description is inlined
    assert inner["description"] == "the inner part" and inner["additionalProperties"] is False
    assert inner["required"] == ["n"]


def test_free_form_maps_are_rejected_by_name() -> None:
    class Loose(BaseModel):
        extra: dict[str, int]

    with pytest.raises(SchemaNotStrictCompatible, match="properties/extra"):
        strict_json_schema(Loose)
