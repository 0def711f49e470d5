/* The map: the total of assigned clients and their markers. Markers are drawn by Leaflet from the phone's
   data, so they show offline; only the background tiles need a network. */
import { gettext, interpolate, ngettext } from "../lib/i18n.js";
import { state } from "../lib/state.js";
import { el } from "./dom.js";
import { openMenu } from "./menu.js";
import { bar, redrawOnChange } from "./shared.js";

const TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
const ABIDJAN = [5.345, -4.024];

/* Leaflet is loaded when the map is first shown (from the service worker's cache), not on every start. */
function loadLeaflet() {
  if (window.L) return Promise.resolve(window.L);
  if (!document.querySelector("link[data-leaflet]")) {
    const style = document.querySelector('meta[name="leaflet-style"]').content;
    document.head.append(el("link", { rel: "stylesheet", href: style, "data-leaflet": "" }));
  }
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = document.querySelector('meta[name="leaflet-script"]').content;
    script.onload = () => resolve(window.L);
    script.onerror = reject;
    document.head.append(script);
  });
}

export function render(main) {
  const total = el("p", { class: "total", role: "status" });
  const node = el("div", { class: "map", id: "map" });
  main.append(bar(gettext("Map")), total, node);
  let stop = null;
  let gone = false;
  loadLeaflet().then(
    () => {
      if (!gone) stop = draw(total, node);
    },
    () => node.append(el("p", { class: "empty" }, gettext("The map could not load."))),
  );
  return () => {
    gone = true;
    if (stop) stop();
  };
}

function draw(total, node) {
  const map = window.L.map(node, { preferCanvas: true }).setView(ABIDJAN, 12);
  window.L.tileLayer(TILES, { maxZoom: 19, attribution: "© OpenStreetMap" }).addTo(map);
  const layer = window.L.layerGroup().addTo(map);
  let fitted = false;
  const paint = () => {
    const rows = [...state.clients.values()];
    total.textContent = interpolate(ngettext("%(count)s client assigned to you", "%(count)s clients assigned to you", rows.length), { count: rows.length });
    layer.clearLayers();
    const points = [];
    for (const row of rows) {
      const { lat, lng, name } = row.fields;
      if (lat == null || lng == null) continue;
      points.push([lat, lng]);
      window.L.circleMarker([lat, lng], { radius: 6, weight: 1, color: "#fff", fillColor: row.pending ? "#b26a00" : "#0e6b4f", fillOpacity: 0.9 })
        .bindTooltip(name || "")
        .on("click", () => openMenu(row.id))
        .addTo(layer);
    }
    if (state.position) {
      window.L.circleMarker([state.position.lat, state.position.lng], { radius: 8, color: "#1a73e8", fillOpacity: 1 }).addTo(layer);
    }
    node.dataset.markers = String(points.length);
    if (!fitted && points.length) {
      map.fitBounds(points, { padding: [20, 20], maxZoom: 16 });
      fitted = true;
    }
  };
  paint();
  const stop = redrawOnChange(paint, { except: ["sync"] });
  return () => {
    stop();
    map.remove();
  };
}
