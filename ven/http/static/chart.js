/* A small SVG time chart for both dashboards: step series (one value per interval), line series
   (samples) and a marker for the current time. Colours come from CSS classes (style.css). */
"use strict";
(function () {
  const NS = "http://www.w3.org/2000/svg";
  const W = 880;
  const H = 290;
  const M = { left: 66, right: 14, top: 12, bottom: 28 };

  function node(tag, attrs, text) {
    const element = document.createElementNS(NS, tag);
    Object.entries(attrs || {}).forEach(function (pair) { element.setAttribute(pair[0], pair[1]); });
    if (text !== undefined) element.textContent = text;
    return element;
  }

  function step(range, count) {
    const raw = range / Math.max(count, 1);
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    const unit = [1, 2, 2.5, 5, 10].find(function (f) { return f * power >= raw; }) || 10;
    return unit * power;
  }

  function finite(v) { return typeof v === "number" && isFinite(v); }

  /* spec: {x0, x1 (ms since epoch), steps: [{cls, label, data: [[start, end, y]]}],
            lines: [{cls, label, data: [[x, y]]}], marker: ms or null, unit: "kW"}.
     Returns the series shown, for a legend: [{cls, label}]. */
  V2X.chart = function (svg, spec) {
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    svg.replaceChildren();
    const values = [0];
    (spec.steps || []).forEach(function (s) { s.data.forEach(function (d) { if (finite(d[2])) values.push(d[2]); }); });
    (spec.lines || []).forEach(function (s) { s.data.forEach(function (d) { if (finite(d[1])) values.push(d[1]); }); });
    let y0 = Math.min.apply(null, values);
    let y1 = Math.max.apply(null, values);
    if (y1 - y0 < 1e-9) { y0 -= 1; y1 += 1; }
    const yStep = step(y1 - y0, 5);
    y0 = Math.floor(y0 / yStep) * yStep;
    y1 = Math.ceil(y1 / yStep) * yStep;
    const x0 = spec.x0;
    const x1 = spec.x1 > spec.x0 ? spec.x1 : spec.x0 + 1;
    const X = function (x) { return M.left + ((x - x0) / (x1 - x0)) * (W - M.left - M.right); };
    const Y = function (y) { return M.top + ((y1 - y) / (y1 - y0)) * (H - M.top - M.bottom); };

    const grid = node("g", { class: "grid" });
    for (let y = y0; y <= y1 + yStep / 2; y += yStep) {
      grid.append(node("line", { x1: M.left, x2: W - M.right, y1: Y(y), y2: Y(y) }));
      grid.append(node("text", { x: M.left - 6, y: Y(y) + 4, class: "ylabel" }, V2X.fmt.int(y)));
    }
    const span = x1 - x0;
    const xStep = [60e3, 120e3, 300e3, 600e3, 900e3, 1800e3, 3600e3, 7200e3, 14400e3].find(function (s) {
      return span / s <= 8;
    }) || 28800e3;
    for (let x = Math.ceil(x0 / xStep) * xStep; x <= x1; x += xStep) {
      grid.append(node("line", { x1: X(x), x2: X(x), y1: M.top, y2: H - M.bottom, class: "xgrid" }));
      const label = new Date(x).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
      grid.append(node("text", { x: X(x), y: H - 8, class: "xlabel" }, label));
    }
    grid.append(node("text", { x: 6, y: M.top + 8, class: "unit" }, spec.unit || ""));
    svg.append(grid);
    svg.append(node("line", { x1: M.left, x2: W - M.right, y1: Y(0), y2: Y(0), class: "zero" }));

    const shown = [];
    (spec.lines || []).forEach(function (series) {
      let path = "";
      let pen = false;
      series.data.forEach(function (d) {
        if (!finite(d[1])) { pen = false; return; }
        path += (pen ? "L" : "M") + X(d[0]).toFixed(1) + " " + Y(d[1]).toFixed(1);
        pen = true;
      });
      if (path) {
        svg.append(node("path", { d: path, class: "series " + series.cls }));
        shown.push(series);
      }
    });
    (spec.steps || []).forEach(function (series) {
      let path = "";
      series.data.forEach(function (d) {
        if (!finite(d[2])) return;
        path += "M" + X(d[0]).toFixed(1) + " " + Y(d[2]).toFixed(1) + "H" + X(d[1]).toFixed(1);
      });
      if (path) {
        svg.append(node("path", { d: path, class: "step " + series.cls }));
        shown.push(series);
      }
    });
    if (finite(spec.marker) && spec.marker >= x0 && spec.marker <= x1) {
      const x = X(spec.marker);
      svg.append(node("line", { x1: x, x2: x, y1: M.top, y2: H - M.bottom, class: "now" }));
      svg.append(node("text", { x: x + 4, y: M.top + 10, class: "nowlabel" }, "now"));
    }
    return shown.map(function (s) { return { cls: s.cls, label: s.label }; });
  };

  V2X.legend = function (target, series) {
    V2X.fill(target, series.map(function (s) {
      return V2X.el("span", { class: "key" }, V2X.el("i", { class: "swatch " + s.cls }), s.label);
    }));
  };
})();
