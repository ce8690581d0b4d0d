#!/usr/bin/env bash
# Screenshots of the report's "Trends over time" and "Organisations compared" sections
# (issue 18) for docs/.
#
# Usage: scripts/report-time-place-screenshots.sh REPORT_HTML DOCSDIR
#   REPORT_HTML  an sprx output folder's report.html (read, never changed)
#   DOCSDIR      where the PNGs go (e.g. docs/)
#
# Writes DOCSDIR/report-trends.png (the lead sentences, referrals and the non-medical
# share by nation), report-trends-routes.png (contact and intervention by route type),
# report-funnels.png (the organisation funnel plots, without the parent ones) and
# report-provision.png (link worker provision per PCN). Each part is cut out of the page
# with its own <head> (its style sheet), measured by headless Chromium (--dump-dom of a
# copy that records its height) and drawn 1200 px wide at that height, as
# scripts/report-screenshots.sh does for the reach section.
# Needs chromium (apt-get install -y chromium) and python3.
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 REPORT_HTML DOCSDIR" >&2
  exit 2
fi
report="$1"
docs="$2"
[ -f "$report" ] || { echo "no file $report" >&2; exit 1; }
mkdir -p "$docs"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$report" "$work" <<'PY'
import sys
html = open(sys.argv[1], encoding="utf-8").read()
head = html[: html.find("<body>")]

def section(name):
    start = html.find(f'<section id="{name}"')
    return html[start : html.find("</section>", start)] if start >= 0 else ""

def cut(text, begin, end):
    a = text.find(begin) if begin else 0
    if a < 0:
        return ""
    b = text.find(end, a + 1) if end else -1
    return text[a : b if b > a else len(text)]

trends, place = section("trends"), section("organisations")
parts = {
    "trends": cut(trends, None, "<h3>From referral to help"),
    "trends-routes": cut(trends, "<h3>From referral to help", "<h3>How these"),
    "funnels": cut(place, None, "<p>The same, with the organisations of each parent") or cut(place, None, "<h3>How these"),
    "provision": cut(place, "<h3>Link worker provision", None),
}
for name, body in parts.items():
    if not body:
        print(f"skipped {name}: not in the report")
        continue
    if not body.startswith("<section"):
        body = '<section>' + body
    with open(f"{sys.argv[2]}/{name}.html", "w", encoding="utf-8") as f:
        f.write(head + "<body><main>" + body + "</section></main></body></html>\n")
PY

for name in trends trends-routes funnels provision; do
  [ -f "$work/$name.html" ] || continue
  png="$docs/report-$name.png"
  sed 's#</main></body>#</main><script>document.body.setAttribute("data-height", document.documentElement.scrollHeight)</script></body>#' \
    "$work/$name.html" > "$work/$name.measure.html"
  height=$(chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 --window-size=1200,800 \
    --dump-dom "file://$work/$name.measure.html" 2>/dev/null | grep -o 'data-height="[0-9]*"' | grep -o '[0-9]*' || echo 2400)
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
    --window-size=1200,"$height" --screenshot="$png" "file://$work/$name.html" >/dev/null 2>&1
  echo "wrote $png (1200 x $height)"
done
