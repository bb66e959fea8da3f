"""PD links are monotone, invertible and labelled as assumptions."""

from __future__ import annotations

import pytest

from ketaflow.domain.pk import pd


@pytest.mark.parametrize("link", [pd.CADSS_LINEAR, pd.CADSS_EMAX, pd.MOAAS_EMAX, pd.SBP_RISE_EMAX])
def test_every_pd_link_is_marked_assumed(link: pd.LinearLink | pd.EmaxLink) -> None:
    assert link.status == "assumed"
    assert "ASSUMED" in link.source


@pytest.mark.parametrize("link", [pd.CADSS_EMAX, pd.MOAAS_EMAX, pd.SBP_RISE_EMAX, pd.CADSS_LINEAR])
def test_links_invert(link: pd.LinearLink | pd.EmaxLink) -> None:
    effect = float(link.effect(150.0))
    assert link.concentration_for(effect) == pytest.approx(150.0, rel=1e-12)


def test_cadss_is_linear_over_bowdles_range() -> None:
    assert float(pd.CADSS_LINEAR.effect(200.0)) == pytest.approx(2 * float(pd.CADSS_LINEAR.effect(100.0)))


def test_moaas_stays_near_awake_at_clinic_concentrations() -> None:
    assert float(pd.MOAAS_EMAX.effect(250.0)) > 4.5
    assert float(pd.MOAAS_EMAX.effect(2000.0)) < 1.0


def test_unreachable_effect_is_refused() -> None:
    with pytest.raises(ValueError, match="never reached"):
        pd.SBP_RISE_EMAX.concentration_for(40.0)
