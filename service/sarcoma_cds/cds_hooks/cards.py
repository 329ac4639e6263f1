"""CDS Hooks 2.0 cards and the service response, typed (CDS Hooks 2.0 §Card Attributes).

The card builder produces `Card`s; they are serialised once, here, under the CDS Hooks JSON rule
(no null, no empty string, array or object). A card that breaks the contract (no summary, an
unknown indicator, suggestions without a selection behaviour) cannot be constructed, so it never
reaches an EHR.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

import orjson
from pydantic import BaseModel, ConfigDict, Field, model_validator

from sarcoma_cds.cds_hooks.hygiene import prune

Indicator = Literal["info", "warning", "critical"]
Text = Annotated[str, Field(min_length=1)]

# Our own output: unknown fields are a bug in the builder, not an extension.
_OURS = ConfigDict(extra="forbid", frozen=True)


class _CdsModel(BaseModel):
    model_config = _OURS

    def to_json(self) -> Any:
        """The wire form: field names as the spec spells them, no null or empty values."""
        return prune(self.model_dump(mode="json", exclude_none=True))


class CardCoding(_CdsModel):
    """A CDS Hooks Coding (`source.topic`, `overrideReasons`): code and system required."""

    code: Text
    system: Text
    display: str | None = None


class Source(_CdsModel):
    label: Text
    url: str | None = None
    icon: str | None = None
    topic: CardCoding | None = None


class Action(_CdsModel):
    type: Literal["create", "update", "delete"]
    description: Text
    resource: dict[str, Any] | None = None  # a FHIR resource, validated where it is built
    resourceId: str | None = None


class Suggestion(_CdsModel):
    label: Text
    uuid: str | None = None
    isRecommended: bool | None = None
    actions: list[Action] | None = None


class Link(_CdsModel):
    label: Text
    url: Text
    type: Literal["absolute", "smart"]
    appContext: str | None = None


class Card(_CdsModel):
    # Field order is the order the card builder has always emitted (the wire stays identical).
    uuid: str | None = None
    summary: Annotated[str, Field(min_length=1, max_length=140)]
    detail: str | None = None
    indicator: Indicator
    source: Source
    extension: dict[str, Any] | None = None
    suggestions: list[Suggestion] | None = None
    selectionBehavior: Literal["at-most-one", "any"] | None = None
    overrideReasons: list[CardCoding] | None = None
    links: list[Link] | None = None

    @model_validator(mode="after")
    def _selection_behaviour_with_suggestions(self) -> Self:
        if self.suggestions and self.selectionBehavior is None:
            raise ValueError("selectionBehavior is required when suggestions are given")
        return self


class CdsResponse(_CdsModel):
    """The service answer `{"cards": [...]}`; an empty list means "no guidance"."""

    cards: list[Card]

    def to_json(self) -> dict[str, Any]:
        return {"cards": [card.to_json() for card in self.cards]}

    def to_bytes(self) -> bytes:
        return orjson.dumps(self.to_json())
