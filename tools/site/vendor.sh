#!/usr/bin/env bash
# Fetch the vendored front-end files of api/static/vendor/ again, at the pinned versions, from the
# npm registry (npm pack: the package tarball as published, with its licence). See its README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
SWAGGER_UI=5.35.0
REDOC=2.5.4
WORLD_ATLAS=2.0.2
vendor=api/static/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack -q "swagger-ui-dist@$SWAGGER_UI" "redoc@$REDOC" "world-atlas@$WORLD_ATLAS" >/dev/null)
mkdir -p "$work/sw" "$work/rd" "$work/wa" "$vendor/swagger-ui" "$vendor/redoc" "$vendor/world-atlas"
tar xzf "$work/swagger-ui-dist-$SWAGGER_UI.tgz" -C "$work/sw"
tar xzf "$work/redoc-$REDOC.tgz" -C "$work/rd"
tar xzf "$work/world-atlas-$WORLD_ATLAS.tgz" -C "$work/wa"
s=$work/sw/package r=$work/rd/package
cp "$s/swagger-ui-bundle.js" "$s/swagger-ui-bundle.js.LICENSE.txt" "$s/swagger-ui.css" "$s/LICENSE" "$s/NOTICE" \
    "$s/favicon-32x32.png" "$vendor/swagger-ui/"
cp "$r/bundles/redoc.standalone.js" "$r/bundles/redoc.standalone.js.LICENSE.txt" "$r/LICENSE" "$vendor/redoc/"
cp "$work/wa/package/countries-110m.json" "$work/wa/package/LICENSE" "$vendor/world-atlas/"
# The one change to a vendored file: Redoc's sidebar credit loads its logo from Redocly's CDN on
# every page view. Its image source becomes an empty data: URL (the image then hides itself by its
# own onError; the credit's text and link stay), so /redoc asks no other host for anything.
sed -i 's#src:"https://cdn.redoc.ly/redoc/logo-mini.svg"#src:"data:,"#' "$vendor/redoc/redoc.standalone.js"
grep -q 'cdn.redoc.ly/redoc/logo-mini' "$vendor/redoc/redoc.standalone.js" && { echo "the Redoc logo patch no longer applies" >&2; exit 1; }
echo "vendored swagger-ui-dist $SWAGGER_UI, redoc $REDOC and world-atlas $WORLD_ATLAS into $vendor"
