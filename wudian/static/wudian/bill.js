// The bill explainer's daily chart: bars of the days' kWh from the page's JSON (#bill-daily).
// The page reads the same days as a table without script; no inline script (CSP).
(function () {
  "use strict";

  function draw() {
    var box = document.getElementById("bill-chart");
    var data = document.getElementById("bill-daily");
    if (!box || !data || !window.echarts) return;
    var days = JSON.parse(data.textContent);
    var chart = window.echarts.init(box, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      grid: { left: 40, right: 12, top: 16, bottom: 28 },
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null ? "—" : v + " kWh"; } },
      xAxis: { type: "category", data: days.days, axisTick: { alignWithLabel: true } },
      yAxis: { type: "value", name: "kWh", nameTextStyle: { padding: [0, 0, 0, -20] } },
      series: [{ type: "bar", data: days.kwh, itemStyle: { color: "#2563eb" } }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
