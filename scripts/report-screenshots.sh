#!/usr/bin/env bash
# Screenshots of the report's "Reach against the population" section (issue 17) for docs/.
#
# Usage: scripts/report-screenshots.sh OUTDIR DOCSDIR
#   OUTDIR   an sprx output folder (its report.html is read, never changed)
#   DOCSDIR  where the PNGs go (e.g. docs/)
#
# Writes DOCSDIR/report-reach-rates.png (nation table, rate chart by decile),
# report-reach-inequality.png (the sentences and index tables) and
# report-reach-representation.png (the representation chart). Each part of the section
# is cut out of report.html with the page's own <head> (its style sheet), so each
# screenshot shows that part only; headless Chromium measures the part's height
# (--dump-dom of a copy that records it) and draws it 1200 px wide at that height.
# Needs chromium (apt-get install -y chromium) and python3.
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 OUTDIR DOCSDIR" >&2
  exit 2
fi
report="$1/report.html"
docs="$2"
[ -f "$report" ] || { echo "no report.html in $1" >&2; exit 1; }
mkdir -p "$docs"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Cut the section into parts at its <h3> headings (the section holds no nested section).
python3 - "$report" "$work" <<'PY'
import sys
html = open(sys.argv[1], encoding="utf-8").read()
start = html.find('<section id="reach"')
if start < 0:
    sys.exit("report.html has no reach section")
end = html.find("</section>", start)
section = html[start:end]
head = html[: html.find("<body>")]
parts = {
    "rates": (section.find('<section id="reach"'), section.find("<h3>Inequality")),
    "inequality": (section.find("<h3>Inequality"), section.find("<h3>Representation")),
    "representation": (section.find("<h3>Representation"), section.find("<h3>Rates by age band") if "<h3>Rates by age band" in section else section.find("<h3>How these")),
}
for name, (a, b) in parts.items():
    if a < 0:
        print(f"skipped {name}: not in the section (no population, or no such part)")
        continue
    body = section[a : b if b > a else len(section)]
    if not body.startswith("<section"):
        body = '<section id="reach">' + body
    body += "</section>"
    with open(f"{sys.argv[2]}/{name}.html", "w", encoding="utf-8") as f:
        f.write(head + "<body><main>" + body + "</main></body></html>\n")
PY

for name in rates inequality representation; do
  [ -f "$work/$name.html" ] || continue
  png="$docs/report-reach-$name.png"
  # Measure: a copy whose script writes the laid-out height into the DOM.
  sed 's#</main></body>#</main><script>document.body.setAttribute("data-height", document.documentElement.scrollHeight)</script></body>#' \
    "$work/$name.html" > "$work/$name.measure.html"
  height=$(chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 --window-size=1200,800 \
    --dump-dom "file://$work/$name.measure.html" 2>/dev/null | grep -o 'data-height="[0-9]*"' | grep -o '[0-9]*' || echo 2400)
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
    --window-size=1200,"$height" --screenshot="$png" "file://$work/$name.html" >/dev/null 2>&1
  echo "wrote $png (1200 x $height)"
done
