/* The VEN dashboard: one live stream (/api/stream) carries every figure; the EV table's filter and page
   travel as the stream's query, so changing them reopens the stream instead of polling. */
"use strict";
(function () {
  const el = V2X.el;
  const fmt = V2X.fmt;
  const query = { site: "", q: "", sort: "ev_id", at_risk: false, offset: 0, limit: 50 };
  let stream = null;
  let sitesShown = "";

  function streamPath() {
    const params = new URLSearchParams();
    if (query.site) params.set("site", query.site);
    if (query.q) params.set("q", query.q);
    params.set("sort", query.sort);
    if (query.at_risk) params.set("at_risk", "1");
    params.set("offset", String(query.offset));
    params.set("limit", String(query.limit));
    return "/api/stream?" + params.toString();
  }

  function open() {
    if (stream) stream.close();
    stream = V2X.stream(streamPath(), function (type, data) {
      if (type === "snapshot") render(data);
      else if (type === "tick") tick(data);
    }, function (state) {
      const pill = document.getElementById("stream-state");
      pill.textContent = state;
      pill.className = "pill " + (state === "live" ? "ok" : "warn");
    });
  }

  function tick(data) {
    V2X.text("ven-time", fmt.when(data.time));
    renderLink(data.link);
  }

  function render(d) {
    const began = performance.now();
    const id = d.identity;
    document.title = id.ven_name + " · VEN dashboard";
    V2X.text("ven-name", id.ven_name);
    V2X.text("ven-id", id.ven_id ? "venID " + id.ven_id : "not registered");
    V2X.text("policy", id.policy);
    V2X.text("chargers", id.chargers);
    V2X.text("ev-count", fmt.int(id.evs));
    V2X.text("version", id.version);
    V2X.text("vtn-url", id.vtn_url);
    V2X.text("ven-time", fmt.when(d.time));
    V2X.text("time-scale", d.time_scale !== 1 ? "(×" + d.time_scale + " simulated)" : "");
    document.body.dataset.time = d.time;
    renderLink(d.link);
    renderFleet(d.fleet);
    renderEvents(d.events);
    renderChart(d.chart, d.time);
    renderSoc("soc-site", d.soc_by_site);
    renderSoc("soc-class", d.soc_by_class);
    renderSites(id.sites);
    renderEvs(d.evs);
    renderDecisions(d.decisions);
    renderWarnings(d.warnings);
    document.body.dataset.renderMs = (performance.now() - began).toFixed(1); // for benchmarks and curious users
  }

  function renderLink(link) {
    const pill = document.getElementById("link-state");
    pill.textContent = !link.registered ? "not registered" : link.up ? "up" : "down";
    pill.className = "pill " + (link.registered && link.up ? "ok" : "bad");
    V2X.text("registered", link.registered ? "yes" : "no");
    V2X.text("last-poll", fmt.age(link.last_poll_age_s));
    V2X.text("poll-interval", link.poll_interval_s === null ? "—" : link.poll_interval_s + " s");
    V2X.text("backlog", fmt.int(link.report_backlog) + (link.report_backlog === 1 ? " sample" : " samples") + " not yet acknowledged");
  }

  function renderFleet(f) {
    const fields = [["fleet-usage", "usage_kw"], ["fleet-baseline", "baseline_kw"], ["fleet-delta", "delta_usage_kw"],
      ["fleet-available", "available_reduction_kw"], ["fleet-energy", "stored_energy_kwh"]];
    fields.forEach(function (p) { V2X.text(p[0], f ? fmt.kw(f[p[1]]) : "—"); });
    V2X.text("fleet-plugged", f ? fmt.int(f.plugged_in) : "—");
    V2X.text("fleet-online", f ? fmt.int(f.online) : "—");
    V2X.text("fleet-ts", f ? "sampled " + fmt.when(f.ts) : "no sample yet");
    document.getElementById("fleet-ts").dataset.ts = f ? f.ts : "";
  }

  function signalText(s) {
    const values = s.intervals.map(function (i) { return fmt.kw(i.value); });
    const shown = values.length > 6 ? values.slice(0, 6).join(", ") + ", …" : values.join(", ");
    return s.name + " " + s.type + (s.unit ? " (" + s.unit + ")" : "") + ": " + shown;
  }

  function renderEvents(events) {
    document.getElementById("no-events").hidden = events.length > 0;
    V2X.fill("events", events.map(function (e) {
      const answer = e.opt ? el("span", { class: "pill " + (e.opt === "optIn" ? "ok" : "bad") }, e.opt) : "not answered";
      return el("tr", { dataset: { eventId: e.event_id, status: e.status }, class: e.dispatching ? "current" : null },
        el("td", { class: "mono" }, e.event_id, el("small", {}, " mod " + e.modification_number),
          e.test_event ? el("small", {}, " test") : null),
        el("td", {}, el("span", { class: "pill status-" + e.status }, e.status), e.dispatching ? " dispatching" : ""),
        el("td", {}, fmt.when(e.start)),
        el("td", {}, fmt.when(e.end)),
        el("td", {}, e.signals.map(function (s) { return el("div", {}, signalText(s)); })),
        el("td", {}, answer, e.opt_source ? el("small", { class: "muted source" }, " decided by " + e.opt_source) : null,
          e.opt_reason ? el("div", { class: "muted reason" }, e.opt_reason) : null));
    }));
  }

  function ms(iso) { return iso ? new Date(iso).getTime() : null; }

  function renderChart(c, now) {
    const svg = document.getElementById("chart");
    V2X.text("chart-event", c ? c.event_id : "none yet");
    const status = document.getElementById("chart-status");
    status.textContent = c ? c.status : "—";
    status.className = "pill" + (c ? " status-" + c.status : "");
    V2X.text("chart-interval", c && c.current_index !== null ? (c.current_index + 1) + " of " + c.intervals.length : "—");
    if (!c || !c.intervals.length) {
      svg.replaceChildren();
      V2X.fill("chart-rows", []);
      V2X.fill("chart-legend", []);
      return;
    }
    const first = ms(c.intervals[0].start);
    const lastEnd = ms(c.intervals[c.intervals.length - 1].end) || Math.max(ms(now), first + 1);
    const pad = (lastEnd - first) * 0.1;
    const spans = c.intervals.map(function (i) { return [ms(i.start), ms(i.end) || ms(now)]; });
    function steps(key) {
      return c.intervals.map(function (i, k) { return [spans[k][0], spans[k][1], i[key]]; });
    }
    const series = V2X.chart(svg, {
      x0: first - pad,
      x1: lastEnd + pad,
      unit: "kW",
      lines: [
        { cls: "net", label: "fleet net power", data: c.series.map(function (p) { return [ms(p.ts), p.usage_kw]; }) },
        { cls: "baseline", label: "frozen baseline", data: c.series.map(function (p) { return [ms(p.ts), p.baseline_kw]; }) },
      ],
      steps: [
        { cls: "delivered", label: "delivered reduction", data: steps("delivered_kw") },
        { cls: "planned", label: "planned reduction", data: steps("planned_kw") },
        { cls: "requested", label: "requested reduction", data: steps("requested_kw") },
      ],
      marker: ms(now),
    });
    V2X.legend("chart-legend", series);
    V2X.fill("chart-rows", c.intervals.map(function (i) {
      return el("tr", { class: i.index === c.current_index ? "current" : null, dataset: { index: i.index } },
        el("td", {}, i.index + 1), el("td", {}, fmt.time(i.start)),
        el("td", { class: "num" }, fmt.kw(i.requested_kw)), el("td", { class: "num" }, fmt.kw(i.planned_kw)),
        el("td", { class: "num" }, fmt.kw(i.delivered_kw)), el("td", { class: "num" }, fmt.kw(i.baseline_kw)),
        el("td", { class: "num" }, fmt.kw(i.measured_kw)));
    }));
  }

  function renderSoc(id, groups) {
    V2X.fill(id, groups.map(function (g) {
      const bar = el("span", { class: "fill" });
      bar.style.width = g.soc === null ? "0" : (100 * g.soc).toFixed(1) + "%";
      return el("div", { class: "bar", dataset: { name: g.name } },
        el("span", { class: "name", title: g.name }, g.name),
        el("span", { class: "track" }, bar),
        el("span", { class: "value" }, fmt.pct(g.soc)),
        el("span", { class: "muted count" }, g.plugged_in + "/" + g.evs));
    }));
  }

  function renderSites(sites) {
    const key = sites.join("\n");
    if (key === sitesShown) return;
    sitesShown = key;
    const select = document.getElementById("ev-site");
    V2X.fill(select, [el("option", { value: "" }, "all sites")].concat(sites.map(function (s) {
      return el("option", { value: s }, s);
    })));
    select.value = query.site;
  }

  function renderEvs(page) {
    if (!page) return;
    V2X.text("evs-matched", fmt.int(page.matched));
    V2X.text("evs-total", fmt.int(page.total));
    V2X.text("evs-risk", fmt.int(page.at_risk));
    const last = Math.min(page.offset + page.limit, page.matched);
    V2X.text("ev-range", page.matched ? (page.offset + 1) + "–" + last + " of " + fmt.int(page.matched) : "none");
    document.getElementById("ev-prev").disabled = page.offset <= 0;
    document.getElementById("ev-next").disabled = last >= page.matched;
    V2X.fill("evs", page.rows.map(function (r) {
      return el("tr", { dataset: { evId: r.ev_id }, class: r.departure_state === "at risk" ? "risk" : null },
        el("td", { class: "mono" }, r.ev_id), el("td", {}, r.site), el("td", {}, r.vehicle_class),
        el("td", {}, r.plugged_in ? "yes" : "no"),
        el("td", { class: r.charger === "online" ? "" : "bad-text" }, r.charger),
        el("td", { class: "num" }, fmt.pct(r.soc)), el("td", { class: "num" }, fmt.kw(r.power_kw)),
        el("td", { class: "num" }, fmt.kw(r.setpoint_kw)), el("td", { class: "num" }, fmt.pct(r.min_soc)),
        el("td", {}, fmt.when(r.departure)), el("td", { class: "num" }, r.departure ? fmt.pct(r.departure_soc) : "—"),
        el("td", {}, r.departure_state || "—"));
    }));
  }

  function renderDecisions(decisions) {
    V2X.fill("decisions", decisions.map(function (d) {
      return el("tr", {}, el("td", {}, fmt.time(d.decided_at)), el("td", { class: "mono" }, d.event_id),
        el("td", {}, d.interval_index + 1), el("td", {}, d.policy),
        el("td", { class: "num" }, fmt.kw(d.requested_kw)), el("td", { class: "num" }, fmt.kw(d.planned_kw)));
    }));
  }

  function renderWarnings(warnings) {
    const items = warnings.map(function (w) {
      return el("li", { class: w.level.toLowerCase() }, el("span", { class: "muted" }, fmt.time(w.at) + " " + w.level + " "),
        w.message, el("span", { class: "muted" }, " (" + w.source + ")"));
    });
    V2X.fill("warnings", items.length ? items : [el("li", { class: "muted" }, "No warnings.")]);
  }

  function refilter() {
    query.offset = 0;
    open();
  }

  document.getElementById("ev-site").addEventListener("change", function (e) { query.site = e.target.value; refilter(); });
  document.getElementById("ev-sort").addEventListener("change", function (e) { query.sort = e.target.value; refilter(); });
  document.getElementById("ev-risk").addEventListener("change", function (e) { query.at_risk = e.target.checked; refilter(); });
  let typing = null;
  document.getElementById("ev-q").addEventListener("input", function (e) {
    clearTimeout(typing);
    typing = setTimeout(function () { query.q = e.target.value.trim(); refilter(); }, 300);
  });
  document.getElementById("ev-filter").addEventListener("submit", function (e) { e.preventDefault(); });
  document.getElementById("ev-prev").addEventListener("click", function () {
    query.offset = Math.max(0, query.offset - query.limit);
    open();
  });
  document.getElementById("ev-next").addEventListener("click", function () {
    query.offset += query.limit;
    open();
  });
  open();
})();
