#!/usr/bin/env python3
"""Checks a report as it renders: headless Chromium at 1024 px and printed to A4.

Usage: scripts/check_report.py REPORT.html [--pdf OUT.pdf] [--screenshots DOCSDIR]
                               [--max-pages 12]

Exits 0 when every check passes, 1 when any fails (each violation on its own line,
naming its rule, element and text), 2 when the check cannot run (no Chromium, no
pdfinfo, no such file).

The checks (rule names as printed):
  overflow-screen  at a 1024 px wide window (screen media), an element or a line of text
                   reaches beyond the window or beyond the report's column (the content
                   box of its <main>, or of <body> outside one) by more than 1 px, unless a
                   scroll container (overflow-x auto or scroll) between it and the
                   column holds it. Text beyond its table cell, and SVG text beyond its
                   own <svg> box (cut off), count too. Closed <details> are opened first
                   (a reader may open any of them).
  overflow-print   the same in print media at the A4 printable width (210 mm less the
                   14 mm margins of the report's @page rule: 182 mm = 687.9 px); print
                   cannot scroll, so a scroll container excuses nothing there; and a
                   chart or image taller than the printable page (269 mm = 1016.7 px),
                   which print cannot split, fails too.
  contrast         a rendered line of text whose computed colour (SVG: computed fill)
                   against what is painted behind it is under 4.5:1 (WCAG 2 AA for body
                   text, applied to every size). What is behind is read at the centre
                   and at a quarter and three quarters of the width of each line box,
                   from document.elementsFromPoint: backgrounds of HTML elements and
                   fills of SVG shapes, composited over white by their alpha and
                   opacity; a pattern fill counts as its worst colour. Checked at 1024 px
                   with every <details> open; text clipped to nothing is skipped.
  overlap          two rendered text elements of the same chart (the <text> of one outer
                   <svg>, nested icons included) whose boxes intersect by more than 1 px
                   both ways: text drawn over text, such as the rotated axis titles of
                   stacked panels running into each other. A box is the element's
                   rendered box less 0.18 em on each side across its line (above and
                   below horizontal text, left and right of rotated text): the line box
                   is that much taller than the letters, so two labels whose line boxes
                   merely touch corners (a y tick above an x label) do not count.
                   Checked at 1024 px with every <details> open, and in print.
  summary          #summary is absent, or does not end within page 1 of the A4 print
                   (its bottom, in print media at the A4 printable width, is lower than
                   297 mm less the margins = 1016.7 px), or forces a page break inside.
  pages            the A4 PDF has more pages than --max-pages (default 12), counted by
                   pdfinfo.

Chromium is driven over the DevTools protocol on a pipe (--remote-debugging-pipe: the
browser reads commands from fd 3 and writes replies to fd 4, each a JSON message ended
by a NUL byte), so nothing beyond Python 3's standard library, chromium and
poppler-utils is needed.

With --screenshots DOCSDIR it writes DOCSDIR/report-page1.png (page 1 of the A4 PDF,
drawn 1024 px wide by pdftoppm) and DOCSDIR/report-section-ID.png for every <section>
with an id (at 1024 px, at most SECTION_SHOT_MAX_HEIGHT px tall), and deletes every other
DOCSDIR/report-*.png, so the folder holds exactly what the current report makes.
"""

import argparse
import base64
import fcntl
import json
import os
import pathlib
import re
import select
import shutil
import subprocess
import sys
import tempfile

SCREEN_WIDTH = 1024
# A4 and the report's `@page { margin: 14mm }`, in inches and CSS px (96 px per inch).
PAPER_WIDTH_IN = 210 / 25.4
PAPER_HEIGHT_IN = 297 / 25.4
MARGIN_IN = 14 / 25.4
PRINT_WIDTH_PX = (PAPER_WIDTH_IN - 2 * MARGIN_IN) * 96
PRINT_HEIGHT_PX = (PAPER_HEIGHT_IN - 2 * MARGIN_IN) * 96
MIN_CONTRAST = 4.5
MAX_PAGES = 12
SECTION_SHOT_MAX_HEIGHT = 4000
# Seconds to wait for any one answer from Chromium before giving up (a hung browser).
ANSWER_TIMEOUT = 120
RULES = ("overflow-screen", "overflow-print", "contrast", "overlap", "summary", "pages")


class CheckError(Exception):
    """The check could not run (as opposed to a check that failed)."""


# --- the in-page checks (run by Runtime.evaluate; each returns a JSON-able value) ---

PAGE_HELPERS = r"""
const describe = (el) => {
  let s = el.tagName.toLowerCase();
  if (el.id) s += '#' + el.id;
  const cls = el.getAttribute && el.getAttribute('class');
  if (cls) s += '.' + cls.trim().split(/\s+/).join('.');
  let sec = el.closest && el.closest('section[id]');
  if (sec && sec !== el) s += ' in section#' + sec.id;
  return s;
};
const snippet = (t) => { t = (t || '').replace(/\s+/g, ' ').trim(); return t.length > 60 ? t.slice(0, 57) + '...' : t; };
// The column `el` is set in: the content box of its <main>, or of <body> outside one.
const column = (el) => {
  const c = (el && el.closest('main')) || document.body;
  const r = c.getBoundingClientRect(), cs = getComputedStyle(c);
  return { el: c, left: r.left + parseFloat(cs.paddingLeft) + parseFloat(cs.borderLeftWidth),
           right: r.right - parseFloat(cs.paddingRight) - parseFloat(cs.borderRightWidth) };
};
// Rendered: not display:none, not inside a closed <details> or other skipped content, not
// clipped to nothing (as text meant only for screen readers is).
const shown = (el) => {
  if (!el.checkVisibility({ visibilityProperty: true })) return false;
  for (let a = el; a && a !== document.body; a = a.parentElement) {
    const r = a.getBoundingClientRect();
    if ((r.width <= 1 || r.height <= 1) && getComputedStyle(a).overflow !== 'visible') return false;
  }
  return true;
};
const textNodes = (root) => {
  const out = [], walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.nodeValue.trim()) continue;
    const p = n.parentElement;
    if (!p || p.closest('script,style,title,head') || !shown(p)) continue;
    out.push(n);
  }
  return out;
};
"""

OVERFLOW_JS = r"""
((printMedia, pageHeight) => {
  const tol = 1, vw = document.documentElement.clientWidth, found = [];
  const columns = new Map(), columnOf = (el) => {
    const c = el.closest('main') || document.body;
    if (!columns.has(c)) columns.set(c, column(c));
    return columns.get(c);
  };
  const reported = new Set();
  // A scroll container between `el` and the column holds what overflows it (screen only).
  const held = (el) => {
    if (printMedia) return false;
    const col = columnOf(el);
    for (let a = el.parentElement; a && a !== col.el; a = a.parentElement) {
      const ox = getComputedStyle(a).overflowX;
      if (ox === 'auto' || ox === 'scroll') return true;
    }
    return false;
  };
  const outside = (r, col) => r.width > 0 && (r.right > Math.min(vw, col.right) + tol || r.left < Math.max(0, col.left) - tol);
  const underReported = (el) => { for (let a = el; a; a = a.parentElement) if (reported.has(a)) return true; return false; };
  const all = document.body.querySelectorAll('*');
  for (const el of all) {
    if (el.closest('svg') && el.tagName.toLowerCase() !== 'svg' || !shown(el)) continue;
    const r = el.getBoundingClientRect(), col = columnOf(el);
    if (el === col.el || !outside(r, col) || held(el) || underReported(el)) continue;
    reported.add(el);
    found.push(`${describe(el)} spans ${Math.round(r.left)}-${Math.round(r.right)} px, column ${Math.round(col.left)}-${Math.round(Math.min(vw, col.right))} px: "${snippet(el.textContent)}"`);
  }
  for (const n of textNodes(document.body)) {
    const p = n.parentElement, col = columnOf(p);
    if (p.closest('svg') || underReported(p)) continue;
    const range = document.createRange(); range.selectNodeContents(n);
    const cell = p.closest('td,th'), c = cell && cell.getBoundingClientRect(), isHeld = held(p);
    for (const r of range.getClientRects()) {
      if (!isHeld && outside(r, col)) {
        reported.add(p);
        found.push(`text in ${describe(p)} spans ${Math.round(r.left)}-${Math.round(r.right)} px, column ${Math.round(col.left)}-${Math.round(Math.min(vw, col.right))} px: "${snippet(n.nodeValue)}"`);
        break;
      }
      // Text spilling out of its table cell runs into the next one, scroll container or not.
      if (c && r.width > 0 && (r.right > c.right + tol || r.left < c.left - tol)) {
        found.push(`text in ${describe(p)} spans ${Math.round(r.left)}-${Math.round(r.right)} px, its cell ${Math.round(c.left)}-${Math.round(c.right)} px: "${snippet(n.nodeValue)}"`);
        break;
      }
    }
  }
  // SVG text drawn outside its own <svg> box is cut off.
  for (const t of document.querySelectorAll('svg text')) {
    if (!shown(t)) continue;
    const svg = t.ownerSVGElement, r = t.getBoundingClientRect(), s = svg.getBoundingClientRect();
    if (r.width === 0) continue;
    if (r.left < s.left - tol || r.right > s.right + tol || r.top < s.top - tol || r.bottom > s.bottom + tol)
      found.push(`text in ${describe(t)} of ${describe(svg)} is drawn outside its chart (${Math.round(r.left)}-${Math.round(r.right)} px, chart ${Math.round(s.left)}-${Math.round(s.right)} px): "${snippet(t.textContent)}"`);
  }
  // In print a chart or image cannot be split: one taller than a page is cut at its foot.
  if (printMedia)
    for (const e of document.querySelectorAll('svg, img, canvas')) {
      if (e.parentElement.closest('svg') || !shown(e)) continue;
      const r = e.getBoundingClientRect();
      if (r.height > pageHeight + tol)
        found.push(`${describe(e)} is ${Math.round(r.height)} px tall, an A4 page holds ${Math.round(pageHeight)} px: "${snippet(e.getAttribute('aria-label') || e.textContent)}"`);
    }
  if (document.documentElement.scrollWidth > vw + tol)
    found.push(`the page is ${document.documentElement.scrollWidth} px wide, the window ${vw} px`);
  return found;
})
"""

CONTRAST_JS = r"""
((minimum) => {
  // elementsFromPoint skips elements that take no pointer events; paint is what counts here.
  const force = document.createElement('style');
  force.textContent = '* { pointer-events: auto !important; }';
  document.head.appendChild(force);
  const parse = (c) => {
    const m = /rgba?\(([^)]+)\)/.exec(c || '');
    if (!m) return null;
    const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, under) => { const a = top[3]; return [0, 1, 2].map(i => top[i] * a + under[i] * (1 - a)).concat([1]); };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
                       return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const hex = (c) => '#' + c.slice(0, 3).map(v => Math.round(v).toString(16).padStart(2, '0')).join('').toUpperCase();
  const opacity = (el) => { let o = 1; for (let a = el; a && a.nodeType === 1; a = a.parentElement) o *= parseFloat(getComputedStyle(a).opacity); return o; };
  // Filled shapes only: a line's stroke crossing text is not what the text is read against.
  const shapes = new Set(['rect', 'circle', 'ellipse', 'path', 'polygon']);
  // The colours an SVG paint server (a pattern or gradient) paints with.
  const paintColours = (url) => {
    const m = /url\(["']?#([^"')]+)/.exec(url), server = m && document.getElementById(m[1]);
    if (!server) return [];
    const out = [];
    for (const e of server.querySelectorAll('*')) {
      const cs = getComputedStyle(e);
      for (const v of [cs.fill, cs.stroke, cs.stopColor]) { const c = parse(v); if (c && c[3] > 0) out.push(c); }
    }
    return out;
  };
  // Candidate backgrounds at (x, y): layers from elementsFromPoint composited over white.
  const behind = (x, y, textEl) => {
    const layers = [];
    for (const e of document.elementsFromPoint(x, y)) {
      const tag = e.tagName.toLowerCase();
      if (tag === 'text' || tag === 'tspan' || tag === 'textpath') continue;
      const cs = getComputedStyle(e);
      if (e instanceof SVGElement) {
        if (!shapes.has(tag)) continue;
        const o = parseFloat(cs.fillOpacity) * opacity(e);
        if (cs.fill.startsWith('url(')) {
          const cols = paintColours(cs.fill);
          if (cols.length) { layers.push({ alts: cols.map(c => [c[0], c[1], c[2], c[3] * o]) }); if (o >= 1) break; }
          continue;
        }
        const c = parse(cs.fill);
        if (!c || c[3] === 0) continue;
        c[3] *= o;
        layers.push({ alts: [c] });
        if (c[3] >= 1) break;
      } else {
        const c = parse(cs.backgroundColor);
        if (!c || c[3] === 0) continue;
        c[3] *= opacity(e);
        layers.push({ alts: [c] });
        if (c[3] >= 1) break;
      }
    }
    // Every combination of alternatives, bottom layer first, over the white canvas.
    let bgs = [[255, 255, 255, 1]];
    for (let i = layers.length - 1; i >= 0; i--) {
      const next = [];
      for (const b of bgs) for (const a of layers[i].alts) next.push(over(a, b));
      bgs = next.slice(0, 16);
    }
    return bgs;
  };
  const found = [], seen = new Set();
  const check = (el, text, rects) => {
    const cs = getComputedStyle(el);
    if (cs.visibility !== 'visible') return;
    const isSvg = el instanceof SVGElement;
    let fg = parse(isSvg ? cs.fill : cs.color);
    if (!fg) return;
    fg[3] *= (isSvg ? parseFloat(cs.fillOpacity) : 1) * opacity(el);
    let worst = null;
    for (const r of rects) {
      if (r.width < 1 || r.height < 1) continue;
      const y = r.top + r.height / 2;
      for (const x of [r.left + r.width / 4, r.left + r.width / 2, r.left + 3 * r.width / 4]) {
        for (const bg of behind(x, y, el)) {
          const q = ratio(over(fg, bg), bg);
          if (!worst || q < worst.q) worst = { q, fg: over(fg, bg), bg };
        }
      }
    }
    if (worst && worst.q < minimum) {
      const key = describe(el) + '|' + hex(worst.fg) + '|' + hex(worst.bg) + '|' + snippet(text);
      if (seen.has(key)) return;
      seen.add(key);
      found.push(`${worst.q.toFixed(2)}:1 ${hex(worst.fg)} on ${hex(worst.bg)} in ${describe(el)}: "${snippet(text)}"`);
    }
  };
  for (const n of textNodes(document.body)) {
    const p = n.parentElement;
    if (p instanceof SVGElement) {
      const t = p.closest('text') || p;
      check(p, n.nodeValue, [t.getBoundingClientRect()]);
    } else {
      const range = document.createRange(); range.selectNodeContents(n);
      check(p, n.nodeValue, Array.from(range.getClientRects()));
    }
  }
  force.remove();
  return found;
})
"""

OVERLAP_JS = r"""
(() => {
  const tol = 1, found = [];
  for (const svg of document.querySelectorAll('svg')) {
    if (svg.parentElement.closest('svg') || !shown(svg)) continue;
    const boxes = [];
    for (const t of svg.querySelectorAll('text')) {
      if (!t.textContent.trim() || !shown(t)) continue;
      const b = t.getBoundingClientRect();
      if (b.width < 1 || b.height < 1) continue;
      // Inset across the line: rotated text (a quarter turn) runs up the page.
      const m = t.getScreenCTM(), scale = Math.hypot(m.a, m.b), rotated = Math.abs(m.b) > Math.abs(m.a);
      const inset = 0.18 * parseFloat(getComputedStyle(t).fontSize) * scale;
      const r = rotated ? { left: b.left + inset, right: b.right - inset, top: b.top, bottom: b.bottom }
                        : { left: b.left, right: b.right, top: b.top + inset, bottom: b.bottom - inset };
      boxes.push({ t, r });
    }
    for (let i = 0; i < boxes.length; i++)
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i].r, b = boxes[j].r;
        const w = Math.min(a.right, b.right) - Math.max(a.left, b.left), h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (w > tol && h > tol)
          found.push(`text in ${describe(boxes[i].t)} of ${describe(svg)} runs into text ${Math.round(w)} x ${Math.round(h)} px (at ${Math.round(Math.max(a.left, b.left))}, ${Math.round(Math.max(a.top, b.top))}): "${snippet(boxes[i].t.textContent)}" and "${snippet(boxes[j].t.textContent)}"`);
      }
  }
  return found;
})
"""

SUMMARY_JS = r"""
((pageHeight) => {
  const s = document.getElementById('summary');
  if (!s) return ['there is no element #summary (the page 1 summary)'];
  const top = s.getBoundingClientRect().top + window.scrollY, bottom = s.getBoundingClientRect().bottom + window.scrollY;
  if (bottom > pageHeight + 1)
    return [`#summary runs ${Math.round(top)}-${Math.round(bottom)} px from the top of the print; page 1 holds ${Math.round(pageHeight)} px`];
  for (const e of [s, ...s.querySelectorAll('*')]) {
    const cs = getComputedStyle(e);
    if ((cs.breakBefore === 'page' && e !== s) || cs.breakAfter === 'page' && e !== s)
      return [`#summary forces a page break at ${e.tagName.toLowerCase()}`];
  }
  return [];
})
"""

SECTIONS_JS = r"""
(() => Array.from(document.querySelectorAll('section[id]')).map(s => {
  const r = s.getBoundingClientRect();
  return { id: s.id, x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height };
}))
"""


# --- Chromium over the DevTools pipe ---

class Browser:
    """One headless Chromium, spoken to over --remote-debugging-pipe."""

    def __init__(self):
        exe = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
        if not exe:
            raise CheckError("no chromium on PATH (Debian: apt-get install chromium fonts-dejavu-core poppler-utils)")
        self.profile = tempfile.mkdtemp(prefix="sprx-check-report-")
        to_browser_r, self.to_browser = os.pipe()
        self.from_browser, from_browser_w = os.pipe()

        def place_fds():
            # The child reads commands on fd 3 and writes replies on fd 4.
            r = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
            w = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
            os.dup2(r, 3)
            os.dup2(w, 4)

        self.process = subprocess.Popen(
            [exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
             "--hide-scrollbars", "--force-device-scale-factor=1", "--font-render-hinting=none",
             "--no-first-run", "--no-default-browser-check", "--disable-extensions",
             "--disable-background-networking", "--mute-audio", f"--user-data-dir={self.profile}",
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=place_fds, pass_fds=(3, 4))
        os.close(to_browser_r)
        os.close(from_browser_w)
        self.buffer = b""
        self.next_id = 0
        self.session = None

    def send(self, method, params=None, session=True):
        """Sends one command and waits for its reply (events met meanwhile are dropped)."""
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise CheckError(f"{method}: {reply['error'].get('message')}")
                return reply.get("result", {})

    def wait_event(self, name):
        while True:
            message = self._read()
            if message.get("method") == name:
                return message

    def _read(self):
        while b"\0" not in self.buffer:
            ready, _, _ = select.select([self.from_browser], [], [], ANSWER_TIMEOUT)
            if not ready:
                raise CheckError(f"chromium gave no answer within {ANSWER_TIMEOUT} s")
            chunk = os.read(self.from_browser, 1 << 20)
            if not chunk:
                raise CheckError("chromium closed its DevTools pipe (did it start? try: chromium --headless=new --no-sandbox about:blank)")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def open_page(self):
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True}, session=False)["sessionId"]
        self.send("Page.enable")
        self.send("Runtime.enable")

    def load(self, path):
        self.send("Emulation.setEmulatedMedia", {"media": "screen"})
        self.viewport(SCREEN_WIDTH, 800)
        self.send("Page.navigate", {"url": pathlib.Path(path).resolve().as_uri()})
        self.wait_event("Page.loadEventFired")
        self.evaluate("document.fonts.ready.then(() => true)")

    def viewport(self, width, height):
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": int(round(width)), "height": int(round(height)), "deviceScaleFactor": 1, "mobile": False})

    def run(self, function, *arguments):
        """Calls an in-page check `function` (with the page helpers in scope) on JSON arguments."""
        args = ", ".join(json.dumps(a) for a in arguments)
        return self.evaluate(f"(() => {{ {PAGE_HELPERS}\n return ({function.strip()})({args}); }})()")

    def evaluate(self, expression):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise CheckError(f"in-page check failed: {details.get('exception', {}).get('description') or details.get('text')}")
        return result["result"].get("value")

    def close(self):
        try:
            self.send("Browser.close", session=False)
        except (CheckError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self.to_browser, self.from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        self.open_page()
        return self

    def __exit__(self, *exc):
        self.close()


def page_count(pdf):
    """The number of pages of `pdf`, from poppler's pdfinfo."""
    if not shutil.which("pdfinfo"):
        raise CheckError("no pdfinfo on PATH (Debian: apt-get install poppler-utils)")
    info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True, check=True).stdout
    match = re.search(r"^Pages:\s+(\d+)", info, re.M)
    if not match:
        raise CheckError(f"pdfinfo gave no page count for {pdf}")
    return int(match.group(1))


def check(browser, report, pdf_path, max_pages=MAX_PAGES, screenshots=None):
    """Every violation of `report` as (rule, text); writes the PDF to `pdf_path`."""
    violations = []
    browser.load(report)

    # Screen, 1024 px: the viewport as tall as the page, so that every point can be hit-tested
    # and every section drawn. Screenshots first, as a reader first sees the page.
    def fit_height(width, least):
        browser.viewport(width, least)
        browser.viewport(width, max(browser.evaluate("document.documentElement.scrollHeight"), least))

    fit_height(SCREEN_WIDTH, 800)
    shots = {}
    if screenshots is not None:
        for s in browser.run(SECTIONS_JS):
            if s["width"] < 1 or s["height"] < 1:
                continue
            h = min(s["height"], SECTION_SHOT_MAX_HEIGHT)
            clip = {"x": 0, "y": s["y"], "width": SCREEN_WIDTH, "height": h, "scale": 1}
            data = browser.send("Page.captureScreenshot", {"format": "png", "clip": clip, "captureBeyondViewport": True})["data"]
            name = "report-section-" + re.sub(r"[^A-Za-z0-9_-]", "-", s["id"]) + ".png"
            shots[name] = (base64.b64decode(data), s["height"] > SECTION_SHOT_MAX_HEIGHT)
    # A reader may open any <details>, so on screen everything in them is checked too.
    browser.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    fit_height(SCREEN_WIDTH, 800)
    violations += [("overflow-screen", v) for v in browser.run(OVERFLOW_JS, False, PRINT_HEIGHT_PX)]
    violations += [("contrast", v) for v in browser.run(CONTRAST_JS, MIN_CONTRAST)]
    violations += [("overlap", v) for v in browser.run(OVERLAP_JS)]

    # Print, A4 less the margins, the page as written (its print rules decide what shows).
    browser.load(report)
    browser.send("Emulation.setEmulatedMedia", {"media": "print"})
    fit_height(PRINT_WIDTH_PX, PRINT_HEIGHT_PX)
    violations += [("overflow-print", v) for v in browser.run(OVERFLOW_JS, True, PRINT_HEIGHT_PX)]
    violations += [("overlap", v) for v in browser.run(OVERLAP_JS) if ("overlap", v) not in violations]
    violations += [("summary", v) for v in browser.run(SUMMARY_JS, PRINT_HEIGHT_PX)]

    browser.send("Emulation.clearDeviceMetricsOverride")
    pdf = browser.send("Page.printToPDF", {
        "paperWidth": PAPER_WIDTH_IN, "paperHeight": PAPER_HEIGHT_IN,
        "marginTop": MARGIN_IN, "marginBottom": MARGIN_IN, "marginLeft": MARGIN_IN, "marginRight": MARGIN_IN,
        "printBackground": True, "preferCSSPageSize": False})["data"]
    with open(pdf_path, "wb") as f:
        f.write(base64.b64decode(pdf))
    pages = page_count(pdf_path)
    if pages > max_pages:
        violations.append(("pages", f"the A4 print has {pages} pages; at most {max_pages}"))

    if screenshots is not None:
        write_screenshots(screenshots, pdf_path, shots)
    return violations, pages


def write_screenshots(docs, pdf_path, shots):
    """Writes page 1 and the section shots to `docs` and deletes every other report-*.png."""
    os.makedirs(docs, exist_ok=True)
    if not shutil.which("pdftoppm"):
        raise CheckError("no pdftoppm on PATH (Debian: apt-get install poppler-utils)")
    stem = os.path.join(docs, "report-page1")
    subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-scale-to-x", str(SCREEN_WIDTH), "-scale-to-y", "-1",
                    "-png", "-singlefile", pdf_path, stem], check=True)
    written = {"report-page1.png"}
    for name, (png, cut) in sorted(shots.items()):
        with open(os.path.join(docs, name), "wb") as f:
            f.write(png)
        written.add(name)
        if cut:
            print(f"note: {name} shows the first {SECTION_SHOT_MAX_HEIGHT} px of its section")
    for old in sorted(pathlib.Path(docs).glob("report-*.png")):
        if old.name not in written:
            old.unlink()
            print(f"deleted {old} (the report no longer makes it)")
    print(f"wrote {len(written)} screenshots to {docs}/ (report-page1.png and {len(written) - 1} sections)")


def main(argv=None):
    parser = argparse.ArgumentParser(description="Check a report as rendered in headless Chromium.")
    parser.add_argument("report")
    parser.add_argument("--pdf", help="where to write the A4 PDF (default: beside the report)")
    parser.add_argument("--screenshots", metavar="DOCSDIR", help="write report-*.png here")
    parser.add_argument("--max-pages", type=int, default=MAX_PAGES)
    args = parser.parse_args(argv)
    try:
        if not os.path.isfile(args.report):
            raise CheckError(f"no such file: {args.report}")
        pdf = args.pdf or os.path.splitext(args.report)[0] + ".pdf"
        with Browser() as browser:
            violations, pages = check(browser, args.report, pdf, args.max_pages, args.screenshots)
    except CheckError as error:
        print(f"check-report: cannot check {args.report}: {error}", file=sys.stderr)
        return 2
    for rule, text in violations:
        print(f"FAIL {rule}: {text}")
    counts = {rule: sum(1 for r, _ in violations if r == rule) for rule in RULES}
    summary = ", ".join(f"{rule} {counts[rule]}" for rule in RULES)
    verdict = "FAILED" if violations else "passed"
    print(f"check-report {verdict}: {args.report} ({pages} A4 pages in {pdf}; violations: {summary})")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
