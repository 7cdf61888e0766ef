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
  const QID = /^Q[1-9][0-9]*$/;
  function compact(iri) {
    for (const [prefix, ns] of PREFIXES) {
      if (iri.startsWith(ns) && iri.length > ns.length) return `${prefix}:${iri.slice(ns.length)}`;
    }
    return iri;
  }

  function entityHref(iri) {
    if (iri.startsWith(ID)) return "/entity/" + iri.slice(ID.length).split("/").map(encodeURIComponent).join("/");
    if (iri.startsWith(WIKIDATA) && QID.test(iri.slice(WIKIDATA.length))) return "/entity/" + iri.slice(WIKIDATA.length);
    if (iri.startsWith(BASE)) return "/entity/" + encodeURIComponent(iri);
    return null;
  }

  function wikidataLink(qid, text) {
    return el("a", { href: `https://www.wikidata.org/wiki/${qid}`, class: "wikidata", title: `Wikidata ${qid}`,
      target: "_blank", rel: "noopener" }, text || qid);
  }

  // The same kind of cell always leads to the same kind of place: a QID (as a string or a
  // Wikidata IRI) to Wikidata; an IRI of the graph to its entity page; a label to the page
  // of the entity it names.
  function iriNode(iri) {
    if (iri.startsWith(WIKIDATA) && QID.test(iri.slice(WIKIDATA.length))) {
      const qid = iri.slice(WIKIDATA.length);
      return wikidataLink(qid, `wd:${qid}`);
    }
    const href = entityHref(iri);
    if (href) return el("a", { href, title: iri }, compact(iri));
    if (/^https?:\/\//.test(iri)) return el("a", { href: iri, class: "iri external", title: iri, rel: "noopener" }, compact(iri));
    return el("span", { class: "iri", title: iri }, compact(iri));
  }

  function labelNode(iri, label) {
    const href = entityHref(iri);
    return href ? el("a", { href, title: iri }, label) : el("span", { title: iri }, label);
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
      else if (QID.test(value.value)) td.append(wikidataLink(value.value));
      else {
        td.append(value.value);
        if (value.value.length > 70) td.className = "long";
        const dt = value.datatype ? compact(value.datatype) : null;
        const lang = value["xml:lang"];
        // English is the page's language: its tag would be noise on every label.
        if (lang && !/^en(-|$)/i.test(lang)) td.append(el("span", { class: "lang" }, `@${lang}`));
        if (lang) td.lang = lang;
        if (dt && /xsd:(integer|decimal|double|float|int|long)/.test(dt)) td.className = "num";
        if (dt) td.title = dt;
      }
      return td;
    }
    if (typeof value === "number") { td.className = "num"; td.append(String(value)); return td; }
    if (isIri(value)) { td.append(iriNode(value)); return td; }
    if (QID.test(String(value))) { td.append(wikidataLink(String(value))); return td; }
    td.append(String(value));
    if (String(value).length > 70) td.className = "long";
    return td;
  }

  function plain(value) {
    if (value === null || value === undefined) return "";
    if (typeof value === "object") return value.value;
    return String(value);
  }

  function compareValues(a, b) {
    const x = plain(a), y = plain(b);
    if (x === "" || y === "") return x === y ? 0 : x === "" ? 1 : -1;
    const nx = Number(x), ny = Number(y);
    if (Number.isFinite(nx) && Number.isFinite(ny)) return nx - ny;
    return x.localeCompare(y, undefined, { numeric: true, sensitivity: "base" });
  }

  // Where the evidence of a row is, found by column names so that it survives changes to the
  // queries: the quote(s), who said it, the source (title, link), its dates. A quote column
  // holds text: a column of quote IRIs beside a ``text`` column means the text is the quote.
  function evidenceColumns(columns, rows) {
    const literal = (i) => rows.every((r) => r[i] === null || r[i] === undefined || !isIri(plain(r[i])));
    const find = (re, textOnly) => columns.findIndex((c, i) => re.test(c) && (!textOnly || literal(i)));
    const ev = {
      quote: find(/^quotes?(Text)?$|quote$/i, true),
      statement: find(/^statements?(Text)?$/i, true),
      speaker: find(/^(voicedBy|voice|speaker|bySpeaker|quotedBy|said[bB]y)Label$/),
      speakerIri: find(/^(voicedBy|voice|speaker|bySpeaker|quotedBy|said[bB]y)$/),
      title: find(/^source(Title|Label)$/),
      source: find(/^source$/),
      url: find(/^(source)?(Url|URL|url)$/),
      published: find(/^source(Date|Issued|Published)$|^(issued|published)$/i),
      dated: find(/^date$/),
      publisher: find(/^publisherLabel$/),
    };
    if (ev.quote < 0 && columns.includes("quote")) ev.quote = find(/^text$/, true);
    if (ev.quote < 0 && ev.statement < 0) return null;
    return ev;
  }

  function evidenceCell(ev, columns, row, sources) {
    const at = (i) => (i >= 0 ? plain(row[i]) : "");
    const td = el("td", { class: "evidence" });
    const quotes = at(ev.quote).split(" | ").filter(Boolean);
    const sentences = at(ev.statement).split(" | ").filter(Boolean);
    const shown = quotes.length ? quotes : sentences;
    shown.slice(0, 3).forEach((q) => td.append(el("blockquote", { class: quotes.length ? "quote" : "statement" },
      quotes.length ? `“${q}”` : q)));
    if (shown.length > 3) {
      td.append(el("details", null, el("summary", null, `${shown.length - 3} more`),
        shown.slice(3).map((q) => el("blockquote", { class: "quote" }, quotes.length ? `“${q}”` : q))));
    }
    const who = [];
    const speaker = at(ev.speaker) ? (at(ev.speakerIri) ? labelNode(at(ev.speakerIri), at(ev.speaker)) : at(ev.speaker)) : null;
    if (quotes.length) {
      if (speaker) who.push(speaker);
    } else if (sentences.length) {
      // The source's own words, not the speaker's: say so, and who voiced the stance.
      who.push(sentences.length === 1 ? "source sentence" : "source sentences");
      if (speaker) who.push(el("span", null, "voiced by ", speaker));
    }
    const known = (sources && at(ev.source) && sources.get(at(ev.source))) || {};
    // A source without a title is named by its publisher (and said to be untitled), never by
    // its IRI: "hgsrc:pa-2025-…" means nothing to a reader.
    const publisher = at(ev.publisher) || known.publisher || "";
    const untitled = !at(ev.title) && !known.title;
    const title = at(ev.title) || known.title ||
      (at(ev.source) ? (publisher ? `${publisher} (untitled)` : "untitled source") : "");
    if (title) {
      // The original article where the graph has its URL; else the source's page here.
      const url = at(ev.url) || known.url;
      const record = at(ev.source) ? entityHref(at(ev.source)) : null;
      if (url) {
        who.push(el("a", { href: url, class: "source-link external", rel: "noopener", target: "_blank" }, title));
      } else {
        who.push(record ? el("a", { href: record, class: "source-link", rel: "noopener" }, title) : title);
      }
    }
    if (publisher && !(untitled && at(ev.source))) who.push(publisher);
    if (at(ev.dated) && at(ev.dated) !== at(ev.published)) who.push(el("span", { class: "date" }, `dated ${at(ev.dated)}`));
    if (at(ev.published)) who.push(el("span", { class: "date" }, `published ${at(ev.published)}`));
    if (who.length) {
      const footer = el("p", { class: "who" }, "— ");
      who.forEach((part, i) => { if (i) footer.append(" · "); footer.append(part); });
      td.append(footer);
    }
    return td;
  }

  // Title and original URL (schema:url) of sources, asked of the endpoint once per source, so
  // that any query naming a ``source`` gets its links, whatever columns it returns.
  const sourceCache = new Map();
  const SAFE_IRI = /^https?:\/\/[^\s<>"{}|^`\\]+$/;
  async function sourceDetails(iris) {
    const wanted = [...new Set(iris)].filter((iri) => SAFE_IRI.test(iri) && !sourceCache.has(iri));
    if (wanted.length) {
      const query = "SELECT ?s ?title ?url ?publisher WHERE { VALUES ?s { " + wanted.map((iri) => `<${iri}>`).join(" ") +
        " } OPTIONAL { ?s dcterms:title ?title } OPTIONAL { ?s schema:url ?url } " +
        "OPTIONAL { ?s dcterms:publisher/rdfs:label ?publisher } }";
      try {
        const response = await fetch("/sparql", {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/sparql-results+json" },
          body: new URLSearchParams({ query }),
        });
        if (response.ok) {
          for (const b of (await response.json()).results.bindings) {
            const known = sourceCache.get(b.s.value) || {};
            sourceCache.set(b.s.value, { title: known.title || (b.title && b.title.value), url: known.url || (b.url && b.url.value),
              publisher: known.publisher || (b.publisher && b.publisher.value) });
          }
        }
      } catch (_) { /* the table shows without the links */ }
      for (const iri of wanted) if (!sourceCache.has(iri)) sourceCache.set(iri, {});
    }
    return sourceCache;
  }

  // A results table. ``rows`` are arrays of values in column order. With ``mergeLabels``, a
  // column ``x`` of IRIs beside a column ``xLabel`` is folded into it: the label links to the
  // page of x. With ``evidence``, the quote, speaker, source and date come first, as one cell.
  // Long results are paged (``pageSize``); headers sort (every row, not just the page).
  function table(columns, rows, options) {
    const opts = options || {};
    const pageSize = opts.pageSize || 100;
    let shown = columns.map((_, i) => i);
    let hidden = [];
    const linkOf = {};
    const ev = opts.evidence ? evidenceColumns(columns, rows) : null;
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
    if (ev) {
      const used = new Set(["quote", "statement", "speaker", "speakerIri", "title", "source", "url", "published", "dated", "publisher"]
        .map((k) => ev[k]).filter((i) => i >= 0));
      shown = shown.filter((i) => !used.has(i));
    }
    if (opts.hideEmpty && rows.length) {
      hidden = shown.filter((i) => rows.every((r) => r[i] === null || r[i] === undefined || r[i] === ""));
      shown = shown.filter((i) => !hidden.includes(i));
    }
    let iriColumns = [];
    if (opts.hideIris && rows.length) {
      // For reading: columns of bare IRIs say little that the labels do not (raw shows them).
      iriColumns = shown.filter((i) => rows.every((r) => r[i] === null || r[i] === undefined || isIri(plain(r[i]))));
      if (iriColumns.length < shown.length) shown = shown.filter((i) => !iriColumns.includes(i));
      else iriColumns = [];
    }
    const EVIDENCE = -1;
    const order = ev ? [EVIDENCE, ...shown] : shown;
    let sorted = rows.slice();
    let sortBy = null;
    let direction = 1;
    let page = 0;

    const tbody = el("tbody");
    const heads = order.map((i) => {
      const name = i === EVIDENCE ? "Evidence" : columns[i];
      const th = el("th", { scope: "col", "aria-sort": "none", class: i === EVIDENCE ? "evidence-head" : null });
      const button = el("button", { type: "button", class: "sort", title: `Sort by ${name}` }, name);
      button.addEventListener("click", () => sortOn(i, th));
      th.append(button);
      return th;
    });
    const pager = el("div", { class: "pager" });
    const wrap = el("div", { class: "table-wrap" },
      el("table", { class: "result-table" }, el("thead", null, el("tr", null, heads)), tbody));
    const holder = el("div", { class: "result" }, wrap, pager);

    function sortOn(i, th) {
      direction = sortBy === i ? -direction : 1;
      sortBy = i;
      const key = i === EVIDENCE ? [ev.dated, ev.published, ev.quote, ev.statement].find((k) => k >= 0) : i;
      sorted = rows.slice().sort((a, b) => direction * compareValues(a[key], b[key]));
      for (const h of heads) h.setAttribute("aria-sort", "none");
      th.setAttribute("aria-sort", direction > 0 ? "ascending" : "descending");
      page = 0;
      renderPage();
    }

    function renderCell(r, i) {
      if (i === EVIDENCE) return evidenceCell(ev, columns, r, opts.sources);
      if (!(i in linkOf) || !r[linkOf[i]]) return cell(r[i]);
      const iri = plain(r[linkOf[i]]);
      const label = plain(r[i]) || compact(iri);
      return el("td", { "data-value": label }, labelNode(iri, label));
    }

    function renderPage() {
      const first = page * pageSize;
      const slice = sorted.slice(first, first + pageSize);
      tbody.replaceChildren(...slice.map((r) => el("tr", null, order.map((i) => renderCell(r, i)))));
      pager.replaceChildren();
      if (rows.length > pageSize) {
        const pages = Math.ceil(rows.length / pageSize);
        const go = (to) => { page = Math.max(0, Math.min(pages - 1, to)); renderPage(); wrap.scrollTop = 0; };
        pager.append(
          el("button", { type: "button", class: "secondary", onclick: () => go(page - 1), disabled: page === 0 }, "‹ Previous"),
          el("span", { class: "muted small page-info" },
            `rows ${(first + 1).toLocaleString("en")}–${Math.min(first + pageSize, rows.length).toLocaleString("en")} ` +
            `of ${rows.length.toLocaleString("en")}`),
          el("button", { type: "button", class: "secondary", onclick: () => go(page + 1), disabled: page >= pages - 1 }, "Next ›"));
      }
    }
    renderPage();
    if (hidden.length) {
      holder.append(el("p", { class: "muted small table-note" },
        `${hidden.length} empty column${hidden.length > 1 ? "s" : ""} not shown: ` +
        hidden.map((i) => columns[i]).join(", ")));
    }
    if (iriColumns.length) {
      holder.append(el("p", { class: "muted small table-note" },
        `IRI columns not shown (tick “raw columns”): ${iriColumns.map((i) => columns[i]).join(", ")}`));
    }
    return holder;
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

  function seconds(ms) {
    return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
  }

  const painted = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));

  // -- the address bar -----------------------------------------------------------------
  // Everything worth sharing lives in the URL: the editor's query (?query=), the canned query
  // and its parameters (?canned=NAME&p.NAME=VALUE), the map's country (?country=ID), the tab
  // (#query, #gallery, #map). Runs push history entries, so Back returns to the last one.
  function setAddress(params, tab, push) {
    const search = params.toString();
    const url = `${location.pathname}${search ? "?" + search : ""}#${tab}`;
    if (url === `${location.pathname}${location.search}${location.hash}`) return;
    if (push) history.pushState(null, "", url);
    else history.replaceState(null, "", url);
  }

  // -- tabs --------------------------------------------------------------------------
  const TABS = ["query", "gallery", "map", "timeline"];
  const loaded = {};
  const tabs = Array.from(document.querySelectorAll("[role=tab]"));
  function showTab(name, push) {
    for (const tab of tabs) {
      const on = tab.dataset.tab === name;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.tabIndex = on ? 0 : -1;
      $(`#panel-${tab.dataset.tab}`).hidden = !on;
    }
    if (push && location.hash !== `#${name}`) history.replaceState(null, "", `${location.pathname}${location.search}#${name}`);
    if (name === "gallery" && !loaded.gallery) loaded.gallery = loadGallery();
    if (name === "map" && !loaded.map) loaded.map = loadMap(new URLSearchParams(location.search).get("asOf"));
    if (name === "timeline" && !loaded.timeline) loaded.timeline = loadTimeline();
    return loaded[name] || Promise.resolve();
  }
  tabs.forEach((tab, index) => {
    tab.addEventListener("click", () => showTab(tab.dataset.tab, true));
    // The tab bar is one stop for Tab; the arrow keys move along it (the ARIA tabs pattern).
    tab.addEventListener("keydown", (event) => {
      const moves = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 };
      if (!(event.key in moves)) return;
      event.preventDefault();
      const next = tabs[(moves[event.key] + tabs.length) % tabs.length];
      next.focus();
      showTab(next.dataset.tab, true);
    });
  });
  window.addEventListener("hashchange", () => {
    const name = location.hash.replace("#", "");
    if (TABS.includes(name)) showTab(name, false);
  });

  // -- the editor --------------------------------------------------------------------
  const editor = $("#query-editor");
  const highlight = $("#query-highlight");
  const status = $("#query-status");
  const results = $("#query-results");
  const runButton = $("#run-query");
  const cancelButton = $("#cancel-query");
  const downloads = { csv: $("#download-csv"), json: $("#download-json"), graph: $("#download-graph") };
  let lastResult = null;
  let current = null;
  let shownQuery = null;

  function renderHighlight() {
    const text = editor.value;
    highlight.innerHTML = window.highlightSparql(text.endsWith("\n") ? text + " " : text);
    const lines = text.split("\n").length;
    // Tall enough for the query, short enough that its results start on the first screen.
    $("#editor").style.height = `calc(${Math.min(Math.max(lines, 6), 18)} * 1.5 * 13.5px + 1.7em)`;
    syncScroll();
  }
  function syncScroll() {
    highlight.parentElement.scrollTop = editor.scrollTop;
    highlight.parentElement.scrollLeft = editor.scrollLeft;
  }
  editor.addEventListener("input", renderHighlight);
  editor.addEventListener("scroll", syncScroll);
  // Tab indents, as in any code editor, but must not trap keyboard users: Esc, then Tab,
  // moves focus on (Shift+Tab always does), as in CodeMirror.
  let escaped = false;
  editor.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { escaped = true; return; }
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      runQuery(true);
    } else if (event.key === "Tab" && !event.shiftKey && !escaped && !event.ctrlKey && !event.altKey && !event.metaKey) {
      event.preventDefault();
      const { selectionStart: s, selectionEnd: e } = editor;
      editor.setRangeText("  ", s, e, "end");
      renderHighlight();
    }
    if (event.key !== "Shift") escaped = false;
  });

  function setQuery(text) {
    editor.value = text;
    renderHighlight();
  }

  function shareUrl(query) {
    return `${location.origin}/?query=${encodeURIComponent(query)}#query`;
  }

  // History of queries run here, kept by the browser across reloads.
  const HISTORY_KEY = "hubgraph.history";
  function loadHistory() {
    try { return JSON.parse(localStorage.getItem(HISTORY_KEY) || "[]"); } catch (_) { return []; }
  }
  function remember(query) {
    const past = loadHistory().filter((h) => h.query !== query);
    past.unshift({ query, at: new Date().toISOString() });
    try { localStorage.setItem(HISTORY_KEY, JSON.stringify(past.slice(0, 25))); } catch (_) { /* full */ }
    renderHistory();
  }
  function renderHistory() {
    const select = $("#history");
    const past = loadHistory();
    select.replaceChildren(el("option", { value: "" }, past.length ? `Recent queries (${past.length})` : "No recent queries"),
      ...past.map((h, i) => el("option", { value: String(i), title: h.query },
        `${h.at.slice(0, 16).replace("T", " ")} · ${h.query.replace(/^(#.*\n|PREFIX.*\n|\s)+/i, "").replace(/\s+/g, " ").slice(0, 60)}`)));
    select.disabled = !past.length;
  }
  $("#history").addEventListener("change", (event) => {
    const chosen = loadHistory()[Number(event.target.value)];
    if (chosen) setQuery(chosen.query);
    event.target.value = "";
    editor.focus();
  });

  function setRunning(on) {
    runButton.disabled = on;
    cancelButton.hidden = !on;
    cancelButton.disabled = !on;
    results.setAttribute("aria-busy", on ? "true" : "false");
  }

  function cancelQuery() {
    if (!current) return;
    const run = current;
    run.cancelled = true;
    current = null;
    run.controller.abort(); // the server stops the query's worker when the client goes away
    clearInterval(run.tick);
    status.textContent = `Cancelled after ${seconds(performance.now() - run.started)}.`;
    status.className = "status";
    setRunning(false);
  }

  function showResultsArea() {
    // The results, not the editor, are what Run changes: bring them on screen.
    const bar = $("#result-bar");
    const box = bar.getBoundingClientRect();
    if (box.top < 0 || box.top > window.innerHeight * 0.6) bar.scrollIntoView({ block: "start" });
  }

  async function runQuery(push) {
    const query = editor.value;
    if (!query.trim()) return;
    if (current) cancelQuery();
    shownQuery = query;
    setAddress(new URLSearchParams({ query }), "query", push);
    remember(query);
    const run = { controller: new AbortController(), started: performance.now(), cancelled: false };
    current = run;
    const live = () => current === run; // a stale run never touches the page
    setRunning(true);
    status.textContent = "Running…";
    status.className = "status running";
    run.tick = setInterval(() => {
      if (live()) status.textContent = `Running… ${seconds(performance.now() - run.started)}`;
    }, 250);
    results.replaceChildren();
    lastResult = null;
    for (const button of Object.values(downloads)) button.disabled = true;
    downloads.graph.hidden = true;
    showResultsArea();
    try {
      const response = await fetch("/sparql", {
        method: "POST",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          Accept: "application/sparql-results+json, text/turtle;q=0.9",
        },
        body: new URLSearchParams({ query }),
        signal: run.controller.signal,
      });
      if (!live()) return;
      if (!response.ok) {
        const message = await errorFrom(response);
        if (!live()) return;
        status.textContent = `Failed after ${seconds(performance.now() - run.started)}`;
        status.className = "status";
        results.append(errorBox(message));
        return;
      }
      const type = response.headers.get("content-type") || "";
      if (type.includes("json")) {
        const body = await response.json(); // the last byte
        if (!live()) return;
        let summary;
        if ("boolean" in body) {
          summary = "ASK";
          results.append(el("p", { class: `ask ${body.boolean}` }, `Answer: ${body.boolean ? "yes (true)" : "no (false)"}`));
          lastResult = { json: body, columns: ["boolean"], rows: [[String(body.boolean)]] };
        } else {
          const columns = body.head.vars;
          const rows = body.results.bindings.map((b) => columns.map((v) => b[v] || null));
          summary = `${rows.length.toLocaleString("en")} row${rows.length === 1 ? "" : "s"}`;
          results.append(rows.length ? table(columns, rows) : el("p", { class: "muted" }, "No rows."));
          lastResult = { json: body, columns, rows };
        }
        downloads.csv.disabled = downloads.json.disabled = false;
        await painted();
        if (!live()) return;
        status.textContent = `${summary} · ${seconds(performance.now() - run.started)}`;
      } else {
        const text = await response.text();
        if (!live()) return;
        const media = type.split(";")[0];
        results.append(el("pre", { class: "graph-text" }, text));
        lastResult = { graph: text, media };
        downloads.graph.hidden = false;
        downloads.graph.disabled = false;
        await painted();
        if (!live()) return;
        const triples = text.split("\n").filter((l) => /[.;,]\s*$/.test(l)).length;
        status.textContent = `graph (${media}, ~${triples} statements) · ${seconds(performance.now() - run.started)}`;
      }
      status.className = "status done";
    } catch (err) {
      if (run.cancelled || !live()) return;
      status.textContent = "";
      results.append(errorBox("The server could not be reached.", String(err)));
    } finally {
      clearInterval(run.tick);
      if (live()) { current = null; setRunning(false); }
    }
  }

  runButton.addEventListener("click", () => runQuery(true));
  cancelButton.addEventListener("click", cancelQuery);
  $("#reset-query").addEventListener("click", () => setQuery(config.example));
  $("#insert-prefixes").addEventListener("click", () => {
    if (!editor.value.includes(config.prefixBlock)) setQuery(`${config.prefixBlock}\n\n${editor.value}`);
  });
  $("#prefix-list").textContent = config.prefixBlock;
  $("#copy-link").addEventListener("click", async () => {
    const url = shareUrl(editor.value);
    setAddress(new URLSearchParams({ query: editor.value }), "query", false);
    try {
      await navigator.clipboard.writeText(url);
      status.textContent = "Link copied.";
    } catch (_) {
      status.textContent = "The link to this query is in the address bar.";
    }
  });
  downloads.csv.addEventListener("click", () => {
    if (lastResult && lastResult.rows) download("results.csv", "text/csv", csvText(lastResult.columns, lastResult.rows));
  });
  downloads.json.addEventListener("click", () => {
    if (lastResult && lastResult.json) download("results.json", "application/sparql-results+json", JSON.stringify(lastResult.json, null, 2));
  });
  downloads.graph.addEventListener("click", () => {
    if (lastResult && lastResult.graph) download("graph.ttl", lastResult.media || "text/turtle", lastResult.graph);
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
      const raw = showIris.checked;
      out.replaceChildren(rows.length
        ? table(last.columns, rows, { hideEmpty: true, mergeLabels: !raw, evidence: !raw, hideIris: !raw, sources: sourceCache })
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
    let running = null;
    const run = async (event, fromAddress) => {
      if (event) event.preventDefault();
      const params = formParams(form, query);
      for (const p of query.parameters) {
        if (p.required && !params.has(p.name)) {
          out.replaceChildren(errorBox(`Give a value for “${p.name}”.`));
          return;
        }
      }
      if (!fromAddress) {
        const address = new URLSearchParams({ canned: query.name });
        for (const [k, v] of params) address.append(`p.${k}`, v);
        setAddress(address, "gallery", true);
      }
      if (running) running.abort();
      const mine = new AbortController();
      running = mine;
      status.textContent = "Running…";
      runButton.disabled = true;
      out.replaceChildren();
      const started = performance.now();
      try {
        const response = await fetch(`/queries/${query.name}?${params}`,
          { headers: { Accept: "application/json" }, signal: mine.signal });
        if (running !== mine) return;
        if (!response.ok) {
          const message = await errorFrom(response);
          if (running !== mine) return;
          status.textContent = "";
          out.append(errorBox(message));
          return;
        }
        const body = await response.json();
        if (running !== mine) return;
        if (body.columns.includes("source")) await sourceDetails(body.rows.map((r) => r.source).filter(Boolean));
        if (running !== mine) return;
        last = body;
        render();
        await painted();
        if (running !== mine) return;
        status.textContent = `${body.count} row${body.count === 1 ? "" : "s"}${body.truncated ? " (more on the next page)" : ""} · ${seconds(performance.now() - started)}`;
      } catch (err) {
        if (running === mine) out.append(errorBox("The server could not be reached.", String(err)));
      } finally {
        if (running === mine) { running = null; runButton.disabled = false; }
      }
    };
    form.addEventListener("submit", (event) => run(event));
    const runButton = el("button", { type: "button", class: "primary run", onclick: () => run() }, "Run ▸");
    const text = (config.canned || {})[query.name];
    const source = text ? el("details", { class: "sparql-source" },
      el("summary", null, "SPARQL"),
      el("pre", { class: "highlight" }, el("code", null)),
      el("button", { type: "button", class: "secondary open-in-editor", onclick: () => {
        setQuery(text);
        showTab("query", false);
        setAddress(new URLSearchParams({ query: text }), "query", true);
        editor.focus();
        editor.setSelectionRange(0, 0);
        window.scrollTo(0, 0);
      } }, "Open in editor")) : null;
    if (source) source.querySelector("code").innerHTML = window.highlightSparql(text);
    const card = el("article", { class: "card", id: `q-${query.name}`, "data-query": query.name },
      el("header", null, el("h3", null, query.title), el("code", { class: "name" }, query.name)),
      describe(query.description),
      query.parameters.length ? form : el("p", { class: "muted small" }, "No parameters."),
      el("div", { class: "card-bar" }, runButton, csvLink, jsonLink, status, el("span", { class: "spacer" }),
        el("label", { class: "toggle small" }, showIris, " raw columns")),
      source,
      out);
    // From a shared address: fill the form with its values and run.
    card.runFrom = (address) => {
      for (const param of query.parameters) {
        const values = address.getAll(`p.${param.name}`);
        const input = form.elements[param.name];
        if (!input || !values.length) continue;
        if (input.multiple) for (const o of input.options) o.selected = values.includes(o.value);
        else input.value = param.list ? values.join(", ") : values[0];
      }
      update();
      card.scrollIntoView({ block: "start" });
      return run(null, true);
    };
    return card;
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

  function runCannedFromAddress() {
    const address = new URLSearchParams(location.search);
    const name = address.get("canned");
    if (name === "search") $("#search-box").value = address.get("p.q") || "";
    if (!name) return;
    const card = document.querySelector(`[data-query="${CSS.escape(name)}"]`);
    if (card && card.runFrom) card.runFrom(address);
  }

  // -- the stance map ----------------------------------------------------------------
  function parseData(node, name) {
    try { return JSON.parse(node.getAttribute(`data-${name}`) || "[]"); } catch (_) { return []; }
  }

  function showCountry(node, remember) {
    if (remember) setAddress(new URLSearchParams({ country: node.dataset.id }), "map", true);
    for (const other of document.querySelectorAll("#stance-map .hg-country.hg-selected")) other.classList.remove("hg-selected");
    node.classList.add("hg-selected");
    const d = node.dataset;
    const colour = node.querySelector(".hg-pill").getAttribute("fill");
    const quotes = parseData(node, "quotes");
    const statements = parseData(node, "statements");
    const conditions = parseData(node, "conditions");
    const observations = parseData(node, "observations");
    const voicedHref = d.voicedByEntity ? entityHref(d.voicedByEntity) : null;
    const panel = $("#stance-detail");
    const parts = [
      el("h2", null, el("a", { href: `/entity/${d.id}` }, d.label)),
      el("p", null, el("span", { class: "badge", style: `background:${colour}` }, d.positionLabel),
        d.qid ? el("a", { class: "wikidata small qid-link", href: `https://www.wikidata.org/wiki/${d.qid}`, target: "_blank", rel: "noopener" }, `Wikidata ${d.qid} ↗`) : null),
      d.voicedBy ? el("p", { class: "voice" }, "Voiced by ",
        voicedHref ? el("a", { href: voicedHref }, d.voicedBy) : d.voicedBy) : null,
      d.reportedBy ? el("p", { class: "voice" }, `Reported by ${d.reportedBy}`) : null,
      d.contested === "true" ? el("p", { class: "contested-note" }, "Contested: the latest observations disagree.") : null,
      observations.length ? el("div", { class: "observations" }, el("h3", null,
        observations.length === 1 ? "Latest observation" : `Latest observations (${observations.length})`),
        el("ul", null, observations.map((o) => el("li", null,
          el("strong", null, o.positionLabel), o.voicedBy ? ` — ${o.voicedBy}` : "",
          ` · ${o.sourceTitle || o.source || "source"}${o.source && o.sourceTitle ? ` (${o.source})` : ""}${o.date ? ` · ${o.date}` : ""}`)))) : null,
      quotes.length
        ? el("div", { class: "quotes" }, quotes.map((q) => el("blockquote", null, `“${q.text}”`,
          el("footer", null, `— ${q.speaker || "unknown speaker"}${q.source ? `, in ${q.source}` : ""}${q.line ? `, line ${q.line}` : ""}`))))
        : el("div", { class: "quotes" }, el("p", { class: "muted small" }, "No direct quote: the stance rests on these sentences of the source."),
          statements.map((s) => el("blockquote", { class: "statement" }, s.text,
            el("footer", null, s.line ? `source sentence, line ${s.line}` : "source sentence")))),
      conditions.length ? el("div", { class: "conditions" }, el("h3", null, "Conditions"),
        conditions.map((c) => el("p", null, el("span", { class: `kind kind-${c.kind}` }, c.label), " ", c.text))) : null,
      d.source ? el("p", { class: "muted small source" }, "Source: ",
        d.sourceUrl ? el("a", { href: d.sourceUrl, class: "source-link external", rel: "noopener", target: "_blank" }, d.sourceTitle || d.source) : d.source,
        d.date ? ` · ${d.date}` : "") : null,
      el("p", { class: "small" }, el("a", { href: `/entity/${d.id}` }, `Everything about ${d.label} →`)),
    ];
    panel.replaceChildren(...parts.filter((part) => part));
  }

  async function loadMap(asOf) {
    const holder = $("#stance-map");
    $("#as-of").value = asOf || "";
    const response = await fetch("/stance-map.svg" + (asOf ? `?asOf=${encodeURIComponent(asOf)}` : ""));
    if (!response.ok) {
      holder.replaceChildren(errorBox(await errorFrom(response)));
      return;
    }
    holder.innerHTML = await response.text();
    const svg = holder.querySelector("svg");
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    // On a phone the map is wider than the screen: the countries are buttons too.
    const list = el("div", { class: "country-list", role: "group", "aria-label": "Countries" },
      Array.from(holder.querySelectorAll(".hg-country")).map((node) => el("button", {
        type: "button", class: "secondary", onclick: () => { showCountry(node, true); $("#stance-detail").scrollIntoView({ block: "start" }); },
      }, node.dataset.label)));
    for (const old of document.querySelectorAll("#panel-map .country-list")) old.remove();
    holder.closest(".map-figure").after(list);
    const figure = holder.closest(".map-figure");
    if (figure.scrollWidth > figure.clientWidth) figure.scrollLeft = (figure.scrollWidth - figure.clientWidth) / 2;
    for (const node of holder.querySelectorAll(".hg-country")) {
      node.addEventListener("click", () => showCountry(node, true));
      node.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); showCountry(node, true); }
      });
    }
  }

  // The map's date: ?asOf= in the address, so that a shared link shows the same map.
  function showAsOf(asOf) {
    const params = new URLSearchParams();
    if (asOf) params.set("asOf", asOf);
    setAddress(params, "map", true);
    $("#stance-detail").replaceChildren(el("h2", null, "Select a country"),
      el("p", { class: "muted" }, asOf ? `The map shows each country's latest position as of ${asOf}.` : "The map shows each country's latest position in all the data."));
    loaded.map = loadMap(asOf);
    return loaded.map;
  }
  $("#as-of-form").addEventListener("submit", (event) => { event.preventDefault(); showAsOf($("#as-of").value); });
  $("#as-of-all").addEventListener("click", () => showAsOf(""));

  // -- the timeline -------------------------------------------------------------------
  function showMark(node) {
    for (const other of document.querySelectorAll("#timeline .hg-mark.hg-selected")) other.classList.remove("hg-selected");
    node.classList.add("hg-selected");
    const d = node.dataset;
    const disputes = parseData(node, "disputes");
    const colour = node.querySelector(".hg-dot").getAttribute("fill");
    const sourceName = d.sourceTitle || d.publisher || "the source";
    const parts = [
      el("h2", null, d.country),
      el("p", null, el("span", { class: "badge", style: `background:${d.kind === "claim" ? "#4a4f57" : colour}` }, d.positionLabel),
        " ", el("span", { class: "muted small" }, d.date)),
      d.voice ? el("p", { class: "voice" }, d.kind === "claim" ? "Claimed by " : "Voiced by ", el("strong", null, d.voice),
        d.office ? `, ${d.office} at the time` : "") : null,
      d.quote ? el("div", { class: "quotes" }, d.kind === "claim"
        ? el("blockquote", { class: "statement" }, d.quote)
        : d.quote.split(" | ").map((q) => el("blockquote", null, `“${q}”`, d.voice ? el("footer", null, `— ${d.voice}`) : null)))
        : el("p", { class: "muted small" }, "No direct quote: the observation rests on the source's own report."),
      disputes.length ? el("div", { class: "disputes" }, el("h3", null, "Disputes"),
        disputes.map((x) => el("p", null, el("span", { class: "kind kind-dispute" }, x.relation), " ",
          x.who ? `${x.who}: ` : "", x.text || "", x.date ? ` (${x.date})` : ""))) : null,
      el("p", { class: "source" }, "Source: ", d.url ? el("a", { href: d.url, target: "_blank", rel: "noopener", class: "source-link" }, sourceName) : sourceName,
        d.publisher && d.sourceTitle ? ` — ${d.publisher}` : ""),
      d.chain ? el("p", { class: "muted small" }, `Reporting chain: ${d.chain}`) : null,
    ];
    $("#mark-detail").replaceChildren(...parts.filter((part) => part));
  }

  async function loadTimeline() {
    const holder = $("#timeline");
    const response = await fetch("/timeline.svg");
    if (!response.ok) {
      holder.replaceChildren(errorBox(await errorFrom(response)));
      return;
    }
    holder.innerHTML = await response.text();
    const svg = holder.querySelector("svg");
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    for (const node of holder.querySelectorAll(".hg-mark")) {
      node.addEventListener("click", () => showMark(node));
      node.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); showMark(node); }
      });
    }
  }

  function showCountryFromAddress() {
    const id = new URLSearchParams(location.search).get("country");
    if (!id) return;
    const node = Array.from(document.querySelectorAll("#stance-map .hg-country")).find((n) => n.dataset.id === id);
    if (node) showCountry(node, false);
  }

  // -- start, and Back/Forward ------------------------------------------------------------
  function fromAddress() {
    const address = new URLSearchParams(location.search);
    const shared = address.get("query");
    const wanted = location.hash.replace("#", "");
    const tab = TABS.includes(wanted) ? wanted
      : address.has("canned") ? "gallery" : address.has("country") || address.has("asOf") ? "map" : "query";
    if (shared !== null && shared !== editor.value) setQuery(shared);
    const ready = showTab(tab, false);
    if (tab === "query" && shared && shared !== shownQuery) runQuery(false);
    if (tab === "gallery") ready.then(runCannedFromAddress);
    if (tab === "map") ready.then(showCountryFromAddress);
  }
  window.addEventListener("popstate", fromAddress);
  renderHistory();
  setRunning(false);
  setQuery(new URLSearchParams(location.search).get("query") || config.example);
  fromAddress();
})();
