from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, Field

from shared.comparison.outputs import ComparisonOut
from shared.llm.schema import MAX_ENUM_VALUES, SchemaNotStrictCompatible, narrowed, one_of, strict_json_schema
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


class Scored(BaseModel):
    title: str
    score: float
    tags: list[str]


def test_narrowed_fields_become_enums_on_the_wire_and_in_validation() -> None:
    bounded = narrowed(Scored, title=one_of(["A", "B", "A"]), score=one_of([0, 1]))
    schema = strict_json_schema(bounded)
    assert schema["properties"]["title"]["enum"] == ["A", "B"]  # duplicates dropped, order kept
    assert schema["properties"]["score"] == {"enum": [0, 1], "title": "Score", "type": "integer"}
    assert schema["properties"]["tags"] == strict_json_schema(Scored)["properties"]["tags"]  # untouched
    assert schema["title"] == "Scored"  # the model's own name: $defs and titles read the same
    assert issubclass(bounded, Scored)
    with pytest.raises(ValueError, match="Input should be 0 or 1"):
        bounded.model_validate({"title": "A", "score": 2, "tags": []})
    # The same bounds give the same class: its schema and token count are computed once.
    assert narrowed(Scored, score=one_of([0, 1]), title=one_of(["A", "B"])) is bounded


def test_one_value_is_an_enum_and_nothing_to_narrow_is_the_model_itself() -> None:
    schema = strict_json_schema(narrowed(Scored, title=one_of(["Only"])))
    assert schema["properties"]["title"] == {"enum": ["Only"], "title": "Title", "type": "string"}  # not "const"
    assert list(schema["properties"]["title"]) == ["enum", "title", "type"]  # where several values go: first
    assert narrowed(Scored, title=None) is Scored
    assert one_of([]) is None


def test_too_many_values_are_not_enumerated() -> None:
    assert one_of(range(MAX_ENUM_VALUES)) is not None
    assert one_of(range(MAX_ENUM_VALUES + 1)) is None
    assert one_of(["x" * 4_000, "y" * 4_000]) is None  # their characters, too
