// The hubgraph page: a SPARQL editor, the canned-query gallery and the stance map.
// Plain JavaScript over the server's own HTTP API (/sparql, /queries, /stance-map.svg).
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("hubgraph-config").textContent);
  const PREFIXES = Object.entries(config.prefixes).sort((a, b) => b[1].length - a[1].length);
  const ID = "https://w3id.org/hubgraph/id/";
  const BASE = "https://w3id.org/hubgraph/";
  const WIKIDATA = "http://www.wikidata.org/entity/";
  const $ = (selector, root) => (root || document).querySelector(selector);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  // -- values ------------------------------------------------------------------------
  function compact(iri) {
    for (const [prefix, ns] of PREFIXES) {
      if (iri.startsWith(ns) && iri.length > ns.length) return `${prefix}:${iri.slice(ns.length)}`;
    }
    return iri;
  }

  function entityHref(iri) {
    if (iri.startsWith(ID)) return "/entity/" + iri.slice(ID.length).split("/").map(encodeURIComponent).join("/");
    if (iri.startsWith(BASE)) return "/entity/" + encodeURIComponent(iri);
    return null;
  }

  function iriNode(iri) {
    if (iri.startsWith(WIKIDATA)) {
      const qid = iri.slice(WIKIDATA.length);
      return el("a", { href: `https://www.wikidata.org/wiki/${qid}`, class: "wikidata", title: iri,
        target: "_blank", rel: "noopener" }, `wd:${qid}`);
    }
    const href = entityHref(iri);
    if (href) return el("a", { href, title: iri }, compact(iri));
    return el("span", { class: "iri", title: iri }, compact(iri));
  }

  function isIri(value) {
    return typeof value === "string" && /^https?:\/\/\S+$/.test(value);
  }

  // A cell from a SPARQL JSON term ({type, value, datatype, xml:lang}) or a plain JSON value.
  function cell(value) {
    const td = el("td");
    if (value === null || value === undefined) { td.className = "empty"; return td; }
    td.dataset.value = plain(value);
    if (typeof value === "object") {
      if (value.type === "uri") td.append(iriNode(value.value));
      else if (value.type === "bnode") td.append(el("span", { class: "bnode" }, `_:${value.value}`));
      else {
        td.append(value.value);
        if (value.value.length > 70) td.className = "long";
        const dt = value.datatype ? compact(value.datatype) : null;
        if (value["xml:lang"]) td.append(el("span", { class: "lang" }, `@${value["xml:lang"]}`));
        if (dt && /xsd:(integer|decimal|double|float|int|long)/.test(dt)) td.className = "num";
        if (dt) td.title = dt;
      }
      return td;
    }
    if (typeof value === "number") { td.className = "num"; td.append(String(value)); return td; }
    if (isIri(value)) { td.append(iriNode(value)); return td; }
    td.append(String(value));
    if (String(value).length > 70) td.className = "long";
    return td;
  }

  function plain(value) {
    if (value === null || value === undefined) return "";
    if (typeof value === "object") return value.value;
    return String(value);
  }

  // A results table. ``rows`` are arrays of values in column order. With ``mergeLabels``, a
  // column ``x`` of IRIs beside a column ``xLabel`` is folded into it: the label links to x.
  function table(columns, rows, options) {
    const opts = options || {};
    let shown = columns.map((_, i) => i);
    let hidden = [];
    const linkOf = {};
    if (opts.mergeLabels) {
      columns.forEach((name, i) => {
        const j = columns.indexOf(`${name}Label`);
        if (j >= 0 && rows.every((r) => r[i] === null || r[i] === undefined || isIri(plain(r[i])))) {
          linkOf[j] = i;
        }
      });
      const folded = new Set(Object.values(linkOf));
      shown = shown.filter((i) => !folded.has(i));
    }
    if (opts.hideEmpty && rows.length) {
      hidden = shown.filter((i) => rows.every((r) => r[i] === null || r[i] === undefined || r[i] === ""));
      shown = shown.filter((i) => !hidden.includes(i));
    }
    const head = el("tr", null, shown.map((i) => el("th", { scope: "col" }, columns[i])));
    const body = rows.map((r) => el("tr", null, shown.map((i) => {
      if (!(i in linkOf) || !r[linkOf[i]]) return cell(r[i]);
      const iri = plain(r[linkOf[i]]);
      const label = plain(r[i]) || compact(iri);
      const link = iriNode(iri);
      link.textContent = label;
      return el("td", { title: iri }, link);
    })));
    const wrap = el("div", { class: "table-wrap" },
      el("table", { class: "result-table" }, el("thead", null, head), el("tbody", null, body)));
    if (hidden.length) {
      wrap.append(el("p", { class: "muted small table-note" },
        `${hidden.length} empty column${hidden.length > 1 ? "s" : ""} not shown: ` +
        hidden.map((i) => columns[i]).join(", ")));
    }
    return wrap;
  }

  function errorBox(message, detail) {
    return el("div", { class: "error", role: "alert" }, el("strong", null, message),
      detail ? el("div", { class: "error-detail" }, detail) : null);
  }

  async function errorFrom(response) {
    try {
      const body = await response.json();
      if (body && body.message) return `${response.status} ${body.error}: ${body.message}`;
    } catch (_) { /* not JSON */ }
    return `${response.status} ${response.statusText}`;
  }

  function download(name, type, text) {
    const url = URL.createObjectURL(new Blob([text], { type }));
    const a = el("a", { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  // A download is opened in a spreadsheet: a text cell that starts like a formula (= + - @
  // tab CR) gets a leading ' so that it is shown, never run; numeric literals stay numbers.
  const NUMERIC = /^http:\/\/www\.w3\.org\/2001\/XMLSchema#(integer|decimal|double|float|int|long|short|byte|nonNegativeInteger|nonPositiveInteger|positiveInteger|negativeInteger|unsignedInt|unsignedLong|unsignedShort|unsignedByte)$/;
  function spreadsheetCell(term) {
    const v = plain(term);
    const number = term && term.type === "literal" && NUMERIC.test(term.datatype || "") && v.trim() !== "" && !isNaN(Number(v));
    return /^[=+\-@\t\r]/.test(v) && !number ? `'${v}` : v;
  }

  function csvText(columns, rows) {
    const quoteCell = (v) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
    return [columns, ...rows.map((r) => r.map(spreadsheetCell))]
      .map((r) => r.map(quoteCell).join(",")).join("\r\n") + "\r\n";
  }

  // -- tabs --------------------------------------------------------------------------
  const loaded = {};
  function showTab(name, push) {
    for (const tab of document.querySelectorAll("[role=tab]")) {
      const on = tab.dataset.tab === name;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      $(`#panel-${tab.dataset.tab}`).hidden = !on;
    }
    if (push && location.hash !== `#${name}`) history.replaceState(null, "", `${location.pathname}${location.search}#${name}`);
    if (name === "gallery" && !loaded.gallery) { loaded.gallery = true; loadGallery(); }
    if (name === "map" && !loaded.map) { loaded.map = true; loadMap(); }
  }
  for (const tab of document.querySelectorAll("[role=tab]")) {
    tab.addEventListener("click", () => showTab(tab.dataset.tab, true));
  }

  // -- the editor --------------------------------------------------------------------
  const editor = $("#query-editor");
  const highlight = $("#query-highlight");
  const status = $("#query-status");
  const results = $("#query-results");
  let lastResult = null;

  function renderHighlight() {
    const text = editor.value;
    highlight.innerHTML = window.highlightSparql(text.endsWith("\n") ? text + " " : text);
    const lines = text.split("\n").length;
    $("#editor").style.height = `${Math.min(Math.max(lines, 12), 34) * 1.5 + 1.6}em`;
    syncScroll();
  }
  function syncScroll() {
    highlight.parentElement.scrollTop = editor.scrollTop;
    highlight.parentElement.scrollLeft = editor.scrollLeft;
  }
  editor.addEventListener("input", renderHighlight);
  editor.addEventListener("scroll", syncScroll);
  editor.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      runQuery();
    } else if (event.key === "Tab" && !event.shiftKey) {
      event.preventDefault();
      const { selectionStart: s, selectionEnd: e } = editor;
      editor.setRangeText("  ", s, e, "end");
      renderHighlight();
    }
  });

  function setQuery(text) {
    editor.value = text;
    renderHighlight();
  }

  function shareUrl(query) {
    return `${location.origin}/?query=${encodeURIComponent(query)}`;
  }

  async function runQuery() {
    const query = editor.value;
    if (!query.trim()) return;
    history.replaceState(null, "", `/?query=${encodeURIComponent(query)}#query`);
    status.textContent = "Running…";
    status.className = "status running";
    results.replaceChildren();
    lastResult = null;
    $("#download-csv").disabled = $("#download-json").disabled = true;
    const started = performance.now();
    let response;
    try {
      response = await fetch("/sparql", {
        method: "POST",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          Accept: "application/sparql-results+json, text/turtle;q=0.9",
        },
        body: new URLSearchParams({ query }),
      });
    } catch (err) {
      status.textContent = "";
      results.append(errorBox("The server could not be reached.", String(err)));
      return;
    }
    const ms = Math.round(performance.now() - started);
    if (!response.ok) {
      status.textContent = "";
      status.className = "status";
      results.append(errorBox(await errorFrom(response)));
      return;
    }
    const type = response.headers.get("content-type") || "";
    if (type.includes("json")) {
      const body = await response.json();
      if ("boolean" in body) {
        status.textContent = `ASK · ${ms} ms`;
        results.append(el("p", { class: `ask ${body.boolean}` }, `Answer: ${body.boolean ? "yes (true)" : "no (false)"}`));
        lastResult = { json: body, columns: ["boolean"], rows: [[String(body.boolean)]] };
      } else {
        const columns = body.head.vars;
        const rows = body.results.bindings.map((b) => columns.map((v) => b[v] || null));
        status.textContent = `${rows.length} row${rows.length === 1 ? "" : "s"} · ${ms} ms`;
        results.append(rows.length ? table(columns, rows) : el("p", { class: "muted" }, "No rows."));
        lastResult = { json: body, columns, rows };
      }
      $("#download-csv").disabled = $("#download-json").disabled = false;
    } else {
      const text = await response.text();
      status.textContent = `graph (${type.split(";")[0]}) · ${ms} ms`;
      results.append(el("pre", { class: "graph-text" }, text));
    }
    status.className = "status done";
  }

  $("#run-query").addEventListener("click", runQuery);
  $("#reset-query").addEventListener("click", () => setQuery(config.example));
  $("#copy-link").addEventListener("click", async () => {
    const url = shareUrl(editor.value);
    history.replaceState(null, "", `/?query=${encodeURIComponent(editor.value)}#query`);
    try {
      await navigator.clipboard.writeText(url);
      status.textContent = "Link copied.";
    } catch (_) {
      status.textContent = "The link to this query is in the address bar.";
    }
  });
  $("#download-csv").addEventListener("click", () => {
    if (lastResult) download("results.csv", "text/csv", csvText(lastResult.columns, lastResult.rows));
  });
  $("#download-json").addEventListener("click", () => {
    if (lastResult) download("results.json", "application/sparql-results+json", JSON.stringify(lastResult.json, null, 2));
  });

  // -- the gallery -------------------------------------------------------------------
  let entityChoices = null;
  async function entityOptions() {
    if (entityChoices) return entityChoices;
    entityChoices = (async () => {
      const query = "SELECT DISTINCT ?e ?label ?wd WHERE { ?e a hg:Actor ; rdfs:label ?label " +
        "OPTIONAL { ?e owl:sameAs ?wd } } ORDER BY ?label";
      const response = await fetch("/sparql", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/sparql-results+json" },
        body: new URLSearchParams({ query }),
      });
      if (!response.ok) return [];
      const body = await response.json();
      return body.results.bindings.map((b) => ({
        id: b.e.value.startsWith(ID) ? b.e.value.slice(ID.length) : b.e.value,
        qid: b.wd ? b.wd.value.replace(WIKIDATA, "") : null,
        label: b.label.value,
      }));
    })();
    return entityChoices;
  }

  function describe(text) {
    // Descriptions use `code` spans; everything else is plain text.
    const p = el("p", { class: "description" });
    text.split(/(`[^`]+`)/).forEach((part) => {
      if (part.startsWith("`") && part.endsWith("`")) p.append(el("code", null, part.slice(1, -1)));
      else p.append(part);
    });
    return p;
  }

  function paramField(query, param) {
    const id = `p-${query.name}-${param.name}`;
    let input;
    if (param.type === "concept" && param.choices) {
      input = el("select", { id, name: param.name, multiple: param.list || null },
        param.list ? null : el("option", { value: "" }, param.required ? "— choose —" : "any"),
        param.choices.map((c) => el("option", { value: c.value, selected: param.default === c.value || param.default === c.iri },
          c.label || c.value)));
    } else if (param.type === "boolean") {
      input = el("select", { id, name: param.name },
        el("option", { value: "" }, "any"), el("option", { value: "true" }, "true"), el("option", { value: "false" }, "false"));
    } else {
      const types = { integer: "number", decimal: "number", date: "date" };
      const example = (param.description.match(/\((?:e\.g\.\s*|QIDs? such as\s*)([^)]*)\)/) || [])[1];
      input = el("input", {
        id, name: param.name, type: param.list ? "text" : types[param.type] || "text",
        value: param.default || "", required: param.required || null,
        placeholder: param.list ? "several, separated by commas" : example || param.type,
        step: param.type === "decimal" ? "any" : null,
      });
      if (param.type === "entity" || param.type === "qid") {
        const listId = `${id}-choices`;
        input.setAttribute("list", listId);
        const datalist = el("datalist", { id: listId });
        entityOptions().then((options) => {
          for (const o of options) {
            const value = param.type === "qid" ? o.qid : o.id;
            if (value) datalist.append(el("option", { value }, o.label));
          }
        });
        return el("label", { class: "field", for: id },
          el("span", { class: "field-name" }, param.name, param.required ? el("b", { class: "req" }, " *") : null),
          input, datalist, el("span", { class: "field-help" }, `${param.description} · ${param.type}${param.list ? " list" : ""}`));
      }
    }
    return el("label", { class: "field", for: id },
      el("span", { class: "field-name" }, param.name, param.required ? el("b", { class: "req" }, " *") : null),
      input, el("span", { class: "field-help" }, `${param.description} · ${param.type}${param.list ? " list" : ""}`));
  }

  function formParams(form, query) {
    const params = new URLSearchParams();
    for (const param of query.parameters) {
      const input = form.elements[param.name];
      if (!input) continue;
      let values = [];
      if (input.multiple) values = Array.from(input.selectedOptions).map((o) => o.value);
      else if (param.list) values = input.value.split(",").map((v) => v.trim());
      else values = [input.value.trim()];
      for (const v of values) if (v) params.append(param.name, v);
    }
    return params;
  }

  function queryCard(query) {
    const out = el("div", { class: "card-results" });
    const status = el("span", { class: "status" });
    const csvLink = el("a", { class: "button secondary", href: `${query.csv}?spreadsheet=true`, download: `${query.name}.csv` }, "CSV");
    const jsonLink = el("a", { class: "button secondary", href: query.url, target: "_blank" }, "JSON");
    const showIris = el("input", { type: "checkbox", class: "show-iris" });
    let last = null;
    const render = () => {
      if (!last) return;
      const rows = last.rows.map((r) => last.columns.map((c) => r[c]));
      out.replaceChildren(rows.length
        ? table(last.columns, rows, { hideEmpty: true, mergeLabels: !showIris.checked })
        : el("p", { class: "muted" }, "No rows."));
    };
    showIris.addEventListener("change", render);
    const form = el("form", { class: "params", novalidate: true },
      query.parameters.map((p) => paramField(query, p)));
    const update = () => {
      const params = formParams(form, query).toString();
      csvLink.href = `/queries/${query.name}.csv?spreadsheet=true${params ? "&" + params : ""}`;
      jsonLink.href = `/queries/${query.name}${params ? "?" + params : ""}`;
    };
    form.addEventListener("change", update);
    form.addEventListener("input", update);
    const run = async (event) => {
      if (event) event.preventDefault();
      const params = formParams(form, query);
      for (const p of query.parameters) {
        if (p.required && !params.has(p.name)) {
          out.replaceChildren(errorBox(`Give a value for “${p.name}”.`));
          return;
        }
      }
      status.textContent = "Running…";
      out.replaceChildren();
      const started = performance.now();
      const response = await fetch(`/queries/${query.name}?${params}`, { headers: { Accept: "application/json" } });
      const ms = Math.round(performance.now() - started);
      if (!response.ok) {
        status.textContent = "";
        out.append(errorBox(await errorFrom(response)));
        return;
      }
      const body = await response.json();
      status.textContent = `${body.count} row${body.count === 1 ? "" : "s"}${body.truncated ? " (more on the next page)" : ""} · ${ms} ms`;
      last = body;
      render();
    };
    form.addEventListener("submit", run);
    const runButton = el("button", { type: "button", class: "primary run", onclick: run }, "Run ▸");
    return el("article", { class: "card", id: `q-${query.name}`, "data-query": query.name },
      el("header", null, el("h3", null, query.title), el("code", { class: "name" }, query.name)),
      describe(query.description),
      query.parameters.length ? form : el("p", { class: "muted small" }, "No parameters."),
      el("div", { class: "card-bar" }, runButton, csvLink, jsonLink, status, el("span", { class: "spacer" }),
        el("label", { class: "toggle small" }, showIris, " show IRI columns")),
      out);
  }

  async function loadGallery() {
    const gallery = $("#gallery");
    const response = await fetch("/queries", { headers: { Accept: "application/json" } });
    if (!response.ok) {
      gallery.replaceChildren(errorBox(await errorFrom(response)));
      return;
    }
    const queries = await response.json();
    gallery.replaceChildren(...queries.map(queryCard));
  }

  // -- the stance map ----------------------------------------------------------------
  function parseData(node, name) {
    try { return JSON.parse(node.getAttribute(`data-${name}`) || "[]"); } catch (_) { return []; }
  }

  function showCountry(node) {
    for (const other of document.querySelectorAll("#stance-map .hg-country.hg-selected")) other.classList.remove("hg-selected");
    node.classList.add("hg-selected");
    const d = node.dataset;
    const colour = node.querySelector(".hg-pill").getAttribute("fill");
    const quotes = parseData(node, "quotes");
    const statements = parseData(node, "statements");
    const conditions = parseData(node, "conditions");
    const voicedHref = d.voicedByEntity ? entityHref(d.voicedByEntity) : null;
    const panel = $("#stance-detail");
    const parts = [
      el("h2", null, el("a", { href: `/entity/${d.id}` }, d.label)),
      el("p", null, el("span", { class: "badge", style: `background:${colour}` }, d.positionLabel),
        d.qid ? el("a", { class: "wikidata small qid-link", href: `https://www.wikidata.org/wiki/${d.qid}`, target: "_blank", rel: "noopener" }, `Wikidata ${d.qid} ↗`) : null),
      d.voicedBy ? el("p", { class: "voice" }, "Voiced by ",
        voicedHref ? el("a", { href: voicedHref }, d.voicedBy) : d.voicedBy) : null,
      d.reportedBy ? el("p", { class: "voice" }, `Reported by ${d.reportedBy}`) : null,
      quotes.length
        ? el("div", { class: "quotes" }, quotes.map((q) => el("blockquote", null, `“${q.text}”`,
          el("footer", null, `— ${q.speaker || d.voicedBy || "unknown speaker"}${q.line ? `, line ${q.line}` : ""}`))))
        : el("div", { class: "quotes" }, el("p", { class: "muted small" }, "No direct quote: the stance rests on these sentences of the source."),
          statements.map((s) => el("blockquote", { class: "statement" }, s.text,
            el("footer", null, s.line ? `source sentence, line ${s.line}` : "source sentence")))),
      conditions.length ? el("div", { class: "conditions" }, el("h3", null, "Conditions"),
        conditions.map((c) => el("p", null, el("span", { class: `kind kind-${c.kind}` }, c.label), " ", c.text))) : null,
      d.source ? el("p", { class: "muted small source" }, `Source: ${d.source}${d.date ? ` · ${d.date}` : ""}`) : null,
      el("p", { class: "small" }, el("a", { href: `/entity/${d.id}` }, `Everything about ${d.label} →`)),
    ];
    panel.replaceChildren(...parts.filter((part) => part));
  }

  async function loadMap() {
    const holder = $("#stance-map");
    const response = await fetch("/stance-map.svg");
    if (!response.ok) {
      holder.replaceChildren(errorBox(await errorFrom(response)));
      return;
    }
    holder.innerHTML = await response.text();
    const svg = holder.querySelector("svg");
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    for (const node of holder.querySelectorAll(".hg-country")) {
      node.addEventListener("click", () => showCountry(node));
      node.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); showCountry(node); }
      });
    }
  }

  // -- start -------------------------------------------------------------------------
  const shared = new URLSearchParams(location.search).get("query");
  setQuery(shared || config.example);
  const wanted = location.hash.replace("#", "");
  showTab(shared ? "query" : ["query", "gallery", "map"].includes(wanted) ? wanted : "query", false);
  if (shared) runQuery();
})();
