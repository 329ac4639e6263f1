"""The strict schema of the rule files (`cql-free-rules/rules/*.yaml`) and the recommendations
table. Conditions are data — all / any / not over named facts with a handful of operators — and
nothing in a rule file is ever evaluated as code."""

from __future__ import annotations

import re
from functools import cached_property
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

_STRICT = ConfigDict(extra="forbid", frozen=True)

Scalar = bool | int | float | str
# A fact placeholder in card text: `{fact}` or `{fact.note|reason|explain|value|said}`; `said` is
# the fact as the summary's Facts line says it (facts.yaml `said`: "ECOG 1 (2026-03-05)").
PLACEHOLDER = re.compile(r"\{([a-z_]+)(?:\.(note|reason|explain|value|said))?\}")


class Test(BaseModel):
    """One test on one fact. Exactly one operator. `is`, `equals`, `in`, `gt`… are unknown when
    the fact is unknown or indeterminate, and false when it is not applicable; `any_of` (over
    yes/no or category values and unknown/indeterminate/not_applicable) and `known` always
    answer."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    fact: str
    is_: bool | None = Field(default=None, alias="is")
    equals: str | None = None
    in_: tuple[str, ...] | None = Field(default=None, alias="in")
    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None
    contains: str | None = None
    any_of: tuple[str, ...] | None = None
    known: bool | None = None

    @model_validator(mode="after")
    def _one_operator(self) -> Test:
        ops = [n for n in OPERATORS if getattr(self, n) is not None]
        if len(ops) != 1:
            raise ValueError(
                f"a test on '{self.fact}' needs exactly one operator of "
                f"{', '.join(o.rstrip('_') for o in OPERATORS)}; got {len(ops)}"
            )
        return self

    @cached_property  # resolved once per loaded rule, not on every evaluation (issue 18)
    def operator(self) -> str:
        return next(n for n in OPERATORS if getattr(self, n) is not None)


OPERATORS = ("is_", "equals", "in_", "gt", "ge", "lt", "le", "contains", "any_of", "known")


class All(BaseModel):
    model_config = _STRICT
    all: tuple[RuleCondition, ...] = Field(min_length=1)


class Any_(BaseModel):
    model_config = _STRICT
    any: tuple[RuleCondition, ...] = Field(min_length=1)


class Not(BaseModel):
    model_config = _STRICT
    not_: RuleCondition = Field(alias="not")


def _condition_kind(v: object) -> str:
    """Pick the condition's model by its key, so that errors speak of one model, not four."""
    if isinstance(v, dict):
        for key in ("all", "any", "not"):
            if key in v:
                return key
        return "test"
    if isinstance(v, All):
        return "all"
    if isinstance(v, Any_):
        return "any"
    return "not" if isinstance(v, Not) else "test"


RuleCondition = Annotated[
    Annotated[All, Tag("all")]
    | Annotated[Any_, Tag("any")]
    | Annotated[Not, Tag("not")]
    | Annotated[Test, Tag("test")],
    Discriminator(_condition_kind),
]


class RuleCoding(BaseModel):
    model_config = _STRICT
    system: str
    code: str
    display: str


class Order(BaseModel):
    """A FHIR R4 ServiceRequest to create (status draft, intent proposal, subject the patient)."""

    model_config = _STRICT
    code: RuleCoding
    category: RuleCoding | None = None
    note: str | None = None
    reason: str | None = None  # reasonCode text


class Suggestion(BaseModel):
    model_config = _STRICT
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    label: str = Field(min_length=1, max_length=140)
    when: RuleCondition | None = None
    recommended: bool = False
    orders: tuple[Order, ...] = Field(min_length=1)


class Statement(BaseModel):
    """One sentence of the card, shown when `when` holds; when `when` is unknown and `on_unknown`
    is given, that text (with the missing facts named) is shown instead."""

    model_config = _STRICT
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    when: RuleCondition | None = None
    text: str = Field(min_length=1)
    on_unknown: str | None = None
    recommendations: tuple[str, ...] = ()
    summary: str | None = Field(default=None, max_length=139)
    indicator: Literal["info", "warning", "critical"] | None = None
    # General guidance for the surgeon or the board (how to resect, how to biopsy) rather than what
    # to do for this patient now: kept off the EHR card, in its extension for the tumour-board view.
    board_only: bool = False


class ExampleExpect(BaseModel):
    model_config = _STRICT
    fires: bool
    statements: tuple[str, ...] = ()  # ids that must be shown (as true)
    unknown_statements: tuple[str, ...] = ()  # ids that must be shown as "needs data"
    absent_statements: tuple[str, ...] = ()  # ids that must not be shown at all
    indicator: Literal["info", "warning", "critical"] | None = None
    suggestions: tuple[str, ...] | None = None  # exact suggestion ids, when given
    summary_contains: str | None = None


class Example(BaseModel):
    """An inline test case: facts in (yes/no/unknown/indeterminate/not_applicable or a value),
    card out. Facts not listed are unknown."""

    model_config = _STRICT
    name: str
    facts: dict[str, Scalar | list[str]]
    expect: ExampleExpect


class RuleFile(BaseModel):
    model_config = _STRICT
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    version: str
    topic: str = Field(pattern=r"^[a-z0-9-]+$")
    scope: Literal["sts-liver", "gist", "data-quality"] = "sts-liver"
    order: int = Field(ge=0, le=100)  # card order in the response
    title: str
    recommendations: tuple[str, ...] = ()
    applies_when: RuleCondition
    summary: str = Field(min_length=1, max_length=139)
    indicator: Literal["info", "warning", "critical"] = "info"
    show_facts: tuple[str, ...] = ()
    statements: tuple[Statement, ...] = Field(min_length=1)
    suggestions: tuple[Suggestion, ...] = ()
    override_reasons: tuple[RuleCoding, ...] = ()
    examples: tuple[Example, ...] = Field(min_length=1)


class Votes(BaseModel):
    model_config = _STRICT
    total: int = Field(gt=0)
    yes: int = Field(ge=0)
    no: int = Field(ge=0)


class Recommendation(BaseModel):
    model_config = _STRICT
    id: str = Field(pattern=r"^\d{1,2}\.\d$")
    question: str
    text: str
    level: Literal["I", "II", "III", "IV", "V"]
    strength: Literal["A", "B", "C", "D", "E"]
    votes: Votes
    consensus_percent: int = Field(ge=0, le=100)
    consensus_class: Literal["unanimous", "strong", "weak", "not_reached"]
    note: str | None = None

    @property
    def consensus_reached(self) -> bool:
        return self.consensus_class != "not_reached"


class RecommendationsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    source: dict[str, object]
    recommendations: tuple[Recommendation, ...]


All.model_rebuild()
Any_.model_rebuild()
Not.model_rebuild()
Suggestion.model_rebuild()
Statement.model_rebuild()
RuleFile.model_rebuild()
