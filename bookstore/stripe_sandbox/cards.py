"""Stripe's test card numbers and what each one does on the stand-in's pay page.

Any other number that passes the Luhn check is declined, as Stripe declines real cards in
test mode. The "delayed payment" checkbox on the pay page turns a card that would pay into a
payment that stays ``processing`` until it is settled (succeeded or failed) later.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Decline:
    """Why a card is refused: Stripe's error ``code``, ``decline_code`` and message."""

    code: str
    decline_code: str | None
    message: str


@dataclass(frozen=True)
class TestCard:
    """A test card: its brand and, when it is refused, the decline."""

    brand: str
    decline: Decline | None = None


GENERIC_DECLINE = Decline("card_declined", "generic_decline", "Your card was declined.")
TEST_CARDS: dict[str, TestCard] = {
    "4242424242424242": TestCard("visa"),
    "4000056655665556": TestCard("visa"),
    "5555555555554444": TestCard("mastercard"),
    "2223003122003222": TestCard("mastercard"),
    "378282246310005": TestCard("amex"),
    "4000000000000002": TestCard("visa", GENERIC_DECLINE),
    "4000000000009995": TestCard(
        "visa",
        Decline("card_declined", "insufficient_funds", "Your card has insufficient funds."),
    ),
    "4000000000009987": TestCard(
        "visa", Decline("card_declined", "lost_card", "Your card was declined.")
    ),
    "4000000000000069": TestCard("visa", Decline("expired_card", None, "Your card has expired.")),
    "4000000000000127": TestCard(
        "visa", Decline("incorrect_cvc", None, "Your card's security code is incorrect.")
    ),
    "4000000000000119": TestCard(
        "visa",
        Decline(
            "processing_error",
            None,
            "An error occurred while processing your card. Try again in a little bit.",
        ),
    ),
}
NOT_A_TEST_CARD = Decline(
    "card_declined",
    "test_mode_live_card",
    "Your card was declined. This is a test page: use a Stripe test card such as "
    "4242 4242 4242 4242.",
)


def normalise_number(raw: str) -> str:
    """Digits only: spaces and dashes that people type are dropped."""
    return "".join(ch for ch in raw if ch not in " -")


def luhn_valid(number: str) -> bool:
    """The checksum every card number carries."""
    if not number.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def look_up(number: str) -> TestCard:
    """What paying with ``number`` does (a valid non-test number is declined)."""
    return TEST_CARDS.get(number) or TestCard(
        "visa" if number.startswith("4") else "unknown", NOT_A_TEST_CARD
    )
