"""What we ask the model to return for a query part and a combine: the structured-output schemas, kept apart
from our result models (comments, not docstrings: pydantic would bill a docstring to every call).

Each call's schema bounds what the model can answer (shared/llm/schema.py): a part's contract ids are an enum of the
contracts the part shows, and a citation's clause title an enum of the clause titles it shows (as they are, not as
escaped in the prompt's attributes); a combine's citations, of the ids and titles its partial answers cite. Too many
values to enumerate leave a field open (MAX_ID_VALUES ids, since they appear twice; MAX_ENUM_VALUES titles), and the
verifier still checks every citation. A part's schema therefore depends on the part: the planner counts each
candidate part's own schema (`part_schema_text`, the exact JSON the client counts, built without pydantic so that
packing stays fast), and `part_schema` is the model the call validates with; the two are the same schema.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, get_args

from pydantic import BaseModel, field_validator

from shared.contracts.analysis import ContractForAnalysis
from shared.llm.schema import MAX_ENUM_CHARS, MAX_ENUM_VALUES, narrowed, one_of, strict_json_schema

PART_SCHEMA_NAME = "query_part_answer"
COMBINE_SCHEMA_NAME = "query_answer"
MAX_ID_VALUES = 100
"""Most contract ids a part's schema enumerates: the ids are listed twice (a citation's and a per-contract answer's),
and with MAX_ENUM_VALUES titles the schema stays within the 500 enum values Azure OpenAI has allowed."""


def _as_offered(cls: type[BaseModel], field: str, value: Any) -> Any:
    # A server that ignores the schema may change case or spacing: such a value is the offered one.
    offered = get_args(cls.model_fields[field].annotation)
    if isinstance(value, str) and offered and value not in offered:
        key = " ".join(value.split()).casefold()
        return next((o for o in offered if " ".join(o.split()).casefold() == key), value)
    return value


class CitationOut(BaseModel):
    contract_id: str
    clause_title: str
    quote: str

    @field_validator("contract_id", "clause_title", mode="before")
    @classmethod
    def _offered(cls, value: Any, info: Any) -> Any:
        return _as_offered(cls, info.field_name, value)


class PerContractOut(BaseModel):
    contract_id: str
    answer: str
    relevant: bool
    citations: list[CitationOut]

    @field_validator("contract_id", mode="before")
    @classmethod
    def _offered(cls, value: Any, info: Any) -> Any:
        return _as_offered(cls, info.field_name, value)


class PartOut(BaseModel):
    answer: str
    citations: list[CitationOut]
    per_contract: list[PerContractOut]


class CombineOut(BaseModel):
    answer: str
    citations: list[CitationOut]


# --- the bounds of a part's schema --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartBounds:
    """The values a part's reply may use: its contract ids and its clause titles, each distinct in order, or None
    when there are too many to enumerate (the field is left open)."""

    contract_ids: tuple[str, ...] | None = ()
    clause_titles: tuple[str, ...] | None = ()

    def adding(self, contract: ContractForAnalysis) -> PartBounds:
        """These bounds with `contract` in the part too: more values only ever add, or open a field for good."""
        ids = _grown(self.contract_ids, [contract.contract_id], MAX_ID_VALUES)
        return PartBounds(ids, _grown(self.clause_titles, [c.title for c in contract.clauses], MAX_ENUM_VALUES))


OPEN = PartBounds(None, None)
"""Both fields open: PartOut's own schema."""


def part_bounds(contracts: Iterable[ContractForAnalysis]) -> PartBounds:
    bounds = PartBounds()
    for contract in contracts:
        bounds = bounds.adding(contract)
    return bounds


def _grown(values: tuple[str, ...] | None, more: Sequence[str], most: int) -> tuple[str, ...] | None:
    if values is None:
        return None
    known = set(values)
    added = tuple(dict.fromkeys(v for v in more if v not in known))
    if not added:
        return values
    grown = values + added
    if len(grown) > most or sum(len(v) for v in grown) > MAX_ENUM_CHARS:
        return None
    return grown


def _open(values: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """What the schema enumerates: nothing for none or too many values."""
    return values or None


def part_schema(bounds: PartBounds) -> type[PartOut]:
    """The response schema of a part's call: PartOut with its contract ids and clause titles bounded."""
    ids, titles = _open(bounds.contract_ids), _open(bounds.clause_titles)
    citation = narrowed(CitationOut, contract_id=_literal(ids), clause_title=_literal(titles))
    per_contract = narrowed(PerContractOut, contract_id=_literal(ids), citations=_list_of(citation, CitationOut))
    return narrowed(
        PartOut, citations=_list_of(citation, CitationOut), per_contract=_list_of(per_contract, PerContractOut)
    )


def _literal(values: tuple[str, ...] | None) -> Any | None:
    return None if values is None else one_of(values)


def _list_of(item: type[BaseModel], unless: type[BaseModel]) -> Any | None:
    return None if item is unless else list.__class_getitem__(item)  # list[item], built at run time


@functools.cache
def _open_schema_text() -> str:
    return json.dumps(strict_json_schema(PartOut), separators=(",", ":"))


def _property(name: str, title: str) -> str:
    return f'"{name}":{{"title":"{title}","type":"string"}}'


_CONTRACT_ID = _property("contract_id", "Contract Id")
_CLAUSE_TITLE = _property("clause_title", "Clause Title")


def part_schema_text(bounds: PartBounds) -> str:
    """`part_schema(bounds)` as the client counts it (compact JSON of its strict schema), written straight from the
    open schema's text: the enums go first in their properties, as pydantic puts them."""
    text = _open_schema_text()
    ids, titles = _open(bounds.contract_ids), _open(bounds.clause_titles)
    if ids is not None:
        listed = json.dumps(list(ids), separators=(",", ":"))
        text = text.replace(_CONTRACT_ID, _CONTRACT_ID.replace("{", "{" + f'"enum":{listed},', 1))
    if titles is not None:
        listed = json.dumps(list(titles), separators=(",", ":"))
        text = text.replace(_CLAUSE_TITLE, _CLAUSE_TITLE.replace("{", "{" + f'"enum":{listed},', 1))
    return text
