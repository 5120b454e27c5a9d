"""What we ask the model to return for a query part and a combine: the structured-output schemas, kept apart
from our result models (comments, not docstrings: pydantic would bill a docstring to every call).

Each call's schema bounds what the model can answer (shared/llm/schema.py): a part's contract ids are an enum of the
contracts the part shows, and a citation's clause title an enum of the clause titles it shows (as they are, not as
escaped in the prompt's attributes); a combine's citations, of the ids and titles its partial answers' citations
show. Too many values to enumerate leave a field open (MAX_ID_VALUES ids, listed twice in a part's schema;
MAX_ENUM_VALUES titles), and the verifiers still check every citation. A schema therefore depends on its call: the
planner counts each candidate part's own schema, and the reduce each candidate group's (`part_schema_text`,
`combine_schema_text`: the exact JSON the client counts, built without pydantic so that packing stays fast), and
`part_schema` / `combine_schema` are the models the calls validate with; each pair is the same schema.
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
from shared.query.models import PartAnswer

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


# --- the bounds of a reply's schema -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplyBounds:
    """The values a reply may use: contract ids and clause titles, each distinct in order, or None when there are
    too many to enumerate (the field is left open). A part's are those of the contracts it shows, a combine's those
    of the citations its partial answers show."""

    contract_ids: tuple[str, ...] | None = ()
    clause_titles: tuple[str, ...] | None = ()

    def adding(self, contract_ids: Sequence[str], clause_titles: Sequence[str]) -> ReplyBounds:
        """These bounds with more values: they only ever add, or open a field for good."""
        ids = _grown(self.contract_ids, contract_ids, MAX_ID_VALUES)
        return ReplyBounds(ids, _grown(self.clause_titles, clause_titles, MAX_ENUM_VALUES))

    def adding_contract(self, contract: ContractForAnalysis) -> ReplyBounds:
        return self.adding([contract.contract_id], [clause.title for clause in contract.clauses])

    def adding_citations(self, answer: PartAnswer) -> ReplyBounds:
        """With the citations a combine prompt shows of `answer` (render_combine_part)."""
        return self.adding([c.contract_id for c in answer.citations], [c.clause_title for c in answer.citations])


OPEN = ReplyBounds(None, None)
"""Both fields open: the reply model's own schema."""


def part_bounds(contracts: Iterable[ContractForAnalysis]) -> ReplyBounds:
    bounds = ReplyBounds()
    for contract in contracts:
        bounds = bounds.adding_contract(contract)
    return bounds


def combine_bounds(answers: Iterable[PartAnswer]) -> ReplyBounds:
    bounds = ReplyBounds()
    for answer in answers:
        bounds = bounds.adding_citations(answer)
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


def _citation(bounds: ReplyBounds) -> type[CitationOut]:
    ids, titles = _open(bounds.contract_ids), _open(bounds.clause_titles)
    return narrowed(CitationOut, contract_id=_literal(ids), clause_title=_literal(titles))


def part_schema(bounds: ReplyBounds) -> type[PartOut]:
    """The response schema of a part's call: PartOut with its contract ids and clause titles bounded."""
    citation = _citation(bounds)
    per_contract = narrowed(
        PerContractOut, contract_id=_literal(_open(bounds.contract_ids)), citations=_list_of(citation, CitationOut)
    )
    return narrowed(
        PartOut, citations=_list_of(citation, CitationOut), per_contract=_list_of(per_contract, PerContractOut)
    )


def combine_schema(bounds: ReplyBounds) -> type[CombineOut]:
    """The response schema of a combine's call: CombineOut with its citations' ids and titles bounded."""
    return narrowed(CombineOut, citations=_list_of(_citation(bounds), CitationOut))


def _literal(values: tuple[str, ...] | None) -> Any | None:
    return None if values is None else one_of(values)


def _list_of(item: type[BaseModel], unless: type[BaseModel]) -> Any | None:
    return None if item is unless else list.__class_getitem__(item)  # list[item], built at run time


@functools.cache
def _open_text(model: type[BaseModel]) -> str:
    return json.dumps(strict_json_schema(model), separators=(",", ":"))


def _property(name: str, title: str) -> str:
    return f'"{name}":{{"title":"{title}","type":"string"}}'


_CONTRACT_ID = _property("contract_id", "Contract Id")
_CLAUSE_TITLE = _property("clause_title", "Clause Title")


def _bounded_text(model: type[BaseModel], bounds: ReplyBounds) -> str:
    """The schema of `model` with `bounds` as the client counts it (compact JSON of its strict schema), written
    straight from the open schema's text: the enums go first in their properties, as pydantic puts them."""
    text = _open_text(model)
    for field, values in ((_CONTRACT_ID, _open(bounds.contract_ids)), (_CLAUSE_TITLE, _open(bounds.clause_titles))):
        if values is not None:
            listed = json.dumps(list(values), separators=(",", ":"))
            text = text.replace(field, field.replace("{", "{" + f'"enum":{listed},', 1))
    return text


def part_schema_text(bounds: ReplyBounds) -> str:
    """`part_schema(bounds)` as the client counts it."""
    return _bounded_text(PartOut, bounds)


def combine_schema_text(bounds: ReplyBounds) -> str:
    """`combine_schema(bounds)` as the client counts it."""
    return _bounded_text(CombineOut, bounds)
