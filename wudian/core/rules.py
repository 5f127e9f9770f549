"""The current value of each service rule: the administrator's (core.ServiceRule) if set,
else the catalogue's default (wudian.core.rule_catalogue)."""

from __future__ import annotations

from decimal import Decimal

from wudian.core.kept import Kept
from wudian.core.models import ServiceRule
from wudian.core.rule_catalogue import RULES


def _stored_values() -> dict[str, Decimal]:
    return dict(ServiceRule.objects.values_list("key", "value"))


# Read on every filing, notification and sweep; see wudian.core.kept for how long a process
# keeps them.
stored_rules = Kept(_stored_values, reads=ServiceRule)


def rule_value(key: str) -> Decimal:
    """The rule's current value: the administrator's if set, else the default."""
    rule = RULES[key]
    return stored_rules.get().get(key, rule.default)
