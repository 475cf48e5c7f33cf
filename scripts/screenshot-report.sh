#!/usr/bin/env bash
# Renders DIR/report.html in headless Chromium (Debian's `chromium`) and saves DIR/report.png.
# Usage: bash scripts/screenshot-report.sh DIR [WIDTHxHEIGHT]
set -euo pipefail
dir=${1:?usage: screenshot-report.sh DIR [WIDTHxHEIGHT]}
size=${2:-1280x3200}
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "screenshot-report: chromium not found" >&2; exit 3; }
html=$(realpath "$dir/report.html")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$tmp" \
  --window-size="${size/x/,}" --screenshot="$tmp/report.png" "file://$html" >/dev/null 2>&1
mv "$tmp/report.png" "$dir/report.png"
echo "$dir/report.png"
