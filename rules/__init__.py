"""What the policies say: dated, cited data files and the pure functions over them.

Use :func:`default_rules` (or :func:`load_rules` on another folder), :func:`parse_profile`
and :func:`assess`.
"""

from rules.assessment import Assessment
from rules.engine import assess, next_tier_gap, subsidies_for, tier_for
from rules.loader import Rules, RulesError, default_rules, load_rules
from rules.profile import FIELDS, Profile, ProfileError, parse_profile

__all__ = [
    "FIELDS",
    "Assessment",
    "Profile",
    "ProfileError",
    "Rules",
    "RulesError",
    "assess",
    "default_rules",
    "load_rules",
    "next_tier_gap",
    "parse_profile",
    "subsidies_for",
    "tier_for",
]
