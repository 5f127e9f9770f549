// The service dashboard: draws the charts from the page's JSON (#dashboard-charts) with
// ECharts, and keeps the period chooser honest (a date typed in makes the period "custom";
// choosing a preset shows it at once). No inline script or style: the CSP allows neither.
(function () {
  "use strict";

  function chooser() {
    var form = document.getElementById("dash-chooser");
    if (!form) return;
    var preset = document.getElementById("dash-period");
    ["dash-from", "dash-to"].forEach(function (id) {
      var input = document.getElementById(id);
      if (input) input.addEventListener("change", function () { preset.value = "custom"; });
    });
    preset.addEventListener("change", function () {
      if (preset.value !== "custom") form.requestSubmit();
    });
  }

  function cssVar(name, fallback) {
    var value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  function formatted(value, unit) {
    if (value === null || value === undefined) return "—";
    return String(value) + (unit ? (unit === "%" ? "%" : " " + unit) : "");
  }

  function option(spec, labels, theme) {
    var bars = spec.kind === "hbar";
    var unit = spec.unit || "";
    var valueAxis = {
      type: "value",
      axisLabel: { formatter: function (v) { return formatted(v, unit === "%" ? "%" : ""); },
        color: theme.muted, fontSize: 12 },
      splitLine: { lineStyle: { color: "#e5e7eb" } }
    };
    if (spec.max !== undefined && spec.max !== null) valueAxis.max = spec.max;
    if (spec.integer) valueAxis.minInterval = 1;
    var categoryAxis = {
      type: "category",
      data: spec.categories,
      axisLabel: { color: theme.ink, fontSize: 12, hideOverlap: true },
      axisTick: { alignWithLabel: true }
    };
    if (bars) {
      categoryAxis.inverse = true;
      categoryAxis.axisLabel.width = 110;
      categoryAxis.axisLabel.overflow = "truncate";
    }
    var target = spec.target;
    var series = spec.series.map(function (s, index) {
      var one = {
        type: bars ? "bar" : "line",
        name: s.name,
        data: s.data,
        symbolSize: 6,
        connectNulls: false,
        barMaxWidth: 22
      };
      if (s.dashed) one.lineStyle = { type: "dashed" };
      if (bars && target !== null && target !== undefined) {
        one.itemStyle = {
          color: function (p) {
            if (p.value === null || p.value === undefined) return theme.muted;
            var met = spec.good === "down" ? p.value <= target : p.value >= target;
            return met ? theme.ok : theme.warn;
          }
        };
      }
      if (index === 0 && target !== null && target !== undefined) {
        var line = {};
        line[bars ? "xAxis" : "yAxis"] = target;
        one.markLine = {
          silent: true,
          symbol: "none",
          lineStyle: { color: theme.warn, type: "dashed", width: 1.5 },
          // The bars' category axis runs top down: its "start" is the top.
          label: { formatter: labels.target + " " + formatted(target, unit), color: theme.warn,
            position: bars ? "start" : "insideEndTop", fontSize: 12 },
          data: [line]
        };
      }
      return one;
    });
    return {
      animation: false,
      color: [theme.blue, "#9ca3af", "#d97706", "#7c3aed"],
      textStyle: { fontFamily: theme.font },
      grid: { left: 16, right: bars ? 56 : 24, top: spec.series.length > 1 ? 36 : 24, bottom: 8,
        containLabel: true },
      legend: spec.series.length > 1 ? { top: 0, textStyle: { color: theme.ink } } : undefined,
      // Rich text tooltips are drawn on the canvas: no inline styles for the CSP to block.
      tooltip: { trigger: "axis", renderMode: "richText", confine: true,
        valueFormatter: function (v) { return formatted(v, unit); } },
      xAxis: bars ? valueAxis : categoryAxis,
      yAxis: bars ? categoryAxis : valueAxis,
      series: series
    };
  }

  function draw() {
    var source = document.getElementById("dashboard-charts");
    if (!source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    var theme = {
      blue: cssVar("--wd-blue", "#0b5cad"),
      ink: cssVar("--wd-ink", "#111827"),
      muted: cssVar("--wd-muted", "#4b5563"),
      ok: cssVar("--wd-ok", "#166534"),
      warn: cssVar("--wd-warn", "#991b1b"),
      font: cssVar("--pico-font-family-sans-serif", "sans-serif")
    };
    var drawn = [];
    data.charts.forEach(function (spec) {
      var el = document.querySelector('[data-chart="' + spec.id + '"]');
      if (!el) return;
      var values = [];
      spec.series.forEach(function (s) { values = values.concat(s.data); });
      if (values.every(function (v) { return v === null || v === undefined; })) {
        el.classList.add("chart-empty");
        el.textContent = data.labels.empty;
        return;
      }
      if (spec.kind === "hbar") {
        el.style.height = Math.max(140, spec.categories.length * 30 + 50) + "px";
      }
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(option(spec, data.labels, theme));
      el.setAttribute("data-drawn", "true");
      drawn.push(chart);
    });
    var pending = null;
    window.addEventListener("resize", function () {
      clearTimeout(pending);
      pending = setTimeout(function () { drawn.forEach(function (c) { c.resize(); }); }, 150);
    });
  }

  function start() { chooser(); draw(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
