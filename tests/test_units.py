import numpy as np
import pytest

from planner import units


def test_one_mu_is_ten_thousand_fifteenths_of_a_square_metre():
    assert units.M2_PER_MU == 10000 / 15
    assert units.mu_to_m2(1) == pytest.approx(666.6666666666667, rel=1e-15)
    assert units.m2_to_mu(10000) == pytest.approx(15.0, rel=1e-15)


def test_hectare_is_fifteen_mu():
    assert units.hectare_to_mu(1) == 15
    assert units.mu_to_hectare(15) == 1
    assert units.hectare_to_m2(2.5) == 25000
    assert units.m2_to_hectare(25000) == 2.5


def test_round_trips_hold_for_arrays():
    area_m2 = np.array([0.0, 666.67, 1e6, 533_333.3])
    np.testing.assert_allclose(units.mu_to_m2(units.m2_to_mu(area_m2)), area_m2, rtol=1e-15)
    # 800 mu, the largest demo parcels, is 53.33 ha
    assert units.mu_to_hectare(800) == pytest.approx(53.3333333, rel=1e-9)
