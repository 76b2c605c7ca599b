/* counter-hq web pages: draws each element's `data-chart` (an ECharts option as JSON, built by
   the server) with the vendored ECharts. No inline script anywhere (the CSP allows 'self'
   scripts only); htmx swaps of a fragment redraw the charts inside it. */
(function () {
  "use strict";

  function draw(root) {
    if (typeof echarts === "undefined") { return; }
    var scope = root && root.querySelectorAll ? root : document;
    var found = Array.prototype.slice.call(scope.querySelectorAll("[data-chart]"));
    if (scope !== document && scope.hasAttribute && scope.hasAttribute("data-chart")) {
      found.push(scope);
    }
    found.forEach(function (el) {
      var option;
      try {
        option = JSON.parse(el.getAttribute("data-chart"));
      } catch (e) {
        el.textContent = "chart data unreadable";
        return;
      }
      var old = echarts.getInstanceByDom(el);
      if (old) { old.dispose(); }
      var chart = echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(option);
      el.setAttribute("data-chart-drawn", "1");
    });
  }

  window.addEventListener("resize", function () {
    document.querySelectorAll("[data-chart-drawn]").forEach(function (el) {
      var chart = echarts.getInstanceByDom(el);
      if (chart) { chart.resize(); }
    });
  });

  if (window.htmx) {
    window.htmx.onLoad(draw);  /* the page once, then every swapped-in fragment */
  } else {
    document.addEventListener("DOMContentLoaded", function () { draw(document); });
  }
})();
