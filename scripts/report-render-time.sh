#!/usr/bin/env bash
# Times how long headless Chromium takes to load and lay out a report (from the
# iframe's navigation start to its load event, after a forced layout), median of 5,
# and prints the file size. Usage: scripts/report-render-time.sh OUT/report.html
set -euo pipefail
report=$(readlink -f "$1")
harness=$(mktemp --suffix=.html)
trap 'rm -f "$harness"' EXIT
cat > "$harness" <<HTML
<!DOCTYPE html><html><body><pre id="t"></pre>
<iframe id="f" style="width:1100px;height:900px"></iframe>
<script>
const times = [];
function once() {
  const f = document.getElementById('f');
  const start = performance.now();
  f.onload = () => {
    f.contentDocument.body.getBoundingClientRect();  // force layout
    times.push(performance.now() - start);
    if (times.length < 5) { f.src = 'about:blank'; setTimeout(once, 50); }
    else { times.sort((a, b) => a - b); document.getElementById('t').textContent = 'RENDER_MS ' + times.map(t => t.toFixed(0)).join(' ') + ' median ' + times[2].toFixed(0); }
  };
  f.src = 'file://$report';
}
once();
</script></body></html>
HTML
chromium --headless --no-sandbox --disable-gpu --allow-file-access-from-files --dump-dom "file://$harness" 2>/dev/null | grep -o 'RENDER_MS [0-9][^<]*' || echo 'no timing (page did not finish)'
echo "size: $(stat -c %s "$report") bytes"
