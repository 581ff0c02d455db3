#!/bin/sh
# SPDX-License-Identifier: MIT
# Build hv ui's front-end into BUILD/web (served from beside the hv
# binary): hv's own files from web/, and the npm packages pinned in
# web/package-lock.json (npm ci, its cache in /var/cache/hv/npm, outside
# the repository).  BUILD/npm also keeps playwright-core for tests/web.
# usage: scripts/web.sh BUILD
set -eu
b=$1
src=$(cd "$(dirname "$0")/.." && pwd)/web
mkdir -p "$b/npm" "$b/web"
if ! cmp -s "$src/package-lock.json" "$b/npm/package-lock.json" || [ ! -d "$b/npm/node_modules" ]; then
	cp "$src/package.json" "$src/package-lock.json" "$b/npm/"
	echo "  NPM ci (web/package-lock.json)"
	(cd "$b/npm" && npm ci --cache "${HV_NPM_CACHE:-/var/cache/hv/npm}" --ignore-scripts --no-audit --no-fund \
		--loglevel=error >/dev/null)
fi
nm=$b/npm/node_modules
out=$b/web.new
rm -rf "$out"
mkdir -p "$out/lib/xterm" "$out/lib/novnc"
cp "$src"/*.html "$src"/*.js "$src"/*.css "$out/"
cp "$nm/@xterm/xterm/lib/xterm.mjs" "$nm/@xterm/xterm/css/xterm.css" "$out/lib/xterm/"
cp "$nm/@xterm/addon-fit/lib/addon-fit.mjs" "$out/lib/xterm/"
cp -r "$nm/@novnc/novnc/core" "$nm/@novnc/novnc/vendor" "$out/lib/novnc/"
cp "$nm/@novnc/novnc/LICENSE.txt" "$out/lib/novnc/"
cp "$nm/@xterm/xterm/LICENSE" "$out/lib/xterm/"
rm -rf "$b/web"
mv "$out" "$b/web"
echo "  WEB $b/web"
