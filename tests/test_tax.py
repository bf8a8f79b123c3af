"""Tax inside tax-inclusive prices: per category, per rate, to the minor unit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app import tax


def test_the_tax_inside_a_price_at_each_chinese_rate():
    assert tax.tax_included(11300, 1300) == 1300  # ¥113.00 at 13% holds ¥13.00
    assert tax.tax_included(10900, 900) == 900
    assert tax.tax_included(10600, 600) == 600
    assert tax.tax_included(10000, 0) == 0
    assert tax.tax_included(-11300, 1300) == -1300  # a refund gives the tax back


@given(st.integers(min_value=-10**9, max_value=10**9), st.sampled_from([0, 600, 900, 1300]))
def test_the_tax_is_the_nearest_minor_unit_and_never_more_than_the_amount(amount, rate):
    exact = amount * rate / (10000 + rate)
    assert abs(tax.tax_included(amount, rate) - exact) <= 0.5
    assert abs(tax.tax_included(amount, rate)) <= abs(amount)


def test_rates_come_from_the_deployment_and_others_have_the_default(app):
    app.config["TAX_RATES"] = tax.parse_rates("Food=900, services = 600, export=0")
    with app.app_context():
        assert tax.rate_for("food") == 900
        assert tax.rate_for("Export") == 0
        assert tax.rate_for("tea") == 1300
        assert tax.rate_for("") == 1300


def test_tax_per_rate_is_taken_from_each_rates_sum():
    assert tax.tax_by_rate([(100, 900), (200, 900), (1130, 1300)]) == {1300: 130, 900: 25}
    assert tax.rate_label(1300) == "13%" and tax.rate_label(650) == "6.5%"


@pytest.mark.parametrize("text", ["food", "food=abc", "=900", "food=10001", "food=-1"])
def test_a_bad_rate_setting_is_refused(text):
    with pytest.raises(ValueError):
        tax.parse_rates(text)
