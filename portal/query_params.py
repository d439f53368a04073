"""Query parameters read exactly as the schema declares them.

A value the schema would refuse (a date that does not exist, an empty value where a date or a number is expected,
text over its maximum length, a value outside an enum) is a 400 naming the parameter and the fix, never cut
short, ignored or passed on to a query that fails with a 500.
"""

import re
from datetime import date

from portal.api_errors import ApiError

WHOLE_NUMBER = re.compile(r"-?[0-9]+")  # ASCII digits only: int() would also take "²" or "٣"


class QueryParams:
    """Reads `request.query_params`, collecting every problem; `check()` raises them as one 400."""

    def __init__(self, request):
        self.params = request.query_params
        self.problems: dict[str, str] = {}

    def date(self, name) -> date | None:
        if name not in self.params:
            return None
        raw = self.params[name]
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
            self.problems[name] = "must be a date YYYY-MM-DD, such as 2026-04-25"
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            self.problems[name] = f"must be a real date YYYY-MM-DD: {raw} is not a day of the calendar"
            return None

    def choice(self, name, choices) -> str | None:
        if name not in self.params:
            return None
        if self.params[name] not in choices:
            self.problems[name] = f"must be one of {', '.join(choices)}"
            return None
        return self.params[name]

    def text(self, name, *, max_length, min_length=0) -> str:
        value = self.params.get(name, "")
        if name in self.params and not min_length <= len(value) <= max_length:
            limits = f"{min_length} to {max_length}" if min_length else f"at most {max_length}"
            self.problems[name] = f"must be {limits} characters (it has {len(value)})"
            return ""
        return value

    def check(self) -> None:
        if self.problems:
            raise ApiError("Some filters are invalid; see fields.", fields=self.problems)


def whole_number(request, name, default, *, minimum=0, maximum=None) -> int:
    """An integer query parameter: absent → `default`; empty, not a number or out of range → 400."""
    if name not in request.query_params:
        return default
    raw = request.query_params[name]
    rule = f"{minimum}–{maximum}" if maximum is not None else f"a whole number ≥ {minimum}"
    if not WHOLE_NUMBER.fullmatch(raw):
        raise ApiError(f"{name} must be {rule}.", fields={name: f"must be {rule}"})
    value = int(raw)
    if value < minimum or (maximum is not None and value > maximum):
        raise ApiError(f"{name} must be {rule}.", fields={name: f"must be {rule}"})
    return value
