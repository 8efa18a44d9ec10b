"""The simulator's scenario: what is assumed rather than known, each with a default a store owner can
accept before they have their own figures, and the API's percents for them."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from marshmallow import fields, validate

from plugin.core import limits

HUNDRED = Decimal(100)
MARGIN = validate.Range(min=0, max=Decimal("99.99"))  # a margin of 100% would be a free good


@dataclass(frozen=True)
class Scenario:
    """Fractions, not percents. ``redemption_rate``: the share of issued points that customers will
    redeem in the end (the rest is breakage); ``months_to_redeem``: how long after earning they do;
    ``uplift``: extra repeat purchases the program brings (an input to try, never a prediction);
    ``margin``: gross margin as a share of the sale price, ``margins`` the same per category."""
    redemption_rate: Decimal = Decimal("0.6")
    months_to_redeem: int = 3
    uplift: Decimal = Decimal(0)
    margin: Decimal = Decimal("0.3")
    margins: dict[str, Decimal] = field(default_factory=dict)

    def margin_of(self, categories: list[str]) -> Decimal:
        """The margin of a line in these categories: the first one given a margin, else the one figure."""
        return next((self.margins[name] for name in categories if name in self.margins), self.margin)

    def as_dict(self) -> dict:
        return {"redemption_rate": str(self.redemption_rate * HUNDRED),
                "months_to_redeem": self.months_to_redeem,
                "uplift": str(self.uplift * HUNDRED), "margin": str(self.margin * HUNDRED),
                "margins": {name: str(value * HUNDRED) for name, value in sorted(self.margins.items())}}


def margin_from_markup(markup: Decimal) -> Decimal:
    """A markup on cost as a margin on price: 30% on cost (cost 100, price 130) is 30/130 of the price."""
    return markup / (HUNDRED + markup)


def _percent(maximum: int, default: str) -> fields.Decimal:
    return fields.Decimal(load_default=Decimal(default), places=4,
                          validate=validate.Range(min=0, max=maximum))


class ScenarioSchema(limits.StrictSchema):
    """The knobs as percents (30 = 30%); ``observed`` uses the shop's own redemption rate when it has one."""
    redemption_rate = _percent(100, "60")
    months_to_redeem = fields.Integer(strict=True, load_default=3, validate=validate.Range(min=0, max=60))
    uplift = _percent(100, "0")
    margin = fields.Decimal(load_default=Decimal(30), places=4, validate=MARGIN)
    margins = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=200)),
                          values=fields.Decimal(places=4, validate=MARGIN),
                          load_default=dict, validate=validate.Length(max=200))
    observed = fields.Boolean(load_default=False)


def from_percents(data: dict, observed_rate: Decimal | None = None) -> Scenario:
    """A Scenario from the schema's loaded percents; the observed rate replaces the given one if asked for."""
    rate = data["redemption_rate"] / HUNDRED
    if data.get("observed") and observed_rate is not None:
        rate = observed_rate
    return Scenario(redemption_rate=rate, months_to_redeem=data["months_to_redeem"],
                    uplift=data["uplift"] / HUNDRED, margin=data["margin"] / HUNDRED,
                    margins={name: value / HUNDRED for name, value in data["margins"].items()})
