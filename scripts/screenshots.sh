#!/usr/bin/env bash
# scripts/screenshots.sh [DIR] — regenerate the screenshots of the web desks.
#
# Runs the browser journeys of cmd/beian (TestBrowser*: a real
# `beian serve --sandbox` on SQLite, driven in headless Chromium through the
# pages) with BEIAN_SCREENSHOTS set, so that each key page is saved as a PNG,
# 1280 pixels wide, under a stable name. The new set replaces the PNGs in DIR
# (default docs/screenshots/) only when every journey passed;
# docs/screenshots/README.md says what each file shows.
#
# Needs Go and a Chromium: Debian's `chromium` and `fonts-wqy-microhei`
# (apt-get install -y chromium fonts-wqy-microhei), or BEIAN_BROWSER=/path.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/screenshots}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

BEIAN_SCREENSHOTS="$tmp" CI=true go test -count=1 -timeout 10m -run '^TestBrowser' ./cmd/beian

mkdir -p "$out"
rm -f "$out"/*.png
cp "$tmp"/*.png "$out"/
echo "screenshots in $out:"
for f in "$out"/*.png; do
	kb=$(( $(wc -c <"$f") / 1024 ))
	note=""
	if [ "$kb" -gt 300 ]; then note="  (over 300 KB)"; fi
	printf '  %-36s %4d KB%s\n' "$(basename "$f")" "$kb" "$note"
done
