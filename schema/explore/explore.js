// Credence explorer: who recognizes a state or a government, on any date, and says who.
//
// The page asks /graphql for the subject's recognitions over all time (one request per 100
// episodes) and computes every date's colours, list and timeline itself: moving the slider sends
// no request. The queries below are the whole contract with the API (README: "A frontend
// example: the explorer").
"use strict";

// Everything the page shows about one recognition episode.
const RECOGNITION_FIELDS = `
fragment ExploreRecognition on Recognition {
  key
  type
  mode
  endReason
  from { iso precision earliest latest }
  to { iso precision earliest latest }
  recognizer { iso3 numeric name kind }
  citations { quote source { key title url publisher } }
}`;

// The first view of a state: its name and its first 100 recognitions (oldest first).
const EXPLORE_STATE_QUERY = `
query ExploreState($subject: String!) {
  state(iso3: $subject) { iso3 numeric name }
  recognitions(where: {subject: {eq: $subject}}, first: 100) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { ...ExploreRecognition }
  }
}${RECOGNITION_FIELDS}`;

// The first view of a government (a key such as CHN:peoples-republic): the same, with its state.
const EXPLORE_GOVERNMENT_QUERY = `
query ExploreGovernment($subject: String!) {
  government(key: $subject) { key name state { iso3 numeric name } }
  recognitions(where: {subject: {eq: $subject}}, first: 100) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { ...ExploreRecognition }
  }
}${RECOGNITION_FIELDS}`;

// The next 100 recognitions, while pageInfo.hasNextPage (Palestine has some 160).
const EXPLORE_MORE_QUERY = `
query ExploreMore($subject: String!, $after: String!) {
  recognitions(where: {subject: {eq: $subject}}, first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { ...ExploreRecognition }
  }
}${RECOGNITION_FIELDS}`;

// The subject picker: states and governments whose names resemble the text.
const EXPLORE_SEARCH_QUERY = `
query ExploreSearch($text: String!) {
  search(text: $text, first: 10) {
    matched
    node {
      __typename
      ... on State { iso3 name }
      ... on Government { key name state { iso3 name } }
    }
  }
}`;

const DEFAULT_SUBJECT = "PSE";
const FIRST_DAY = "1945-01-01";
const DAY_MS = 86400000;

// Natural Earth draws a few territories without an ISO numeric code; these are Credence's
// user-assigned codes for them, so their own recognitions colour them too.
const UNNUMBERED_FEATURES = { "N. Cyprus": "XNC", "Somaliland": "XSL", "Kosovo": "XKX" };
// Antarctica (ISO 010) is no state and takes a fifth of the map's height.
const HIDDEN_FEATURES = new Set(["010"]);

const STATUS_LABEL = {
  dejure: "de jure",
  defacto: "de facto or unspecified",
  ended: "ended",
  never: "never",
};

const root = document.getElementById("explorer");
const endpoint = root.dataset.endpoint;
const assets = root.dataset.assets;
const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";

const state = {
  subject: null, // {key, name, stateIso3, stateNumeric}
  recognitions: [],
  day: null, // "YYYY-MM-DD"
  selected: null, // a recognizer's iso3, or {feature name} for a state that never recognized
  features: [], // {feature, numeric, iso3, path}
};

// --- Dates: ISO strings compare as dates; the slider counts days since FIRST_DAY -------------

function toDayNumber(iso) {
  return Math.round((Date.parse(iso + "T00:00:00Z") - Date.parse(FIRST_DAY + "T00:00:00Z")) / DAY_MS);
}

function fromDayNumber(n) {
  return new Date(Date.parse(FIRST_DAY + "T00:00:00Z") + n * DAY_MS).toISOString().slice(0, 10);
}

function today() {
  return new Date().toISOString().slice(0, 10);
}

function isDay(text) {
  return /^\d{4}-\d{2}-\d{2}$/.test(text || "") && !Number.isNaN(Date.parse(text));
}

// In force on `day` as the API reads it (asOf): from its earliest day to its latest one.
function inForce(r, day) {
  return r.from.earliest <= day && (r.to === null || r.to.latest >= day);
}

function statusOn(episodes, day) {
  const current = episodes.find((r) => inForce(r, day));
  if (current) return current.type === "DE_JURE" ? "dejure" : "defacto";
  if (episodes.some((r) => r.to !== null && r.to.latest < day)) return "ended";
  return "never";
}

// --- GraphQL ----------------------------------------------------------------------------------

async function graphql(query, variables) {
  const response = await fetch(endpoint, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors && body.errors.length) throw new Error(body.errors[0].message);
  return body.data;
}

async function loadSubject(key) {
  const isGovernment = key.includes(":");
  const data = await graphql(isGovernment ? EXPLORE_GOVERNMENT_QUERY : EXPLORE_STATE_QUERY, {
    subject: key,
  });
  const found = isGovernment ? data.government : data.state;
  if (!found) throw new Error(`No state or government ${key}`);
  const subjectState = isGovernment ? found.state : found;
  const recognitions = data.recognitions.nodes.slice();
  let page = data.recognitions.pageInfo;
  while (page.hasNextPage) {
    const more = await graphql(EXPLORE_MORE_QUERY, { subject: key, after: page.endCursor });
    recognitions.push(...more.recognitions.nodes);
    page = more.recognitions.pageInfo;
  }
  return {
    subject: {
      key,
      name: found.name,
      stateIso3: subjectState.iso3,
      stateNumeric: subjectState.numeric,
    },
    recognitions,
  };
}

// --- The map ------------------------------------------------------------------------------------

async function drawMap() {
  const response = await fetch(`${assets}/countries-110m.json`);
  const world = await response.json();
  const countries = topojson.feature(world, world.objects.countries).features.filter(
    (f) => !HIDDEN_FEATURES.has(f.id)
  );
  const projection = d3.geoEqualEarth().fitSize([960, 470], { type: "FeatureCollection", features: countries });
  const path = d3.geoPath(projection);
  const group = $("countries");
  for (const feature of countries) {
    const element = document.createElementNS(SVG, "path");
    element.setAttribute("d", path(feature));
    const name = feature.properties.name;
    const iso3 = UNNUMBERED_FEATURES[name] || null;
    element.dataset.name = name;
    if (feature.id) element.dataset.numeric = feature.id;
    const title = document.createElementNS(SVG, "title");
    title.textContent = name;
    element.appendChild(title);
    element.addEventListener("click", () => select(element.dataset.iso3 || { name }));
    group.appendChild(element);
    state.features.push({ numeric: feature.id || null, iso3, name, element });
  }
}

// Recognizers by iso3, each with its episodes (oldest first), and where the map shows it.
function recognizersOf(recognitions) {
  const byIso3 = new Map();
  for (const r of recognitions) {
    const entry = byIso3.get(r.recognizer.iso3) || { recognizer: r.recognizer, episodes: [] };
    entry.episodes.push(r);
    byIso3.set(r.recognizer.iso3, entry);
  }
  return byIso3;
}

function bindFeatures(byIso3) {
  const byNumeric = new Map();
  for (const [iso3, entry] of byIso3) {
    if (entry.recognizer.numeric) byNumeric.set(entry.recognizer.numeric, iso3);
  }
  const onMap = new Set();
  for (const f of state.features) {
    const iso3 = f.iso3 || (f.numeric && byNumeric.get(f.numeric)) || null;
    if (iso3 && byIso3.has(iso3)) {
      f.element.dataset.iso3 = iso3;
      onMap.add(iso3);
    } else {
      delete f.element.dataset.iso3;
    }
  }
  return onMap;
}

// --- Rendering one date -------------------------------------------------------------------------

let recognizers = new Map();
let onMap = new Set();

function render() {
  const day = state.day;
  const counts = { dejure: 0, defacto: 0, ended: 0 };
  const current = [];
  const ended = [];
  for (const [iso3, entry] of recognizers) {
    const status = statusOn(entry.episodes, day);
    entry.status = status;
    if (status === "dejure" || status === "defacto") current.push(entry);
    else if (status === "ended") ended.push(entry);
    if (status in counts) counts[status] += 1;
  }
  for (const f of state.features) {
    const entry = f.element.dataset.iso3 ? recognizers.get(f.element.dataset.iso3) : null;
    f.element.dataset.status = entry ? entry.status : "never";
    f.element.setAttribute("class", `s-${f.element.dataset.status}`);
    if (f.element.dataset.iso3 && f.element.dataset.iso3 === selectedIso3()) {
      f.element.classList.add("selected");
    }
    if (
      (f.iso3 && f.iso3 === state.subject.stateIso3) ||
      (f.numeric && f.numeric === state.subject.stateNumeric)
    ) {
      f.element.classList.add("s-subject");
    }
  }
  fillList($("recognizers"), current);
  fillList($("ended"), ended);
  const recognizing = counts.dejure + counts.defacto;
  $("count").dataset.count = String(recognizing);
  $("count").textContent =
    `${recognizing} ${recognizing === 1 ? "state recognizes" : "states recognize"} ` +
    `${state.subject.name} on ${day} (${counts.dejure} de jure, ${counts.defacto} de facto or ` +
    `unspecified; ${counts.ended} ended before).`;
  $("list-heading").textContent = `Recognizing on ${day} (${recognizing})`;
  $("ended-heading").textContent = `Ended before ${day} (${counts.ended})`;
  $("as-of-date").value = day;
  $("as-of-slider").value = String(toDayNumber(day));
  $("as-of-slider").setAttribute("aria-valuetext", day);
  drawCursor();
}

function selectedIso3() {
  return typeof state.selected === "string" ? state.selected : null;
}

function fillList(list, entries) {
  entries.sort((a, b) => a.recognizer.name.localeCompare(b.recognizer.name));
  list.replaceChildren(
    ...entries.map((entry) => {
      const item = document.createElement("li");
      item.dataset.iso3 = entry.recognizer.iso3;
      item.dataset.status = entry.status;
      item.dataset.onMap = String(onMap.has(entry.recognizer.iso3));
      const button = document.createElement("button");
      button.type = "button";
      button.className = `s-${entry.status}`;
      button.textContent = entry.recognizer.name;
      const hint = STATUS_LABEL[entry.status] + (onMap.has(entry.recognizer.iso3) ? "" : ", not on the map");
      button.setAttribute("aria-label", `${entry.recognizer.name}: ${hint}`);
      if (!onMap.has(entry.recognizer.iso3)) {
        const mark = document.createElement("span");
        mark.className = "off-map";
        mark.textContent = " (not on map)";
        mark.setAttribute("aria-hidden", "true");
        button.appendChild(mark);
      }
      button.addEventListener("click", () => select(entry.recognizer.iso3));
      item.appendChild(button);
      return item;
    })
  );
}

// --- The timeline: recognizing states over time, ends marked ----------------------------------

const TL = { left: 40, right: 950, top: 10, bottom: 115 };
let timeline = null; // {x, y, maxDay}

function drawTimeline() {
  const svg = $("timeline");
  const events = [];
  for (const r of state.recognitions) {
    events.push([r.from.earliest, +1]);
    if (r.to !== null) events.push([fromDayNumber(toDayNumber(r.to.latest) + 1), -1]);
  }
  events.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const maxDay = toDayNumber(today());
  let count = 0;
  let peak = 1;
  const steps = [[0, 0]];
  for (const [day, delta] of events) {
    count += delta;
    peak = Math.max(peak, count);
    steps.push([Math.max(0, toDayNumber(day)), count]);
  }
  const x = (n) => TL.left + ((TL.right - TL.left) * Math.min(n, maxDay)) / maxDay;
  const y = (c) => TL.bottom - ((TL.bottom - TL.top) * c) / peak;
  let d = `M${x(0)},${y(0)}`;
  let last = 0;
  for (const [n, c] of steps) {
    d += `H${x(n).toFixed(1)}V${y(c).toFixed(1)}`;
    last = c;
  }
  d += `H${x(maxDay)}`;
  const parts = [];
  const line = document.createElementNS(SVG, "path");
  line.setAttribute("d", d);
  line.setAttribute("class", "tl-line");
  parts.push(line);
  const axis = document.createElementNS(SVG, "path");
  axis.setAttribute("d", `M${TL.left},${TL.bottom}H${TL.right}M${TL.left},${TL.top}V${TL.bottom}`);
  axis.setAttribute("class", "tl-axis");
  parts.push(axis);
  const firstYear = Number(FIRST_DAY.slice(0, 4));
  for (let year = firstYear; year <= Number(today().slice(0, 4)); year += 10) {
    const label = document.createElementNS(SVG, "text");
    label.setAttribute("x", x(toDayNumber(`${year}-01-01`)).toFixed(1));
    label.setAttribute("y", String(TL.bottom + 18));
    label.setAttribute("class", "tl-label");
    label.textContent = String(year);
    parts.push(label);
  }
  const peakLabel = document.createElementNS(SVG, "text");
  peakLabel.setAttribute("x", String(TL.left - 6));
  peakLabel.setAttribute("y", String(TL.top + 8));
  peakLabel.setAttribute("class", "tl-label tl-peak");
  peakLabel.textContent = String(peak);
  parts.push(peakLabel);
  let ends = 0;
  for (const r of state.recognitions) {
    if (r.to === null) continue;
    ends += 1;
    const mark = document.createElementNS(SVG, "path");
    const mx = x(toDayNumber(r.to.latest)).toFixed(1);
    mark.setAttribute("d", `M${mx},${TL.bottom + 2}l-4,8h8z`);
    mark.setAttribute("class", "tl-end");
    const title = document.createElementNS(SVG, "title");
    title.textContent = `${r.recognizer.name}: ended ${r.to.iso}${r.endReason ? ` (${words(r.endReason)})` : ""}`;
    mark.appendChild(title);
    parts.push(mark);
  }
  const cursor = document.createElementNS(SVG, "line");
  cursor.setAttribute("id", "tl-cursor");
  cursor.setAttribute("class", "tl-cursor");
  cursor.setAttribute("y1", String(TL.top));
  cursor.setAttribute("y2", String(TL.bottom));
  parts.push(cursor);
  svg.replaceChildren(svg.querySelector("title"), ...parts);
  timeline = { x, maxDay };
  $("timeline-caption").textContent =
    `${state.recognitions.length} recognitions recorded, ${ends} of them ended; ` +
    `${last} in force today. Click the chart to jump to a date.`;
}

function drawCursor() {
  const cursor = $("tl-cursor");
  if (!cursor || !timeline) return;
  const cx = timeline.x(toDayNumber(state.day)).toFixed(1);
  cursor.setAttribute("x1", cx);
  cursor.setAttribute("x2", cx);
}

// --- Detail: one state's recognition facts and their sources -----------------------------------

function words(value) {
  return value.toLowerCase().replaceAll("_", " ");
}

function fuzzy(date) {
  return `${date.iso} (${words(date.precision)})`;
}

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function select(target, { focus = true } = {}) {
  state.selected = target;
  const detail = $("detail");
  const parts = [];
  if (typeof target !== "string") {
    parts.push(element("h2", target.name));
    parts.push(element("p", `No recognition of ${state.subject.name} by ${target.name} is recorded.`));
  } else {
    const entry = recognizers.get(target);
    parts.push(element("h2", entry.recognizer.name));
    parts.push(
      element("p", `${STATUS_LABEL[statusOn(entry.episodes, state.day)]} on ${state.day}`, "status")
    );
    for (const r of entry.episodes) parts.push(episode(r));
  }
  detail.replaceChildren(...parts);
  detail.dataset.selected = typeof target === "string" ? target : "";
  render();
  if (focus) detail.focus();
}

function episode(r) {
  const article = element("article", undefined, "episode");
  article.dataset.key = r.key;
  article.appendChild(element("h3", `${words(r.type)} recognition (${words(r.mode)})`));
  const facts = document.createElement("dl");
  const add = (term, value) => {
    facts.appendChild(element("dt", term));
    facts.appendChild(element("dd", value));
  };
  add("From", fuzzy(r.from));
  add("Until", r.to === null ? "in force" : fuzzy(r.to));
  if (r.endReason) add("End reason", words(r.endReason));
  add("In force on " + state.day, inForce(r, state.day) ? "yes" : "no");
  article.appendChild(facts);
  const sources = element("ul", undefined, "sources");
  sources.setAttribute("aria-label", "Sources");
  for (const citation of r.citations) {
    const item = document.createElement("li");
    const source = citation.source;
    // Only web links: a source's URL is data, and data must not choose what a click runs.
    if (source.url && /^https?:\/\//i.test(source.url)) {
      const link = element("a", source.title);
      link.href = source.url;
      link.rel = "noopener noreferrer";
      link.target = "_blank";
      item.appendChild(link);
    } else {
      item.appendChild(element("span", source.title));
    }
    if (source.publisher) item.appendChild(element("span", ` — ${source.publisher}`, "publisher"));
    if (citation.quote) item.appendChild(element("blockquote", citation.quote));
    sources.appendChild(item);
  }
  article.appendChild(sources);
  return article;
}

// --- Date and URL ----------------------------------------------------------------------------

function setDay(day, { push = false } = {}) {
  if (!isDay(day)) return;
  state.day = day;
  writeUrl(push);
  if (!state.subject) return;
  // The detail's "in force on" lines follow the date (select renders too); the focus stays put.
  if (state.selected !== null) select(state.selected, { focus: false });
  else render();
}

function writeUrl(push) {
  const params = new URLSearchParams();
  if (state.subject) params.set("subject", state.subject.key);
  params.set("asOf", state.day);
  const url = `${location.pathname}?${params}`;
  if (push) history.pushState(null, "", url);
  else history.replaceState(null, "", url);
}

let pendingSlide = null;

function wireDate() {
  const slider = $("as-of-slider");
  slider.min = "0";
  slider.max = String(toDayNumber(today()));
  slider.addEventListener("input", () => {
    // Drawn once per frame, however fast the thumb moves.
    if (pendingSlide !== null) cancelAnimationFrame(pendingSlide);
    pendingSlide = requestAnimationFrame(() => {
      pendingSlide = null;
      setDay(fromDayNumber(Number(slider.value)));
    });
  });
  // A day per arrow key is too fine for 80 years: Page Up and Page Down move a year.
  slider.addEventListener("keydown", (event) => {
    if (event.key !== "PageUp" && event.key !== "PageDown") return;
    event.preventDefault();
    const year = Number(state.day.slice(0, 4)) + (event.key === "PageUp" ? 1 : -1);
    const day = `${String(year).padStart(4, "0")}${state.day.slice(4)}`;
    const clamped = Math.min(Math.max(toDayNumber(isDay(day) ? day : `${year}-02-28`), 0), Number(slider.max));
    setDay(fromDayNumber(clamped));
  });
  $("as-of-date").addEventListener("change", (event) => setDay(event.target.value));
  $("timeline").addEventListener("click", (event) => {
    if (!timeline) return;
    const box = $("timeline").getBoundingClientRect();
    const px = ((event.clientX - box.left) / box.width) * 960;
    const fraction = Math.min(1, Math.max(0, (px - TL.left) / (TL.right - TL.left)));
    setDay(fromDayNumber(Math.round(fraction * timeline.maxDay)));
  });
}

// --- Search -----------------------------------------------------------------------------------

let searchTimer = null;
let searchGeneration = 0;

function wireSearch() {
  const input = $("search");
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const first = $("results").querySelector("button");
    if (first) first.click();
  });
  input.addEventListener("input", () => {
    clearTimeout(searchTimer);
    const text = input.value.trim();
    if (text.length < 2) {
      $("results").replaceChildren();
      return;
    }
    searchTimer = setTimeout(() => runSearch(text), 250);
  });
}

async function runSearch(text) {
  const generation = ++searchGeneration;
  let hits;
  try {
    hits = (await graphql(EXPLORE_SEARCH_QUERY, { text })).search;
  } catch (error) {
    showError(error);
    return;
  }
  if (generation !== searchGeneration) return; // a later search has been sent
  const items = [];
  for (const hit of hits) {
    const node = hit.node;
    if (node.__typename !== "State" && node.__typename !== "Government") continue;
    const key = node.__typename === "State" ? node.iso3 : node.key;
    const label = node.__typename === "State" ? `${node.name} (${key})` : `${node.name} — government of ${node.state.name}`;
    const item = document.createElement("li");
    const button = element("button", label);
    button.type = "button";
    button.dataset.key = key;
    button.addEventListener("click", () => {
      $("results").replaceChildren();
      $("search").value = "";
      choose(key, { push: true });
    });
    item.appendChild(button);
    items.push(item);
  }
  if (items.length === 0) items.push(element("li", "No state or government matches."));
  $("results").replaceChildren(...items);
}

// --- Start --------------------------------------------------------------------------------------

function showError(error) {
  $("error").hidden = false;
  $("error").textContent = `Something went wrong: ${error.message}`;
}

async function choose(key, { push = false } = {}) {
  $("count").textContent = "Loading…";
  try {
    const loaded = await loadSubject(key);
    state.subject = loaded.subject;
    state.recognitions = loaded.recognitions;
  } catch (error) {
    showError(error);
    return;
  }
  $("error").hidden = true;
  state.selected = null;
  recognizers = recognizersOf(state.recognitions);
  onMap = bindFeatures(recognizers);
  $("subject-name").textContent = state.subject.name;
  document.title = `Credence · Who recognizes ${state.subject.name}?`;
  $("detail").replaceChildren(
    element("h2", "Details"),
    element("p", "Pick a state on the map or in the list to see its recognition and the sources.", "help")
  );
  drawTimeline();
  writeUrl(push);
  render();
}

function restoreFromUrl() {
  const params = new URLSearchParams(location.search);
  const day = params.get("asOf");
  state.day = isDay(day) ? day : today();
  return params.get("subject") || DEFAULT_SUBJECT;
}

async function start() {
  wireDate();
  wireSearch();
  const subject = restoreFromUrl();
  // The map's geometry and the subject's recognitions load side by side.
  const [map] = await Promise.allSettled([drawMap(), choose(subject)]);
  if (map.status === "rejected") showError(map.reason);
  else if (state.subject) bindAndRender();
  window.addEventListener("popstate", () => {
    const next = restoreFromUrl();
    if (!state.subject || next !== state.subject.key) choose(next);
    else render();
  });
  root.dataset.ready = "true";
}

function bindAndRender() {
  onMap = bindFeatures(recognizers);
  render();
}

start();
