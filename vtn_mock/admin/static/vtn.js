/* The mock VTN dashboard: live VENs, events, opt schedules and the shown event's performance from
   /api/stream?event=ID; events are created, modified and cancelled with the admin API's own POST, PATCH
   and DELETE. */
"use strict";
(function () {
  const el = V2X.el;
  const fmt = V2X.fmt;
  let stream = null;
  let shown = null; // the event whose performance is shown
  let chosen = false; // the user picked `shown` (else it follows the newest event)
  let editing = null; // the event being modified
  let confirming = null; // the event whose cancel button waits for a second click
  let last = null;
  let signalTypes = {};

  function open() {
    if (stream) stream.close();
    const path = "/api/stream" + (shown ? "?event=" + encodeURIComponent(shown) : "");
    stream = V2X.stream(path, function (type, data) {
      if (type === "snapshot") render(data);
      else if (type === "tick") tick(data);
    }, function (state) {
      const pill = document.getElementById("stream-state");
      pill.textContent = state;
      pill.className = "pill " + (state === "live" ? "ok" : "warn");
    });
  }

  function tick(data) {
    V2X.text("vtn-time", fmt.when(data.time));
    Object.entries(data.last_poll_age_s || {}).forEach(function (pair) {
      const cell = document.querySelector('#vens tr[data-ven-id="' + CSS.escape(pair[0]) + '"] .age');
      if (cell) cell.textContent = fmt.age(pair[1]);
    });
  }

  function render(d) {
    last = d;
    signalTypes = d.signal_types;
    if (!document.getElementById("f-type").options.length) fillTypes();
    V2X.text("vtn-time", fmt.when(d.time));
    V2X.text("poll-interval", d.poll_interval_s + " s");
    document.body.dataset.time = d.time;
    renderVens(d.vens);
    renderEvents(d.events);
    renderOpts(d.opts);
    if (!chosen) {
      const active = d.events.find(function (e) { return e.status === "active"; });
      const pick = active || d.events[0];
      if (pick && pick.event_id !== shown) {
        shown = pick.event_id;
        open();
        return;
      }
    }
    renderPerformance(d);
  }

  function renderVens(vens) {
    document.getElementById("no-vens").hidden = vens.length > 0;
    V2X.fill("vens", vens.map(function (v) {
      const cls = v.link === "polling" ? "ok" : v.link === "silent" || v.link === "unregistered" ? "bad" : "warn";
      return el("tr", { dataset: { venId: v.ven_id, venName: v.ven_name } },
        el("td", {}, v.ven_name), el("td", { class: "mono" }, v.ven_id),
        el("td", {}, el("span", { class: "pill " + cls }, v.link)),
        el("td", { class: "age" }, fmt.age(v.last_poll_age_s)),
        el("td", { class: "num" }, fmt.int(v.poll_count)), el("td", {}, fmt.when(v.registered_at)));
    }));
    const select = document.getElementById("f-ven");
    const current = select.value;
    V2X.fill(select, [el("option", { value: "*" }, "every registered VEN")].concat(vens.map(function (v) {
      return el("option", { value: v.ven_name }, v.ven_name);
    })));
    select.value = Array.from(select.options).some(function (o) { return o.value === current; }) ? current : "*";
    if (!select.dataset.touched && vens.length === 1) select.value = vens[0].ven_name;
  }

  function intervalsText(intervals) {
    const parts = intervals.map(function (i) { return i.duration + ":" + i.value; });
    return parts.length > 4 ? parts.slice(0, 4).join(", ") + ", … (" + parts.length + ")" : parts.join(", ");
  }

  function renderEvents(events) {
    document.getElementById("no-events").hidden = events.length > 0;
    V2X.fill("events", events.map(function (e) {
      const open = e.status !== "completed" && e.status !== "cancelled";
      const answers = e.vens.map(function (a) {
        const cls = a.opt === "optIn" ? "ok" : a.opt === "optOut" ? "bad" : "";
        return el("div", {}, (a.ven_name || a.ven_id) + " ", el("span", { class: "pill " + cls }, a.opt || "no answer"));
      });
      const cancel = el("button", {
        type: "button", class: "danger", dataset: { action: "cancel" },
        onclick: function (event) { event.stopPropagation(); cancelEvent(e.event_id); },
      }, confirming === e.event_id ? "Confirm cancel" : "Cancel");
      const modify = el("button", {
        type: "button", dataset: { action: "modify" },
        onclick: function (event) { event.stopPropagation(); startEditing(e); },
      }, "Modify");
      return el("tr", {
        class: "clickable" + (e.event_id === shown ? " selected" : ""),
        dataset: { eventId: e.event_id, status: e.status },
        onclick: function () { show(e.event_id); },
      },
      el("td", { class: "mono" }, e.event_id, el("small", {}, " mod " + e.modification_number),
        e.test_event ? el("small", {}, " test") : null),
      el("td", {}, e.signal + " " + e.type),
      el("td", {}, fmt.when(e.start)), el("td", {}, fmt.when(e.end)),
      el("td", {}, el("span", { class: "pill status-" + e.status, dataset: { testid: "status" } }, e.status)),
      el("td", { class: "mono" }, intervalsText(e.intervals)),
      el("td", {}, answers),
      el("td", {}, open ? modify : null, " ", open ? cancel : null));
    }));
  }

  function ms(iso) { return new Date(iso).getTime(); }

  function renderPerformance(d) {
    const p = d.performance;
    V2X.text("perf-event", p ? p.event_id : "—");
    const svg = document.getElementById("chart");
    if (!p || !p.intervals.length) {
      svg.replaceChildren();
      V2X.fill("perf-rows", []);
      V2X.fill("answers", []);
      V2X.fill("chart-legend", []);
      V2X.text("perf-totals", "");
      return;
    }
    const t = p.totals;
    V2X.text("perf-totals", "requested " + fmt.kw(t.requested_kw_avg) + " kW, delivered " + fmt.kw(t.delivered_kw_avg) +
      " kW on average (" + fmt.pct(t.delivered_ratio) + ")");
    const first = ms(p.intervals[0].start);
    const end = ms(p.intervals[p.intervals.length - 1].end);
    const pad = (end - first) * 0.05;
    function steps(intervals, key) {
      return intervals.map(function (i) { return [ms(i.start), ms(i.end), i[key]]; });
    }
    const stepSeries = [
      { cls: "requested", label: "requested reduction", data: steps(p.intervals, "requested_kw") },
      { cls: "delivered", label: "delivered reduction" + (p.vens.length > 1 ? " (all VENs)" : ""), data: steps(p.intervals, "delivered_kw") },
      { cls: "net", label: "measured net power", data: steps(p.intervals, "measured_kw") },
      { cls: "baseline", label: "baseline", data: steps(p.intervals, "baseline_kw") },
    ];
    if (p.vens.length > 1) {
      p.vens.slice(0, 4).forEach(function (v, k) {
        stepSeries.push({ cls: "c" + (k % 4) + " thin", label: "delivered by " + (v.ven_name || v.ven_id), data: steps(v.intervals, "delivered_kw") });
      });
    }
    const series = V2X.chart(svg, { x0: first - pad, x1: end + pad, unit: "kW", steps: stepSeries, marker: ms(d.time) });
    V2X.legend("chart-legend", series);
    V2X.fill("perf-rows", p.intervals.map(function (i, k) {
      return el("tr", { dataset: { index: k } }, el("td", {}, k + 1), el("td", {}, fmt.time(i.start)), el("td", {}, fmt.time(i.end)),
        el("td", { class: "num" }, fmt.kw(i.requested_kw)), el("td", { class: "num" }, fmt.kw(i.baseline_kw)),
        el("td", { class: "num" }, fmt.kw(i.measured_kw)), el("td", { class: "num" }, fmt.kw(i.delivered_kw)));
    }));
    const event = d.events.find(function (e) { return e.event_id === p.event_id; });
    V2X.fill("answers", (event ? event.vens : []).map(function (a) {
      return el("tr", {}, el("td", {}, a.ven_name || a.ven_id), el("td", {}, a.opt || "no answer"),
        el("td", {}, a.opt_modification_number === null ? "—" : a.opt_modification_number),
        el("td", {}, a.opt_via || "—"), el("td", {}, fmt.when(a.responded_at)),
        el("td", {}, a.delivered_modification_number === null ? "not yet" : a.delivered_modification_number));
    }));
  }

  function show(eventId) {
    chosen = true;
    if (eventId === shown) return;
    shown = eventId;
    open();
  }

  /* The form */
  function message(text, ok) {
    const node = document.getElementById("f-message");
    node.textContent = text;
    node.className = "message " + (ok ? "ok" : "error");
  }

  function fillTypes(selected) {
    const signal = document.getElementById("f-signal").value;
    const types = signalTypes[signal] || [];
    V2X.fill("f-type", types.map(function (t) { return el("option", { value: t }, t); }));
    if (selected) document.getElementById("f-type").value = selected;
  }

  function parseIntervals(text) {
    return text.split(",").map(function (part) { return part.trim(); }).filter(Boolean).map(function (part) {
      const at = part.lastIndexOf(":");
      const value = Number(part.slice(at + 1));
      if (at <= 0 || part.slice(at + 1).trim() === "" || !isFinite(value)) {
        throw new Error("intervals: " + JSON.stringify(part) + " is not DURATION:VALUE (e.g. 15m:-500)");
      }
      return { duration: part.slice(0, at).trim(), value: value };
    });
  }

  function startEditing(e) {
    editing = e.event_id;
    V2X.text("form-title", "Modify event " + e.event_id);
    document.getElementById("f-submit").textContent = "Save modification";
    document.getElementById("f-reset").hidden = false;
    document.getElementById("f-signal").value = e.signal;
    fillTypes(e.type);
    document.getElementById("f-signal").disabled = true;
    document.getElementById("f-type").disabled = true;
    document.getElementById("f-ven").disabled = true;
    document.getElementById("f-start").value = e.start;
    document.getElementById("f-intervals").value = e.intervals.map(function (i) { return i.duration + ":" + i.value; }).join(", ");
    document.getElementById("f-response").value = e.response_required;
    document.getElementById("f-test").checked = e.test_event;
    message("", true);
  }

  function stopEditing() {
    editing = null;
    V2X.text("form-title", "Create an event");
    document.getElementById("f-submit").textContent = "Create event";
    document.getElementById("f-reset").hidden = true;
    ["f-signal", "f-type", "f-ven"].forEach(function (id) { document.getElementById(id).disabled = false; });
  }

  async function submit(event) {
    event.preventDefault();
    let body;
    try {
      body = {
        start: document.getElementById("f-start").value.trim(),
        intervals: parseIntervals(document.getElementById("f-intervals").value),
        response_required: document.getElementById("f-response").value,
        test_event: document.getElementById("f-test").checked,
      };
    } catch (error) {
      message(error.message, false);
      return;
    }
    try {
      if (editing) {
        const changed = await V2X.api("PATCH", "/api/events/" + encodeURIComponent(editing), body);
        message("event " + changed.event_id + " is now modification " + changed.modification_number, true);
        stopEditing();
      } else {
        body.ven = document.getElementById("f-ven").value;
        body.signal = document.getElementById("f-signal").value;
        body.type = document.getElementById("f-type").value;
        const created = await V2X.api("POST", "/api/events", body);
        message("created event " + created.event_id + " for " + created.vens.join(", "), true);
        show(created.event_id);
      }
    } catch (error) {
      message(error.message, false);
    }
  }

  async function cancelEvent(eventId) {
    if (confirming !== eventId) {
      confirming = eventId;
      if (last) renderEvents(last.events);
      return;
    }
    confirming = null;
    try {
      const cancelled = await V2X.api("DELETE", "/api/events/" + encodeURIComponent(eventId));
      message("event " + cancelled.event_id + " is " + cancelled.status, true);
    } catch (error) {
      message(error.message, false);
    }
  }

  function renderOpts(opts) {
    document.getElementById("no-opts").hidden = opts.length > 0;
    V2X.fill("opts", opts.map(function (o) {
      const covers = o.event_id !== null
        ? el("span", { class: "mono" }, o.event_id, el("small", {}, " mod " + o.modification_number))
        : o.windows.map(function (w) { return el("div", {}, fmt.when(w.start) + " – " + fmt.when(w.end)); });
      return el("tr", { dataset: { optId: o.opt_id, venId: o.ven_id, live: String(o.live) } },
        el("td", {}, o.ven_name || o.ven_id),
        el("td", {}, el("span", { class: "pill " + (o.opt_type === "optOut" ? "bad" : "ok") }, o.opt_type)),
        el("td", {}, o.opt_reason), el("td", {}, covers),
        el("td", { class: "mono" }, o.resource_ids.join(", ") || "—"), el("td", {}, fmt.when(o.created_at)),
        el("td", { dataset: { testid: "opt-state" } }, o.live ? "live" : "cancelled " + fmt.when(o.cancelled_at)));
    }));
  }

  document.getElementById("f-signal").addEventListener("change", function () { fillTypes(); });
  document.getElementById("f-ven").addEventListener("change", function (e) { e.target.dataset.touched = "1"; });
  document.getElementById("event-form").addEventListener("submit", submit);
  document.getElementById("f-reset").addEventListener("click", stopEditing);
  open();
})();
