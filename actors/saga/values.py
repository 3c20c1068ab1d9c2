"""What a value a person gives ordersaga may be: one set of rules, whichever door it enters by.

A scenario file, every command's arguments, the dashboard's forms and the PostgreSQL runtime
check order ids, customers, skus, addresses, worker ids, quantities and amounts here, so a value
one door refuses every door refuses, with the same sentence. A value is typed on a command line,
shown in a terminal and sent to a customer, so it is printable (no control or invisible
character that would move the cursor, reorder the text or hide in it), has no spaces around it,
and is bounded: a text in characters, a number in digits before it is converted.

Only the standard library: the rules belong to the saga core, which every runtime and front end
imports. The bounds of quantities and amounts are the caps in actors/saga/limits.py, given to the
rules where they are made.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar, NoReturn

ID_CHARS = 64  # an order id, a customer, a sku, a worker id: the longest in the library is 28
SHIP_TO_CHARS = 200  # an address on a label, with room to spare
_SHOWN_CHARS = 40  # what a refusal quotes of a longer value
# A whole number's digits past its leading zeros, converted only when this few: every bound here
# has fewer, and int() of thousands of digits is slow, then refused (sys.int_info's digit limit).
_MOST_DIGITS = 18

# Unicode's default-ignorable code points (DerivedCoreProperties.txt, Default_Ignorable_Code_Point):
# drawn as nothing. Most are format characters (category Cf: zero-width space, the bidirectional
# overrides, the byte order mark), which str.isprintable() already refuses with every control
# character, line and paragraph separator and space other than ' '; the rest (the Hangul fillers,
# the combining grapheme joiner, the variation selectors) are "printable" and as invisible.
_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
                        "\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
                        "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]")
_WHOLE = re.compile(r"([-+]?)([0-9]+)", re.ASCII)
_SECONDS = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,9})?", re.ASCII)
_DOLLARS = re.compile(r"(-?)\$?([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.([0-9]{1,2}))?", re.ASCII)


class BadValue(ValueError):
    """A value no door accepts; the message is one sentence naming the field and the problem."""


def shown(text: str) -> str:
    """text as a refusal quotes it: escaped like repr, invisible characters too, so nothing is
    printed raw; a long one by its length and its start."""
    if len(text) <= _SHOWN_CHARS:
        return _escaped(text)
    return f"{len(text):,} characters starting {_escaped(text[:_SHOWN_CHARS // 2])}"


def _escaped(text: str) -> str:
    return _INVISIBLE.sub(lambda found: f"\\u{ord(found[0]):04x}" if ord(found[0]) <= 0xFFFF
                          else f"\\U{ord(found[0]):08x}", repr(text))


def format_cents(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) // 100:,}.{abs(cents) % 100:02d}"


def _printable(field: str, text: str) -> None:
    """The checks of every typed value: not blank, printable, no spaces around it."""
    if not text.strip():
        raise BadValue(f"The {field} must not be empty or only spaces (got {shown(text)}).")
    if not text.isprintable() or _INVISIBLE.search(text):
        raise BadValue(f"The {field} must not contain control or invisible characters (got {shown(text)}).")
    if text != text.strip():
        raise BadValue(f"The {field} must not start or end with spaces (got {shown(text)}).")


@dataclass(frozen=True)
class Text:
    """The rule of a value typed as text: an id, a name, an address."""

    field: str  # as the sentence names it: "order id", "ship-to"
    most_chars: int
    # An id is typed as a command's argument, where a leading '-' reads as an option.
    argument: bool = True

    def check(self, text: str) -> str:
        """text, if it may be this field; BadValue says why not."""
        if len(text) > self.most_chars:  # first: nothing longer is read further
            raise BadValue(f"The {self.field} must be at most {self.most_chars:,} characters "
                           f"(got {len(text):,}).")
        _printable(self.field, text)
        if self.argument and text.startswith("-"):
            raise BadValue(f"The {self.field} must not start with '-', which a command line reads as "
                           f"an option (got {shown(text)}).")
        return text


ORDER_ID = Text("order id", ID_CHARS)
CUSTOMER = Text("customer", ID_CHARS)
SKU = Text("sku", ID_CHARS)
WORKER_ID = Text("worker id", ID_CHARS)
OPERATOR = Text("operator", ID_CHARS)  # who acts, as each order's timeline records it
SHIP_TO = Text("ship-to", SHIP_TO_CHARS, argument=False)


def _many_digits(negative: bool, digits: int) -> str:
    """A number too long to show, as a refusal names it (the same whether typed or read from TOML)."""
    return f"a {'negative ' if negative else ''}number of {digits:,} digits"


def _digit_count(number: int) -> int:
    try:
        return len(str(number))
    except ValueError:  # more digits than str() writes: about as many as its bits say
        return int(number.bit_length() * 0.30103) + 1


@dataclass(frozen=True)
class Whole:
    """The rule of a whole number of something (units), from `least` to `most`."""

    field: str
    least: int
    most: int
    example: str  # what to type, in the sentence for a value that is no number
    _shown_below: ClassVar[int] = 10 ** _MOST_DIGITS  # what a refusal writes out; more, it counts

    def show(self, number: int) -> str:
        return f"{number:,}"

    def check(self, number: int) -> int:
        """number, if it is within the bounds; BadValue says them otherwise."""
        if not self.least <= number <= self.most:
            if abs(number) < self._shown_below:
                self._out_of_range(self.show(number))
            self._out_of_range(_many_digits(number < 0, _digit_count(abs(number))))
        return number

    def _out_of_range(self, got: str) -> NoReturn:
        raise BadValue(f"The {self.field} must be from {self.show(self.least)} to {self.show(self.most)} "
                       f"(got {got}).")

    def _digits(self, negative: bool, digits: str) -> int:
        """The number the digits say, converted only when they are few enough to be in range."""
        significant = digits.lstrip("0")
        if len(significant) > _MOST_DIGITS:
            self._out_of_range(_many_digits(negative, len(significant)))
        return int(significant or "0")

    def read(self, text: str) -> int:
        """The number typed, within any bounds (a door gives 0 a meaning of its own: remove)."""
        _printable(self.field, text)
        match = _WHOLE.fullmatch(text)
        if match is None:
            raise BadValue(f"The {self.field} must be a whole number, like {self.example} (got {shown(text)}).")
        number = self._digits(match[1] == "-", match[2])
        return -number if match[1] == "-" else number

    def parse(self, text: str) -> int:
        """The number typed, if it is a valid value of this field."""
        return self.check(self.read(text))


@dataclass(frozen=True)
class Money(Whole):
    """The rule of an amount of money: cents, typed in dollars ("25", "25.50", "$1,000.00")."""

    _shown_below: ClassVar[int] = 10 ** (_MOST_DIGITS + 2)

    def show(self, number: int) -> str:
        return format_cents(number)

    def read(self, text: str) -> int:
        _printable(self.field, text)
        match = _DOLLARS.fullmatch(text)
        if match is None:
            raise BadValue(f"The {self.field} must be in dollars, like {self.example} (got {shown(text)}).")
        dollars = self._digits(bool(match[1]), match[2].replace(",", ""))
        cents = dollars * 100 + int((match[3] or "0").ljust(2, "0"))
        return -cents if match[1] else cents


@dataclass(frozen=True)
class Seconds:
    """The rule of a duration typed in seconds ("300", "2.5"), from `least` to `most`."""

    field: str  # as the sentence names it: an option ("--outage-limit") or a variable
    least: float
    most: float

    def check(self, text: str) -> float:
        """The seconds typed, if they are a valid value of this field; BadValue says why not."""
        seconds = float(text) if _SECONDS.fullmatch(text) else -1.0
        if not self.least <= seconds <= self.most:
            raise BadValue(f"{self.field} must be a number of seconds from {self.least:g} to {self.most:g} "
                           f"(got {shown(text)}).")
        return seconds


GRACE = Seconds("--grace", 0, 3600)  # how long a stopping worker lets its sagas run on
SILENT_AFTER = Seconds("--silent-after", 0, 86400)  # how long a worker may miss beats before shown silent
# How long a worker may be silent before a live one takes its sagas over: at least a second,
# since it beats four times within it.
TAKEOVER_AFTER = Seconds("--takeover-after", 1, 86400)
# How long a worker's sagas wait for a PostgreSQL that is away before they are failed (and then
# picked up again once it is back): from at once to a day.
OUTAGE_LIMIT = Seconds("--outage-limit", 0, 86400)
# How long an order in flight may stand unmoved before the audit names it stuck: up to a week.
STUCK_AFTER = Seconds("--stuck-after", 0, 604800)
