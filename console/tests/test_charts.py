"""The movements chart's geometry: gains above the axis, losses below, one scale for the twelve months."""

from __future__ import annotations

import datetime as dt

from pytest import approx

from vcio_console.charts import HEIGHT, PAD, movements_chart, twelve_months


def row(month: str, new: str = "0.00", expansion: str = "0.00", contraction: str = "0.00", churn: str = "0.00"):
    net = sum(float(x) for x in (new, expansion, contraction, churn))
    return {
        "month": month,
        "currency": "USD",
        "new": new,
        "expansion": expansion,
        "contraction": contraction,
        "churn": churn,
        "net": f"{net:.2f}",
    }


def test_twelve_months_end_with_this_one() -> None:
    months = twelve_months(dt.date(2027, 2, 14))
    assert (months[0], months[-1], len(months)) == ("2026-03", "2027-02", 12)


def test_gains_stack_up_and_losses_down_on_one_scale() -> None:
    months = twelve_months(dt.date(2027, 2, 14))
    rows = [row("2026-03", new="3000.00", expansion="1000.00"), row("2027-01", contraction="-500.00", churn="-1500.00")]
    rows.append({**row("2027-01"), "currency": "EUR", "new": "9999.00"})  # another currency: not in this chart
    chart = movements_chart(rows, "USD", months)
    inner = HEIGHT - 2 * PAD  # 184 px for 4000 up and 2000 down: 6000 in all
    assert chart.zero_y == approx(PAD + inner * 4000 / 6000)
    bars = {(b.month, b.kind): b for b in chart.bars}
    assert sorted(bars) == [
        ("2026-03", "expansion"),
        ("2026-03", "new"),
        ("2027-01", "churn"),
        ("2027-01", "contraction"),
    ]
    new, expansion = bars[("2026-03", "new")], bars[("2026-03", "expansion")]
    assert (new.height, new.y + new.height) == approx((inner * 3000 / 6000, chart.zero_y))
    assert (expansion.height, expansion.y + expansion.height) == approx((inner * 1000 / 6000, new.y))
    contraction, churn = bars[("2027-01", "contraction")], bars[("2027-01", "churn")]
    assert (contraction.y, contraction.height) == approx((chart.zero_y, inner * 500 / 6000))
    assert (churn.y, churn.height) == approx((chart.zero_y + contraction.height, inner * 1500 / 6000))
    assert new.amount == "3000.00" and churn.amount == "-1500.00"
    assert dict(chart.net)["2026-04"] == "0.00" and dict(chart.net)["2027-01"] == "-2000.00"
    assert (chart.top, chart.bottom) == ("4000.00", "-2000.00")  # the scale: the biggest month each way
