"""Money rules shared by fee services: amounts are ``Decimal`` with the currency's places."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from apps.core.errors import ApplicationError

ZERO = Decimal("0")


def quantum(decimals: int) -> Decimal:
    return Decimal(1).scaleb(-decimals)


def round_money(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(quantum(decimals), rounding=ROUND_HALF_UP)


def check_amount(value: object, *, decimals: int, field: str = "amount") -> Decimal:
    """A positive amount with no more places than the currency has, or a 400 naming ``field``.

    Floats are refused outright: ``0.1`` is not a tenth, and money is never approximately right.
    """
    if isinstance(value, (float, bool)):
        raise ApplicationError(
            "Amounts are decimal strings, not floating-point numbers.",
            fields={field: ['Send the amount as a string, e.g. "100.50".']},
        )
    try:
        amount = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):
        raise ApplicationError(
            "The amount is not a number.", fields={field: ["Not a number."]}
        ) from None
    if not amount.is_finite():
        raise ApplicationError("The amount is not a number.", fields={field: ["Not a number."]})
    if amount <= ZERO:
        raise ApplicationError(
            "The amount must be more than zero.", fields={field: ["Must be more than zero."]}
        )
    if amount != amount.quantize(quantum(decimals), rounding=ROUND_HALF_UP):
        raise ApplicationError(
            f"The currency has {decimals} decimal places.",
            fields={field: [f"At most {decimals} decimal places."]},
        )
    if amount >= Decimal("1e10"):
        raise ApplicationError("The amount is too large.", fields={field: ["Too large."]})
    return round_money(amount, decimals)


_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = ((10**9, "billion"), (10**6, "million"), (1000, "thousand"), (100, "hundred"))


def _integer_in_words(number: int) -> str:
    if number < 20:
        return _ONES[number]
    if number < 100:
        tens, ones = divmod(number, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    for scale, name in _SCALES:
        if number >= scale:
            high, rest = divmod(number, scale)
            words = f"{_integer_in_words(high)} {name}"
            if rest:
                words += (" and " if rest < 100 else " ") + _integer_in_words(rest)
            return words
    raise AssertionError("unreachable")


def amount_in_words(amount: Decimal, *, currency: str, decimals: int) -> str:
    """``Decimal("1250.50")`` -> ``"INR one thousand two hundred fifty and 50/100 only"``, the
    cheque-style wording that reads the same in any currency."""
    whole = int(amount)
    words = f"{currency} {_integer_in_words(whole)}"
    if decimals:
        fraction = int((amount - whole) * (10**decimals))
        words += f" and {fraction:0{decimals}d}/{10**decimals}"
    return f"{words} only"
