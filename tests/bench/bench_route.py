"""Today's route on a slow phone: `make bench-route`.

The route of 60 planned clients (static/js/lib/route.js: nearest neighbour, then 2-opt and or-opt) is worked out in
Chromium on a 393×851 screen with the CPU slowed 4× through the DevTools protocol (`Emulation.setCPUThrottlingRate`),
as the Today screen does each time the rep moves on. Goal: under 50 ms. The baseline, measured in the same page and
run, is the least any route pays: the distances between every two stops, and a nearest-neighbour tour over them.
Days are drawn in a town of Abidjan's size (15 km across), seeded: the same days on every run.
"""

from __future__ import annotations

import functools
import os
import statistics
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.browser import CHROMIUM_ARGS, chromium_path

STOPS = 60
DAYS = 30
GOAL_MS = 50
STATIC = Path(__file__).resolve().parents[2] / "static"

MEASURE = """async ({stops, days}) => {
  const { routeOrder, routeLength } = await import("/js/lib/route.js");
  const { distanceM } = await import("/js/lib/geo.js");
  let seed = 20;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const baseline = (start, points) => {
    const all = [start, ...points];
    const size = all.length;
    const dist = new Float64Array(size * size);
    for (let i = 0; i < size; i++) {
      for (let j = i + 1; j < size; j++) dist[i * size + j] = dist[j * size + i] = distanceM(all[i], all[j]);
    }
    const left = new Set(points.map((_, index) => index + 1));
    const path = [0];
    while (left.size) {
      const from = path[path.length - 1];
      let best = -1;
      for (const candidate of left) {
        if (best < 0 || dist[from * size + candidate] < dist[from * size + best]) best = candidate;
      }
      path.push(best);
      left.delete(best);
    }
    return path;
  };
  const route = [], base = [], ratio = [];
  for (let day = 0; day < days; day++) {
    const start = { lat: 5.28 + next() * 0.14, lng: -4.08 + next() * 0.14 };
    const points = Array.from({ length: stops }, () => ({ lat: 5.28 + next() * 0.14, lng: -4.08 + next() * 0.14 }));
    let started = performance.now();
    const nn = baseline(start, points);
    base.push(performance.now() - started);
    started = performance.now();
    const order = routeOrder(start, points);
    route.push(performance.now() - started);
    const nnOrder = nn.slice(1).map((point) => point - 1);
    ratio.push(routeLength(start, points, order) / routeLength(start, points, nnOrder));
  }
  return { route, base, ratio };
}"""


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def serve_static() -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(STATIC)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> int:
    from playwright.sync_api import sync_playwright

    server = serve_static()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 393, "height": 851}, is_mobile=True, has_touch=True)
        page.goto(url + "css/app.css")
        cdp = page.context.new_cdp_session(page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": float(os.environ.get("CPU_RATE", "4"))})
        page.evaluate(MEASURE, {"stops": STOPS, "days": 3})  # warm-up: the modules loaded and compiled
        figures = page.evaluate(MEASURE, {"stops": STOPS, "days": DAYS})
        browser.close()
    server.shutdown()
    route, base = figures["route"], figures["base"]
    p50, worst = statistics.median(route), max(route)
    base_p50 = statistics.median(base)
    print(f"today's route, {STOPS} planned clients, Chromium, CPU 4x slower, {DAYS} days:")
    p95 = sorted(route)[int(0.95 * len(route)) - 1]
    print(f"  route.js: median {p50:.1f} ms, p95 {p95:.1f} ms, worst {worst:.1f} ms")
    print(f"  baseline (distances + nearest neighbour): median {base_p50:.1f} ms → ratio {p50 / base_p50:.1f}x")
    ratios = figures["ratio"]
    mean = statistics.mean(ratios)
    print(f"  route length against nearest neighbour alone: mean {mean:.3f}x, worst {max(ratios):.3f}x")
    print(f"  goal: under {GOAL_MS} ms → {'met' if worst < GOAL_MS else 'NOT met'} (worst day)")
    return 0 if worst < GOAL_MS else 1


if __name__ == "__main__":
    sys.exit(main())
