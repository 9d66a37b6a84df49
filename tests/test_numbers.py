"""Numbers as readers read them (runspine.numbers): the estimate-and-interval groups."""

import pytest

from runspine.numbers import fmt_group


@pytest.mark.parametrize("values, expected", [
    # an estimate near zero does not lend its decimals to the interval (it gave
    # "0.0605 (-0.0116 to 0.1326)" in report 05)
    ((0.0605, -0.0116, 0.1326), ["0.060", "-0.012", "0.133"]),
    ((0.144, 0.0816, 0.206), ["0.144", "0.082", "0.206"]),
    ((4.2, 1.1, 7.3), ["4.2", "1.1", "7.3"]),  # trailing zeros dropped for all at once
    ((6.11, 1.41, 26.47), ["6.1", "1.4", "26.5"]),
    ((0.0013, 0.0008, 0.002), ["0.0013", "0.0008", "0.0020"]),
    ((None, 1.2, 3.4), ["not reported", "1.2", "3.4"]),
    ((0.0, 0.0, 0.0), ["0", "0", "0"]),
])
def test_an_estimate_and_its_interval_share_the_decimals_of_the_largest(values, expected):
    assert fmt_group(values) == expected
