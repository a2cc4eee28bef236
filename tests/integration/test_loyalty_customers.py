"""Customers and loyalty cards through the store: profiles, lookups at the till, cards,
export and erasure, the journal, and bad input.

What the database keeps (profiles, cards, uniqueness) runs on memory, a SQLite
file and PostgreSQL; expected card numbers are worked out by hand with the
Luhn rule, not read back from the code under test.
"""

from __future__ import annotations

import json

import pytest

from possdk import Settings, Store
from possdk.core import luhn_digit
from possdk.loyalty import (
    LOYALTY_TERMINAL,
    CardBlockedError,
    CardStatus,
    CustomerNotFoundError,
    DuplicateCustomerError,
    InvalidCardNumberError,
    LoyaltyError,
    LoyaltyProgramme,
    Tier,
    normalise_card_number,
    normalise_email,
    normalise_phone,
)
from tests.integration.conftest import OpenStore, is_memory


def journal_types(store: Store) -> list[str]:
    with store.backend.unit_of_work(write=False) as uow:
        return [e.type for e in uow.journal_entries() if e.terminal_id == LOYALTY_TERMINAL]


def till_sale(store: Store):  # type: ignore[no-untyped-def]
    session = store.register("till-1").open_session(operator="cashier", opening_float="500.00")
    return session, session.new_sale()


# ---- pure rules ------------------------------------------------------------------------


def test_luhn_check_digit_matches_the_worked_example() -> None:
    # The textbook example: 7992739871 has check digit 3.
    assert luhn_digit("7992739871") == "3"
    assert normalise_card_number("7992 7398 713") == "79927398713"


def test_a_mistyped_card_number_names_the_check_digit_expected() -> None:
    with pytest.raises(InvalidCardNumberError, match="check digit 4, but its digits give 3") as e:
        normalise_card_number("79927398714")
    assert e.value.expected == "3"


def test_phone_and_email_are_normalised_for_lookup() -> None:
    assert normalise_phone(" +380 (67) 123-45-67 ") == "+380671234567"
    assert normalise_phone("067.123.45.67") == "0671234567"  # no region: digits as typed
    assert normalise_phone("067.123.45.67", "UA") == "+380671234567"
    assert normalise_phone("+380 67 123 45 67", "US") == "+380671234567"  # + wins
    assert normalise_phone("(212) 555-0100", "US") == "+12125550100"
    assert normalise_email("  Olha.K@Example.COM ") == "olha.k@example.com"
    with pytest.raises(LoyaltyError, match="not a phone number"):
        normalise_phone("12-ab")
    with pytest.raises(LoyaltyError, match="not an e-mail"):
        normalise_email("olha@")


# ---- through the store on every backend ----------------------------------------------------


def test_add_find_and_identify_by_card_phone_and_email(
    store_url: str, open_store: OpenStore
) -> None:
    store = open_store(store_url)
    olha = store.loyalty.customers.add(
        "Olha", phone="+380 67 123 45 67", email="Olha@Example.com", birth_year=1990
    )
    card = store.loyalty.customers.issue_card(olha.id)
    # Prefix 2990, serial 1 padded to 8 digits, then the Luhn digit of "299000000001".
    assert card.number == "299000000001" + luhn_digit("299000000001")
    assert card.number == "2990000000018"
    for key in (card.number, "2990-0000-0001-8", "+380671234567", "OLHA@example.com "):
        assert store.loyalty.customers.find(key).id == olha.id
    _, sale = till_sale(store)
    sale.add("BREAD")
    found = store.loyalty.identify(sale, card.number)
    assert found.id == olha.id
    assert sale.customer_id == olha.id
    assert journal_types(store) == ["CustomerAdded", "LoyaltyCardIssued"]


def test_the_tier_is_put_on_the_sale(store_url: str, open_store: OpenStore) -> None:
    store = open_store(store_url)
    store.loyalty.points.configure(
        LoyaltyProgramme(tiers=[Tier("silver", 0), Tier("gold", 100, "2")])
    )
    olha = store.loyalty.customers.add("Olha", phone="0671234567")
    _, sale = till_sale(store)
    sale.add("BREAD")
    assert store.loyalty.identify(sale, "0671234567").tier == "silver"
    assert sale.customer_tier == "silver"
    store.loyalty.points.adjust(olha.id, 500, "welcome")  # adjustments do not qualify
    assert store.loyalty.identify(sale, "0671234567").tier == "silver"


def test_profiles_survive_reopening(durable_url: str, open_store: OpenStore) -> None:
    store = open_store(durable_url)
    olha = store.loyalty.customers.add("Olha", email="olha@example.com", gender="woman")
    store.close()
    again = open_store(durable_url, new=False)
    kept = again.loyalty.customers.get(olha.id)
    assert (kept.name, kept.email, kept.gender) == ("Olha", "olha@example.com", "woman")


def test_duplicate_phone_or_email_is_refused(store_url: str, open_store: OpenStore) -> None:
    store = open_store(store_url)
    olha = store.loyalty.customers.add("Olha", phone="+380671234567", email="o@example.com")
    with pytest.raises(DuplicateCustomerError, match="phone") as e:
        store.loyalty.customers.add("Taras", phone="+380 67 123 45 67")
    assert e.value.other_id == olha.id
    with pytest.raises(DuplicateCustomerError, match="e-mail"):
        store.loyalty.customers.add("Taras", email="O@EXAMPLE.com")
    taras = store.loyalty.customers.add("Taras")
    with pytest.raises(DuplicateCustomerError):
        store.loyalty.customers.update(taras.id, email="o@example.com")
    assert store.loyalty.customers.get(taras.id).email is None


def test_update_changes_only_what_is_given(store_url: str, open_store: OpenStore) -> None:
    store = open_store(store_url)
    olha = store.loyalty.customers.add("Olha", phone="0671234567", postcode="01001")
    changed = store.loyalty.customers.update(olha.id, marketing_consent=True, postcode=None)
    assert changed.marketing_consent is True
    assert changed.postcode is None
    assert changed.phone == "+380671234567"  # read in the locale's country, UA
    assert store.loyalty.customers.get(olha.id) == changed
    assert journal_types(store)[-1] == "CustomerChanged"


def test_blocked_and_replaced_cards_are_refused_at_the_till(
    store_url: str, open_store: OpenStore
) -> None:
    store = open_store(store_url)
    olha = store.loyalty.customers.add("Olha")
    store.loyalty.points.adjust(olha.id, 120, "welcome")
    old = store.loyalty.customers.issue_card(olha.id)
    new = store.loyalty.customers.replace_card(old.number)
    assert new.number != old.number
    assert store.loyalty.customers.card(old.number).status is CardStatus.REPLACED
    assert store.loyalty.customers.card(old.number).replaced_by == new.number
    _, sale = till_sale(store)
    sale.add("BREAD")
    with pytest.raises(CardBlockedError, match=f"replaced by {new.number}"):
        store.loyalty.identify(sale, old.number)
    assert sale.customer_id is None
    # The balance is the customer's: the new card finds it unchanged.
    assert store.loyalty.identify(sale, new.number).points == 120
    store.loyalty.customers.block_card(new.number)
    with pytest.raises(CardBlockedError, match="blocked"):
        store.loyalty.identify(sale, new.number)
    store.loyalty.customers.unblock_card(new.number)
    assert store.loyalty.identify(sale, new.number).id == olha.id
    assert journal_types(store)[-4:] == [
        "LoyaltyCardIssued",
        "LoyaltyCardReplaced",
        "LoyaltyCardBlocked",
        "LoyaltyCardUnblocked",
    ]


def test_unknown_and_mistyped_cards_at_the_till(store_url: str, open_store: OpenStore) -> None:
    store = open_store(store_url)
    olha = store.loyalty.customers.add("Olha")
    card = store.loyalty.customers.issue_card(olha.id)
    _, sale = till_sale(store)
    sale.add("BREAD")
    typo = card.number[:-1] + str((int(card.number[-1]) + 1) % 10)
    with pytest.raises(InvalidCardNumberError, match=f"gives? {card.number[-1]}"):
        store.loyalty.identify(sale, typo)
    never = "299000000009" + luhn_digit("299000000009")
    with pytest.raises(CustomerNotFoundError, match="never issued"):
        store.loyalty.identify(sale, never)
    with pytest.raises(CustomerNotFoundError):
        store.loyalty.identify(sale, "nobody@example.com")
    with pytest.raises(CustomerNotFoundError):
        store.loyalty.identify(sale, "hello")
    assert sale.customer_id is None
    with pytest.raises(InvalidCardNumberError):
        store.loyalty.customers.issue_card(olha.id, typo)
    with pytest.raises(LoyaltyError, match="issued already"):
        store.loyalty.customers.issue_card(olha.id, card.number)


def test_bad_profiles_are_refused(store_url: str, open_store: OpenStore) -> None:
    store = open_store(store_url)
    with pytest.raises(LoyaltyError, match="needs a name"):
        store.loyalty.customers.add("  ")
    with pytest.raises(LoyaltyError, match="birth_year"):
        store.loyalty.customers.add("Olha", birth_year=1850)
    with pytest.raises(LoyaltyError, match="marketing_consent"):
        store.loyalty.customers.add("Olha", marketing_consent="yes")  # type: ignore[arg-type]
    with pytest.raises(CustomerNotFoundError):
        store.loyalty.customers.get("01000000-0000-7000-8000-000000000000")
    with pytest.raises(CustomerNotFoundError):
        store.loyalty.customers.issue_card("01000000-0000-7000-8000-000000000000")
    assert journal_types(store) == []


def test_export_gives_every_personal_field_cards_and_the_ledger(
    store_url: str, open_store: OpenStore
) -> None:
    store = open_store(store_url)
    olha = store.loyalty.customers.add(
        "Olha",
        phone="0671234567",
        email="olha@example.com",
        marketing_consent=True,
        birth_year=1990,
        postcode="01001",
        gender="woman",
    )
    card = store.loyalty.customers.issue_card(olha.id)
    store.loyalty.points.adjust(olha.id, 40, "welcome")
    data = store.loyalty.customers.export(olha.id)
    json.dumps(data)  # JSON-ready
    profile = data["customer"]
    assert {k: profile[k] for k in ("name", "phone", "email", "birth_year", "postcode")} == {
        "name": "Olha",
        "phone": "+380671234567",
        "email": "olha@example.com",
        "birth_year": 1990,
        "postcode": "01001",
    }
    assert profile["marketing_consent"] is True
    assert profile["gender"] == "woman"
    assert [c["number"] for c in data["cards"]] == [card.number]
    assert data["points"]["balance"] == 40
    assert [(m["kind"], m["points"]) for m in data["points"]["ledger"]] == [("adjust", 40)]


def test_erase_anonymises_but_keeps_id_points_and_history(
    store_url: str, open_store: OpenStore
) -> None:
    store = open_store(store_url)
    olha = store.loyalty.customers.add(
        "Olha", phone="0671234567", email="olha@example.com", birth_year=1990, gender="woman"
    )
    card = store.loyalty.customers.issue_card(olha.id)
    store.loyalty.points.configure(LoyaltyProgramme())
    _, sale = till_sale(store)
    sale.add("COFFEE")
    store.loyalty.identify(sale, card.number)
    sale.pay("cash", "200")
    receipt = sale.complete()
    erased = store.loyalty.customers.erase(olha.id)
    assert erased.erased
    assert (erased.name, erased.phone, erased.email, erased.birth_year, erased.gender) == (
        "",
        None,
        None,
        None,
        None,
    )
    assert erased.points == 18  # 189.00 / 10, rounded down: kept
    assert store.loyalty.customers.card(card.number).status is CardStatus.BLOCKED
    with pytest.raises(CardBlockedError):
        store.loyalty.customers.find(card.number)
    with pytest.raises(CustomerNotFoundError):
        store.loyalty.customers.find("0671234567")
    # The phone and e-mail are free for someone else now.
    store.loyalty.customers.add("New", phone="0671234567", email="olha@example.com")
    # The receipt and the ledger still name the customer.
    assert store.receipt(receipt.number).customer_id == olha.id
    assert [m.points for m in store.loyalty.points.movements(olha.id)] == [18]
    # Nothing personal ever reached the journal.
    with store.backend.unit_of_work(write=False) as uow:
        payloads = " ".join(
            e.payload for e in uow.journal_entries() if e.terminal_id == LOYALTY_TERMINAL
        )
    for personal in ("Olha", "0671234567", "olha@example.com", "1990", "woman"):
        assert personal not in payloads
    assert store.loyalty.customers.erase(olha.id) == erased  # twice is harmless
    with pytest.raises(CustomerNotFoundError, match="erased"):
        store.loyalty.customers.update(olha.id, name="Olha")


def test_an_erased_customer_cannot_be_put_on_a_new_sale(
    store_url: str, open_store: OpenStore
) -> None:
    store = open_store(store_url)
    olha = store.loyalty.customers.add("Olha")
    store.loyalty.customers.erase(olha.id)
    _, sale = till_sale(store)
    sale.add("BREAD")
    sale.identify_customer(olha.id)
    with pytest.raises(CustomerNotFoundError, match="erased"):
        sale.pay("cash")
    assert not sale.tenders
    if not is_memory(store_url):
        assert store.loyalty.points.check().ok


@pytest.mark.parametrize("change", ["add", "update"])
def test_two_tills_taking_one_phone_at_once_get_duplicate_customer_error(
    postgresql_url: str, open_store: OpenStore, change: str
) -> None:
    """On PostgreSQL both tills' checks pass before either commits; the unique index
    refuses the second, and that refusal is named as the duplicate it is."""
    import threading

    first, second = open_store(postgresql_url), open_store(postgresql_url, new=False)
    taras = second.loyalty.customers.add("Taras")
    both_checked = threading.Barrier(2, timeout=10)
    for store in (first, second):
        customers = store.loyalty.customers
        check = customers._unique
        calls = [0]

        def checked_then_wait(uow, customer, check=check, calls=calls):  # type: ignore[no-untyped-def]
            check(uow, customer)
            calls[0] += 1
            if calls[0] == 1:  # inside the transaction: wait until the other has checked too
                both_checked.wait()

        customers._unique = checked_then_wait  # type: ignore[method-assign]

    outcomes: dict[str, object] = {}

    def take(name: str, store: Store) -> None:
        try:
            if change == "add" or name == "first":
                outcomes[name] = store.loyalty.customers.add(name, phone="0671234567")
            else:
                outcomes[name] = store.loyalty.customers.update(taras.id, phone="0671234567")
        except Exception as exc:  # the test looks at which one it is
            outcomes[name] = exc

    threads = [
        threading.Thread(target=take, args=("first", first)),
        threading.Thread(target=take, args=("second", second)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    errors = [v for v in outcomes.values() if isinstance(v, Exception)]
    assert len(outcomes) == 2 and len(errors) == 1, outcomes
    assert isinstance(errors[0], DuplicateCustomerError), repr(errors[0])
    kept = first.loyalty.customers.find("0671234567")
    assert kept is not None and kept == next(v for v in outcomes.values() if v is not errors[0])


def test_a_phone_is_one_customer_however_it_is_typed(store_url: str, open_store: OpenStore) -> None:
    store = open_store(store_url)  # uk_UA: numbers without + are read in UA
    assert store.settings.phone_country == "UA"
    olha = store.loyalty.customers.add("Olha", phone="067 123 45 67")
    assert olha.phone == "+380671234567"
    for typed in ("0671234567", "+380 (67) 123-45-67", "067-123-45-67"):
        assert store.loyalty.customers.find(typed).id == olha.id
    with pytest.raises(DuplicateCustomerError, match="phone"):
        store.loyalty.customers.add("Taras", phone="+380671234567")
    with pytest.raises(LoyaltyError, match="not a phone number in UA"):
        store.loyalty.customers.add("Taras", phone="067 123 45 67 890")  # too long for UA


def test_phones_kept_before_regions_are_still_found(
    durable_url: str, open_store: OpenStore
) -> None:
    """A store whose customers were added with phones kept as typed ("0671234567", no
    region) finds them by the international form once it reads numbers in UA."""
    before = open_store(durable_url, settings=Settings(currency="UAH", locale="en"))
    assert before.settings.phone_country is None
    olha = before.loyalty.customers.add("Olha", phone="067 123 45 67")
    assert olha.phone == "0671234567"
    before.close()
    after = open_store(durable_url, new=False, settings=Settings(currency="UAH", phone_region="UA"))
    for typed in ("+380671234567", "0671234567"):
        assert after.loyalty.customers.find(typed).id == olha.id
    with pytest.raises(DuplicateCustomerError, match="phone"):
        after.loyalty.customers.add("Taras", phone="+380 67 123 45 67")


def test_a_phone_region_must_be_known() -> None:
    from possdk.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="two-letter region code"):
        Settings(currency="UAH", phone_region="Ukraine")
    assert Settings(currency="USD", locale="en_US").phone_country == "US"
    assert Settings(currency="EUR", locale="de").phone_country is None
