"""Costs, serial numbers and stock stay consistent whatever writes interleave.

A hypothesis state machine writes through HTTP (costs, serial numbers, stock levels,
the serialized flag, the product's currency, exchange rates) and keeps a model of what
each write should do; after every step the full product render, the costs and serial
number lists and the inventory document must agree with the model and with each other.
"""

from __future__ import annotations

import itertools
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, Phase, seed
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.helpers import create, create_locked_product, document, xml

SETTINGS = hypothesis_settings(
    # In each half. Measured with branch coverage: 6 runs a half reach every branch that
    # 13 reach but one (a product that is not serialized skips the recount, which other
    # tests take), at half the cost; 3 runs a half miss six.
    max_examples=6,
    stateful_step_count=15,
    deadline=None,
    database=None,  # nothing written into the worktree
    suppress_health_check=[HealthCheck.too_slow],
    # No shrinking: over HTTP and a database it runs for its full five minutes, and the
    # unshrunk steps (about twenty) are readable. Add Phase.shrink to debug a failure.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
LEVELS = ("available", "reserved", "coming_for_stock", "coming_for_customer", "warehouses")
LEVELS += ("in_transit",)
SERIALS = ("SN-1", "SN-2", "SN-3", "SN-4")  # few, so duplicates happen
COST = Decimal("0.0001")
SELL = Decimal("20.00")

raws = st.decimals(min_value=0, max_value=1000, places=4)
rates = st.decimals(min_value=Decimal("0.5"), max_value=Decimal("2"), places=6)
quantities = st.decimals(min_value=-1000, max_value=1000, places=7)
statuses = st.sampled_from([0, 0, 1, 2])


def convert(raw: Decimal, source_rate: Decimal, target_rate: Decimal) -> Decimal:
    return half_up(raw * source_rate / target_rate, COST)


def plain(value: Decimal | None) -> str | None:
    """A decimal as a document carries it (never in exponent notation)."""
    return None if value is None else format(value, "f")


def number(element, path: str) -> Decimal | None:
    found = element.findtext(path)
    return Decimal(found) if found else None


def half_up(value: Decimal, quantum: Decimal) -> Decimal:
    return value.quantize(quantum, rounding=ROUND_HALF_UP)


class World:
    """Reference data shared by every run: currencies (id -> rate) and suppliers
    (id -> currency id), kept up to date by the machines that change them."""

    def __init__(self, client):
        self.rates = {}
        for code, rate in (("USD", "1"), ("EUR", "1.08"), ("GBP", "1.25")):
            ident = create(
                client,
                "/api/setup/currencies/",
                "currency",
                {"code": code, "name": code, "exchange_rate": rate},
            )
            self.rates[ident] = Decimal(rate)
        currencies = list(self.rates)
        self.suppliers = {
            create(
                client, "/api/suppliers/", "supplier", {"name": f"S{i}", "currency": {"@id": c}}
            ): c
            for i, c in enumerate([*currencies[1:], currencies[0]])
        }
        self.warehouses = [
            create(client, "/api/warehouses/", "warehouse", {"name": name}) for name in "AB"
        ]
        self.codes = itertools.count()


class ProductMachine(RuleBasedStateMachine):
    client = None
    world: World = None

    def __init__(self):
        super().__init__()
        self.costs: dict[int, dict] = {}  # id -> supplier, code, raw, default
        self.serials: dict[int, dict] = {}  # id -> serial, status, warehouse
        self.levels = dict.fromkeys(LEVELS, Decimal(0))
        self.new_cost = False
        self.currency = None

    @initialize(
        serialized=st.sampled_from([True, True, False]),
        currency=st.none() | st.integers(0, 2),
        costs=st.lists(st.tuples(st.integers(0, 2), raws), min_size=2, max_size=5),
        serials=st.lists(st.tuples(st.sampled_from(SERIALS), statuses), min_size=2, max_size=4),
    )
    def create_product(self, serialized, currency, costs, serials):
        """A product that starts with some costs and serials, so that the rules
        changing and deleting them have something to work on from the first step."""
        if currency is not None:
            self.currency = list(self.world.rates)[currency]
        self.serialized = serialized
        self.product = create_locked_product(
            self.client,
            code=f"SM-{next(self.world.codes)}",
            sell_price=str(SELL),
            currency={"@id": self.currency} if self.currency else None,
            flags={"serialized": str(serialized).lower()},
        )
        self.base = f"/api/products/{self.product}/"
        for supplier, raw in costs:
            self.add_cost(supplier, raw, None, "A")
        for serial, status in serials:
            self.add_serial(serial, status, None)

    # The model -------------------------------------------------------------------------

    def default_key(self):
        """What makes the default cost the same one: which cost, its supplier and raw."""
        default = self.default()
        if default is None:
            return None
        return (default, self.costs[default]["supplier"], self.costs[default]["raw"])

    def default(self) -> int | None:
        return next((i for i, c in self.costs.items() if c["default"]), None)

    def make_default(self, cost_id):
        for ident, cost in self.costs.items():
            cost["default"] = ident == cost_id

    def in_product_currency(self, cost) -> Decimal:
        target = self.world.rates[self.currency] if self.currency else Decimal(1)
        source = self.world.rates[self.world.suppliers[cost["supplier"]]]
        return convert(cost["raw"], source, target)

    def recount(self):
        if self.serialized:
            in_stock = sum(1 for s in self.serials.values() if s["status"] == 0)
            self.levels["available"] = Decimal(in_stock)

    def write(self, method, url, body, expected):
        before = self.default_key()
        response = self.client.open(url, method=method, data=body)
        assert response.status_code == expected, response.get_data(as_text=True)
        return response, before

    def settle(self, before):
        if self.default_key() != before:
            self.new_cost = True

    # Costs -------------------------------------------------------------------------------

    @rule(
        supplier=st.integers(0, 2),
        raw=raws,
        default=st.none() | st.booleans(),
        code=st.sampled_from(["A", "B"]),
    )
    def add_cost(self, supplier, raw, default, code):
        supplier_id = list(self.world.suppliers)[supplier]
        body = document(
            "cost",
            {
                "supplier": {"@id": supplier_id},
                "supplier_product_code": code,
                "raw": plain(raw),
                "default": None if default is None else str(default).lower(),
            },
        )
        response, before = self.write("POST", f"{self.base}costs/", body, 201)
        cost_id = int(xml(response).get("id"))
        self.costs[cost_id] = {"supplier": supplier_id, "code": code, "raw": raw, "default": False}
        if default or len(self.costs) == 1:
            self.make_default(cost_id)
        self.settle(before)

    @precondition(lambda self: self.costs)
    @rule(
        data=st.data(),
        supplier=st.none() | st.integers(0, 2),
        raw=st.none() | raws,
        default=st.none() | st.booleans(),
    )
    def update_cost(self, data, supplier, raw, default):
        cost_id = data.draw(st.sampled_from(sorted(self.costs)))
        cost = self.costs[cost_id]
        supplier_id = None if supplier is None else list(self.world.suppliers)[supplier]
        body = document(
            "cost",
            {
                "supplier": None if supplier_id is None else {"@id": supplier_id},
                "raw": plain(raw),
                "default": None if default is None else str(default).lower(),
            },
        )
        unmarking = default is False and cost["default"]
        _, before = self.write(
            "PUT", f"{self.base}costs/{cost_id}/", body, 422 if unmarking else 200
        )
        if unmarking:
            return
        if supplier_id is not None:
            cost["supplier"] = supplier_id
        if raw is not None:
            cost["raw"] = raw
        if default:
            self.make_default(cost_id)
        self.settle(before)

    @precondition(lambda self: self.costs)
    @rule(data=st.data())
    def delete_cost(self, data):
        cost_id = data.draw(st.sampled_from(sorted(self.costs)))
        _, before = self.write("DELETE", f"{self.base}costs/{cost_id}/", None, 200)
        was_default = self.costs.pop(cost_id)["default"]
        if was_default and self.costs:
            self.make_default(min(self.costs))
        self.settle(before)

    # Serial numbers ------------------------------------------------------------------------

    def clashes(self, serial, serial_id=None) -> bool:
        return any(s["serial"] == serial for i, s in self.serials.items() if i != serial_id)

    @rule(serial=st.sampled_from(SERIALS), status=statuses, warehouse=st.none() | st.integers(0, 1))
    def add_serial(self, serial, status, warehouse):
        warehouse_id = None if warehouse is None else self.world.warehouses[warehouse]
        body = document(
            "serial_number",
            {
                "serial": serial,
                "status": status,
                "warehouse": None if warehouse_id is None else {"@id": warehouse_id},
            },
        )
        expected = 422 if not self.serialized else 409 if self.clashes(serial) else 201
        response, _ = self.write("POST", f"{self.base}serial_numbers/", body, expected)
        if expected == 201:
            serial_id = int(xml(response).get("id"))
            self.serials[serial_id] = {
                "serial": serial,
                "status": status,
                "warehouse": warehouse_id,
            }
            self.recount()

    @precondition(lambda self: self.serials)
    @rule(data=st.data(), serial=st.none() | st.sampled_from(SERIALS), status=st.none() | statuses)
    def update_serial(self, data, serial, status):
        serial_id = data.draw(st.sampled_from(sorted(self.serials)))
        body = document("serial_number", {"serial": serial, "status": status})
        clash = serial is not None and self.clashes(serial, serial_id)
        self.write("PUT", f"{self.base}serial_numbers/{serial_id}/", body, 409 if clash else 200)
        if clash:
            return
        if serial is not None:
            self.serials[serial_id]["serial"] = serial
        if status is not None:
            self.serials[serial_id]["status"] = status
        self.recount()

    @precondition(lambda self: self.serials)
    @rule(data=st.data())
    def delete_serial(self, data):
        serial_id = data.draw(st.sampled_from(sorted(self.serials)))
        self.write("DELETE", f"{self.base}serial_numbers/{serial_id}/", None, 200)
        del self.serials[serial_id]
        self.recount()

    # Stock, flags, currencies -------------------------------------------------------------------

    @rule(levels=st.dictionaries(st.sampled_from(LEVELS), quantities, min_size=1))
    def set_inventory(self, levels):
        refused = self.serialized and "available" in levels
        self.write(
            "PUT",
            f"{self.base}inventory/",
            document("inventory", {k: plain(v) for k, v in levels.items()}),
            422 if refused else 200,
        )
        if not refused:
            self.levels.update(levels)

    @rule(serialized=st.booleans())
    def set_serialized(self, serialized):
        body = document("product", {"flags": {"serialized": str(serialized).lower()}})
        self.write("PUT", self.base, body, 200)
        self.serialized = serialized
        self.recount()

    @rule(currency=st.none() | st.integers(0, 2))
    def set_product_currency(self, currency):
        self.currency = None if currency is None else list(self.world.rates)[currency]
        reference = {"@id": self.currency} if self.currency else ""
        self.write("PUT", self.base, document("product", {"currency": reference}), 200)

    @rule(currency=st.integers(0, 2), rate=rates)
    def set_exchange_rate(self, currency, rate):
        currency_id = list(self.world.rates)[currency]
        body = document("currency", {"exchange_rate": plain(rate)})
        self.write("PUT", f"/api/setup/currencies/{currency_id}/", body, 200)
        self.world.rates[currency_id] = rate

    # What must hold after every step ------------------------------------------------------------

    @invariant()
    def renders_agree_with_the_model(self):
        root = xml(self.client.get(self.base))
        self.check_costs(root)
        self.check_serials(root)
        self.check_stock(root)
        assert root.findtext("flags/new_cost") == str(self.new_cost).lower()
        assert root.findtext("flags/serialized") == str(self.serialized).lower()

    def check_costs(self, root):
        rendered = root.find("supplier_costs")
        listed = xml(self.client.get(f"{self.base}costs/"))
        for costs in (rendered, listed):
            assert [int(c.get("id")) for c in costs] == sorted(self.costs)
            for element in costs:
                cost = self.costs[int(element.get("id"))]
                assert Decimal(element.findtext("raw")) == cost["raw"]
                assert element.findtext("default") == str(cost["default"]).lower()
                assert element.find("supplier").get("id") == str(cost["supplier"])
                assert element.findtext("supplier_product_code") == cost["code"]
                assert Decimal(element.findtext("cost")) == self.in_product_currency(cost)
        defaults = [c for c in self.costs.values() if c["default"]]
        assert len(defaults) == (1 if self.costs else 0)
        default = defaults[0] if defaults else None
        converted = [self.in_product_currency(c) for c in self.costs.values()]
        cost = self.in_product_currency(default) if default else None
        average = half_up(sum(converted) / len(converted), COST) if converted else None
        margin = half_up((SELL - cost) / SELL * 100, Decimal("0.01")) if default else None
        assert number(root, "costs/raw") == (default and default["raw"])
        assert number(root, "costs/cost") == cost
        assert number(root, "costs/average") == average
        assert number(root, "margin") == margin
        assert root.find("supplier").get("id") == (default and str(default["supplier"]))
        assert root.findtext("supplier_code") == (default["code"] if default else "")

    def check_serials(self, root):
        rendered = root.find("serial_numbers")
        listed = xml(self.client.get(f"{self.base}serial_numbers/"))
        for serials in (rendered, listed):
            assert [int(s.get("id")) for s in serials] == sorted(self.serials)
            for element in serials:
                serial = self.serials[int(element.get("id"))]
                assert element.findtext("serial") == serial["serial"]
                assert int(element.findtext("status")) == serial["status"]
                warehouse = serial["warehouse"]
                assert element.find("warehouse").get("id") == (warehouse and str(warehouse))

    def check_stock(self, root):
        shown = {e.tag: Decimal(e.text) for e in root.find("inventory")}
        alone = {e.tag: Decimal(e.text) for e in xml(self.client.get(f"{self.base}inventory/"))}
        assert shown == alone
        assert {name: shown[name] for name in LEVELS} == self.levels
        on_hand = ("available", "reserved", "warehouses", "in_transit")
        assert shown["total"] == sum(self.levels[name] for name in on_hand)
        if self.serialized:
            in_stock = sum(1 for s in self.serials.values() if s["status"] == 0)
            assert shown["available"] == in_stock


@pytest.fixture
def settings(settings):
    """The suite's settings with room for the many requests of the runs."""
    return settings.replace(ratelimit_default="100000/minute")


# The runs in two halves of different fixed seeds, so that two xdist workers share them.
@pytest.mark.parametrize("half", [1, 2])
def test_costs_serials_and_stock_stay_consistent_under_any_writes(client, half):
    @seed(half)
    class Machine(ProductMachine):
        pass

    Machine.client = client
    Machine.world = World(client)
    run_state_machine_as_test(Machine, settings=SETTINGS)
