#!/usr/bin/env bash
# Renders a report in headless Chromium (Debian's `chromium`) and saves it as PNG beside it:
# DIR/report.html -> DIR/report.png, or any FILE.html (e.g. a sweep's sweep.html) -> FILE.png.
# Usage: bash scripts/screenshot-report.sh DIR|FILE.html [WIDTHxHEIGHT]
set -euo pipefail
target=${1:?usage: screenshot-report.sh DIR|FILE.html [WIDTHxHEIGHT]}
size=${2:-1280x3200}
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "screenshot-report: chromium not found" >&2; exit 3; }
if [ -d "$target" ]; then html="$target/report.html"; else html="$target"; fi
[ -f "$html" ] || { echo "screenshot-report: $html: no such file" >&2; exit 2; }
html=$(realpath "$html")
png="${html%.html}.png"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$tmp" \
  --disable-quic --no-first-run --disable-background-networking --disable-component-update \
  --disable-sync --window-size="${size/x/,}" --screenshot="$tmp/shot.png" "file://$html" \
  >/dev/null 2>&1
mv "$tmp/shot.png" "$png"
echo "$png"
