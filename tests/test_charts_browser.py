"""The shared chart module (web/static/charts.js) in a real Chromium: a histogram and a bar comparison keep a
table of the very numbers they draw, labels follow the page's language, canvas text uses the page's font and
a chart follows its container's width; a line over named steps draws a confidence interval as a whisker."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Browser, expect

from tests.support.browser import screenshot, signed_in
from tests.support.server import RunningServer

# A server of its own: the charts hold only the contests made here.
pytestmark = [pytest.mark.browser, pytest.mark.own_server]


DRAW = """() => {
  const histogram = document.createElement("div");
  histogram.id = "test-histogram";
  histogram.style.width = "700px";
  document.querySelector("main").appendChild(histogram);
  ArenaCharts.histogram(histogram, {caption: "scores", values: [1, 2, 2, 3, 9, 10, 10, 10], bins: 3});
  const bars = document.createElement("div");
  bars.id = "test-bars";
  document.querySelector("main").appendChild(bars);
  ArenaCharts.bars(bars, {caption: "prize cost", labels: ["草案 A", "Draft B"],
    series: [{label: "cost", values: [1200, 800]}, {label: "winners", values: [3, 5]}]});
  const first = document.createElement("div");  // a contest's first day: one point, and its pace
  first.id = "test-first-day";
  document.querySelector("main").appendChild(first);
  ArenaCharts.line(first, {caption: "day one", x: [1764950400], series: [{label: "points", values: [12]}],
    pace: {label: "pace", values: [30]}, marks: [{x: 1764950400, label: "销售 0-0"}]});
}"""


@pytest.mark.parametrize(("locale", "numbers"), [("zh-CN", "查看数据"), ("en", "Show the numbers")])
def test_histogram_and_bars_keep_their_numbers_in_a_table(
    browser: Browser, server: RunningServer, locale: str, numbers: str
) -> None:
    username = f"mgr-{uuid.uuid4().hex[:6]}"
    with server.admin() as admin:
        admin.put(f"/api/v1/users/{username}", json={"role": "manager", "password": "console-password-1"})
    context, page, errors, foreign = signed_in(
        browser, server, locale, username=username, password="console-password-1"
    )
    expect(page).to_have_url(f"{server.base_url}/admin")
    page.wait_for_function("() => window.ArenaCharts && window.uPlot")
    page.evaluate(DRAW)

    histogram = page.locator("#test-histogram")
    expect(histogram.locator("canvas").first).to_be_visible()
    expect(histogram.locator("summary")).to_have_text(numbers)
    rows = histogram.locator(".chart-data tbody tr")
    expect(rows).to_have_count(3)
    counts = rows.evaluate_all("rows => rows.map(r => r.querySelector('td').textContent)")
    assert counts == ["4", "0", "4"]  # 1–4, 4–7, 7–10 (the last bin holds its upper edge)
    assert rows.first.locator("th").text_content() == "1–4"
    assert "Arena CJK" in histogram.locator(".chart-plot").evaluate("e => getComputedStyle(e).fontFamily")

    bars = page.locator("#test-bars .chart-data tbody tr")
    table = bars.evaluate_all("rows => rows.map(r => [...r.children].map(c => c.textContent))")
    assert table == [["草案 A", "1,200", "3"], ["Draft B", "800", "5"]]

    first_day = page.locator("#test-first-day .chart-data tbody tr")
    assert first_day.evaluate_all("rows => rows.map(r => [...r.children].map(c => c.textContent))") == [
        ["12/6", "12", "30"]  # midnight in Shanghai, 16:00 UTC the day before
    ]

    wide = histogram.locator("canvas").first.evaluate("c => c.getBoundingClientRect().width")
    histogram.evaluate("e => { e.style.width = '360px'; }")
    page.wait_for_function(
        "w => document.querySelector('#test-histogram canvas').getBoundingClientRect().width < w - 200", arg=wide
    )
    assert not errors and not foreign, (errors, foreign)
    context.close()


INTERVAL = """() => {
  const host = document.createElement("div");
  host.id = "test-interval";
  host.style.width = "600px";
  document.querySelector("main").appendChild(host);
  window.testInterval = ArenaCharts.line(host, {caption: "lift", labels: ["基准期", "Contest"],
    series: [{label: "participants", values: [10, 20]}, {label: "expected", values: [10, 12], dash: [6, 5]}],
    interval: {x: 1, low: 15, high: 25, label: "95 % 置信区间", color: "#047857"}, table: false});
  const counts = document.createElement("div");
  counts.id = "test-counts";
  document.querySelector("main").appendChild(counts);
  window.testCounts = ArenaCharts.bars(counts, {caption: "two drafts", labels: ["0–9", "10–19"], tableId: "counts",
    series: [{label: "A", values: [1, 0]}, {label: "B", values: [0, 1]}]});
}"""
# the colour of the canvas at (step, value) of the chart made by INTERVAL
PIXEL = """([step, value]) => {
  const u = window.testInterval.chart;
  const x = Math.round(u.valToPos(step, "x", true)), y = Math.round(u.valToPos(value, "y", true));
  return Array.from(u.ctx.getImageData(x, y, 1, 1).data.slice(0, 3));
}"""


def test_a_line_over_named_steps_draws_a_confidence_interval_and_bars_count_in_whole_numbers(
    browser: Browser, server: RunningServer
) -> None:
    username = f"mgr-{uuid.uuid4().hex[:6]}"
    with server.admin() as admin:
        admin.put(f"/api/v1/users/{username}", json={"role": "manager", "password": "console-password-1"})
    context, page, errors, foreign = signed_in(
        browser, server, "zh-CN", username=username, password="console-password-1"
    )
    page.wait_for_function("() => window.ArenaCharts && window.uPlot")
    page.evaluate(INTERVAL)

    interval = page.locator("#test-interval")
    expect(interval.locator("canvas").first).to_be_visible()
    expect(interval.locator(".chart-data")).to_have_count(0)  # table: false, the page shows the numbers itself
    expect(interval.locator(".u-legend")).to_contain_text("95 % 置信区间")
    assert page.evaluate("() => window.testInterval.chart.scales.y.max") >= 25  # the interval's top is in view
    green = [4, 120, 87]
    page.wait_for_function(f"() => ({PIXEL})([1, 24]).join() === '{','.join(map(str, green))}'")
    assert page.evaluate(PIXEL, [0, 24]) != green  # the whisker stands at the contest step only

    rows = page.locator("#counts tbody tr")
    assert rows.evaluate_all("rows => rows.map(r => [...r.children].map(c => c.textContent))") == [
        ["0–9", "1", "0"],
        ["10–19", "0", "1"],
    ]
    ticks = page.evaluate("() => window.testCounts.chart.axes[1]._splits")
    assert ticks and all(float(tick).is_integer() for tick in ticks), ticks  # no half a rep on a count axis
    interval.scroll_into_view_if_needed()
    screenshot(page, "chart-interval-zh-CN.png")
    assert not errors and not foreign, (errors, foreign)
    context.close()
