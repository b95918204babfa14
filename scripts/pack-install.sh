#!/usr/bin/env bash
# The package as a user gets it: npm pack, then a global install of the tarball into a temporary prefix
# (a fresh machine's view: no node_modules, no dist of this checkout), then `xaccount --version`,
# `patch --dry-run` on a fixture and `run --list` from there. Prints the install's time and size, and
# whether tree-sitter loaded a prebuilt binary or was compiled from source (see README "Install").
# Slow (a full dependency install, and a compile where the prebuild does not load): not part of npm test.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$root"
npm run build --silent
tarball="$(npm pack --silent --ignore-scripts --pack-destination "$work" | tail -1)"
echo "packed $tarball ($(du -h "$work/$tarball" | cut -f1))"
start=$(date +%s.%N)
npm install -g --no-audit --no-fund --prefix "$work/prefix" --cache "$work/npm-cache" "$work/$tarball" >"$work/install.log" 2>&1 || { cat "$work/install.log"; exit 1; }
end=$(date +%s.%N)
mods="$work/prefix/lib/node_modules/xaccount/node_modules"
printf 'global install: %.1f s, %s on disk\n' "$(echo "$end - $start" | bc)" "$(du -sh "$work/prefix" | cut -f1)"
for m in tree-sitter tree-sitter-python; do
  loaded="$(cd "$mods/.." && node -e "console.log(require('node-gyp-build').path(require('path').resolve('node_modules/$m')))" 2>/dev/null || echo '?')"
  case "$loaded" in
    */prebuilds/*) echo "$m: prebuilt binary ($loaded)";;
    *) echo "$m: compiled from source ($loaded)";;
  esac
done
bin="$work/prefix/bin/xaccount"
"$bin" --version
cp -r "$root/fixtures/smoke-ecs" "$work/server"
"$bin" patch ecs "$work/server" --dry-run | head -3
XDG_CACHE_HOME="$work/xdg" "$bin" run --list
