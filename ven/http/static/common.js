/* Shared by the VEN and the mock VTN dashboards: API calls with the bearer token, the live stream
   (server-sent events read with fetch, so the token can go in a header), DOM building without
   innerHTML, number and time formats, and a small SVG chart. No dependencies, nothing from elsewhere. */
"use strict";
(function () {
  const V2X = {};
  const TOKEN_KEY = "v2x-token";

  /* The token comes in the URL fragment (#token=...), which browsers never send to the server; it is
     kept for this tab only and taken out of the address bar. */
  V2X.token = function () {
    const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
    if (match) {
      sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
      history.replaceState(null, "", location.pathname + location.search);
    }
    return sessionStorage.getItem(TOKEN_KEY);
  };

  V2X.headers = function (extra) {
    const headers = Object.assign({}, extra || {});
    const token = V2X.token();
    if (token) headers.Authorization = "Bearer " + token;
    return headers;
  };

  const tokenWaiters = [];
  V2X.askToken = function () {
    const box = document.getElementById("token-box");
    if (box) box.hidden = false;
    return new Promise(function (resolve) { tokenWaiters.push(resolve); });
  };

  function wireTokenBox() {
    const form = document.getElementById("token-form");
    if (!form) return;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      const input = document.getElementById("token-input");
      sessionStorage.setItem(TOKEN_KEY, input.value.trim());
      input.value = "";
      document.getElementById("token-box").hidden = true;
      tokenWaiters.splice(0).forEach(function (resolve) { resolve(); });
    });
  }

  /* One JSON call; rejects with the server's `detail` (a string or pydantic's field errors). */
  V2X.api = async function (method, path, body) {
    const options = { method: method, headers: V2X.headers({ Accept: "application/json" }), cache: "no-store" };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(path, options);
    if (response.status === 401) {
      await V2X.askToken();
      return V2X.api(method, path, body);
    }
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (!response.ok) {
      const detail = data && data.detail;
      const message = Array.isArray(detail)
        ? detail.map(function (e) { return e.loc.slice(1).join(".") + ": " + e.msg; }).join("; ")
        : detail || "HTTP " + response.status;
      throw new Error(message);
    }
    return data;
  };

  function sleep(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  /* Server-sent events over fetch: onEvent(type, data) per message, onState("live" | "reconnecting" |
     "unauthorized"); reconnects with backoff until close(). */
  V2X.stream = function (path, onEvent, onState) {
    let controller = null;
    let closed = false;
    async function run() {
      let delay = 500;
      while (!closed) {
        controller = new AbortController();
        try {
          const response = await fetch(path, {
            headers: V2X.headers({ Accept: "text/event-stream" }),
            signal: controller.signal,
            cache: "no-store",
          });
          if (response.status === 401) {
            onState("unauthorized");
            await V2X.askToken();
            continue;
          }
          if (!response.ok) throw new Error("HTTP " + response.status);
          onState("live");
          delay = 500;
          const reader = response.body.getReader();
          const decoder = new TextDecoder();
          let buffer = "";
          for (;;) {
            const chunk = await reader.read();
            if (chunk.done) break;
            buffer += decoder.decode(chunk.value, { stream: true });
            let end;
            while ((end = buffer.indexOf("\n\n")) >= 0) {
              const block = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              let type = "message";
              let data = "";
              block.split("\n").forEach(function (line) {
                if (line.startsWith("event: ")) type = line.slice(7);
                else if (line.startsWith("data: ")) data += line.slice(6);
              });
              if (data) onEvent(type, JSON.parse(data));
            }
          }
        } catch (error) {
          if (closed) return;
        }
        if (closed) return;
        onState("reconnecting");
        await sleep(delay);
        delay = Math.min(delay * 2, 10000);
      }
    }
    run();
    return {
      close: function () {
        closed = true;
        if (controller) controller.abort();
      },
    };
  };

  /* el("td", {class: "num", dataset: {x: 1}}, "text", childNode, [more], ...): text is always
     textContent, never markup. */
  V2X.el = function (tag, attrs) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(function (pair) {
      const key = pair[0];
      const value = pair[1];
      if (value === null || value === undefined || value === false) return;
      if (key === "dataset") Object.assign(node.dataset, value);
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    });
    const add = function (child) {
      if (child === null || child === undefined) return;
      if (Array.isArray(child)) child.forEach(add);
      else node.append(child instanceof Node ? child : String(child));
    };
    for (let i = 2; i < arguments.length; i++) add(arguments[i]);
    return node;
  };

  V2X.fill = function (id, nodes) {
    const target = typeof id === "string" ? document.getElementById(id) : id;
    target.replaceChildren.apply(target, nodes);
  };

  V2X.text = function (id, value) {
    document.getElementById(id).textContent = value;
  };

  const kwFormat = new Intl.NumberFormat("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const intFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
  V2X.fmt = {
    kw: function (v) { return v === null || v === undefined ? "—" : kwFormat.format(v); },
    int: function (v) { return v === null || v === undefined ? "—" : intFormat.format(v); },
    pct: function (v) { return v === null || v === undefined ? "—" : (100 * v).toFixed(1) + " %"; },
    time: function (iso) {
      if (!iso) return "—";
      return new Date(iso).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit" });
    },
    when: function (iso) {
      if (!iso) return "—";
      const d = new Date(iso);
      return d.toLocaleDateString("en-CA") + " " + V2X.fmt.time(iso);
    },
    age: function (s) {
      if (s === null || s === undefined) return "—";
      if (s < 90) return s.toFixed(0) + " s ago";
      if (s < 5400) return (s / 60).toFixed(0) + " min ago";
      return (s / 3600).toFixed(1) + " h ago";
    },
  };

  wireTokenBox();
  window.V2X = V2X;
})();
