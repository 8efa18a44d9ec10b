"""The program document: the store's rules as JSON, validated by marshmallow.

Every error names its field by path (``earning.bands.1.points``), and cross references (a point
type or category that does not exist) are reported on the field that makes them. The sections
live in points (point types, earning, redemption, rewards, grants) and features (offers, tiers,
transfers, games, referrals) over their shared choices and field kinds (base); program puts them
together. It imports plugin.core only.
"""

from plugin.program.document.base import LANGUAGES
from plugin.program.document.program import DEFAULT, SCHEMA, ProgramDocument, dump, load

__all__ = ["DEFAULT", "LANGUAGES", "SCHEMA", "ProgramDocument", "dump", "load"]
