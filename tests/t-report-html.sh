#!/usr/bin/env bash
# report.html as a reader sees it: rendered by headless Chromium (Debian's
# chromium, no network, a throwaway profile), every plot must load
# (naturalWidth > 0, counted by the page's own check script, which marks a
# plot that did not) and every table must render with the rows report.md
# has; the clock line and the summary come before the headline. Then the
# check must catch a plot that is gone. A screenshot of the
# page is kept in the run directory (report-screenshot.png).
# tier: offline (needs no kernel, no target, no /dev/kvm: tests/run --offline)
set -euo pipefail
# No target is booted here: the test runs outside tests/run as well.
: "${KDIR:=none}" "${INITRD:=none}"
. "$(dirname "$0")/lib.sh"

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || skip "no $CHROMIUM (Debian package chromium, target/deps.sh)"
CHROME_TIMEOUT=90

build_s2bench
export S2BENCH_PLOTS=$ROOT/plots
cp -r "$ROOT/tests/data/runs/base" "$OUT/base"
rc=0
"$S2B" report -q "$OUT/base" || rc=$?
[ "$rc" -le 1 ] || fail "s2bench report exited $rc"
pass "report written ($OUT/base/report.html)"

# Chromium forks a zygote, renderers and a GPU helper: it runs in its own
# session, and the whole process group is killed afterwards, however it
# ended, so nothing outlives the test.
chrome_pgid=
cleanup() {
	[ -n "$chrome_pgid" ] && kill -KILL -- "-$chrome_pgid" 2>/dev/null
	true
}
trap cleanup EXIT

# chrome OUTFILE ARGS...: headless Chromium on ARGS, stdout to OUTFILE
chrome() {
	local out=$1 profile rc=0
	shift
	profile=$(mktemp -d "$OUT/profile.XXXXXX")
	setsid timeout -k 5 "$CHROME_TIMEOUT" "$CHROMIUM" --headless --no-sandbox --disable-gpu \
		--disable-quic --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync --disable-extensions \
		--user-data-dir="$profile" --hide-scrollbars --virtual-time-budget=10000 \
		"$@" >"$out" 2>>"$OUT/chromium.log" &
	chrome_pgid=$!
	wait "$chrome_pgid" || rc=$?
	kill -KILL -- "-$chrome_pgid" 2>/dev/null || true
	chrome_pgid=
	rm -rf "$profile"
	[ "$rc" -ne 124 ] || fail "chromium did not finish in $CHROME_TIMEOUT s (see $OUT/chromium.log)"
	return "$rc"
}

# attr FILE NAME: a data-NAME attribute of the dumped <body>
attr() {
	grep -o "<body[^>]*>" "$1" | grep -o "data-$2=\"[^\"]*\"" | cut -d'"' -f2
}

html=$OUT/base/report.html
want_imgs=$(grep -o '<img ' "$html" | wc -l)
want_tables=$(grep -o '<table ' "$html" | wc -l)
# report.md's table rows: lines "| ... |" without the header and its rule
want_rows=$(awk '/^\| --- |^\| ---: /{skip=0; next} /^\| /{ if (prev ~ /^\| /) n++ } {prev=$0} END{print n}' \
	"$OUT/base/report.md")
[ "$want_imgs" -ge 7 ] || fail "report.html has $want_imgs plots, expected 7"

chrome "$OUT/dom.html" --dump-dom "file://$html" || fail "chromium --dump-dom failed (see $OUT/chromium.log)"
[ "$(attr "$OUT/dom.html" checked)" = yes ] ||
	fail "the page's check script did not run (no data-checked on <body>; $OUT/dom.html)"
total=$(attr "$OUT/dom.html" images-total)
loaded=$(attr "$OUT/dom.html" images-loaded)
tables=$(attr "$OUT/dom.html" tables)
rows=$(attr "$OUT/dom.html" table-rows)
[ "$total" -eq "$want_imgs" ] || fail "chromium saw $total images, report.html has $want_imgs"
[ "$loaded" -eq "$total" ] || fail "only $loaded of $total plots loaded"
pass "all $loaded plots loaded (naturalWidth > 0)"
[ "$tables" -eq "$want_tables" ] || fail "chromium rendered $tables tables, report.html has $want_tables"
[ "$rows" -eq "$want_rows" ] || fail "chromium rendered $rows table rows, report.md has $want_rows"
pass "$tables tables with $rows rows rendered, as many as report.md has"
grep -q 'id="headline-table"' "$OUT/dom.html" || fail "no headline table in the rendered page"
# what a reader sees first: the clock the times come from, then the summary
off() { grep -bo "$1" "$OUT/dom.html" | head -n 1 | cut -d: -f1; }
clock=$(off '<p id="clock">Clock: realtime (emulated time)\.')
summary=$(off '<h2 id="summary">Summary</h2>')
headline=$(off 'id="headline-table"')
[ -n "$clock" ] || fail "the rendered page has no clock line (<p id=\"clock\">)"
[ -n "$summary" ] || fail "the rendered page has no summary (<h2 id=\"summary\">)"
[ "$clock" -lt "$summary" ] && [ "$summary" -lt "$headline" ] ||
	fail "the page does not read clock line, summary, headline in that order"
grep -q '<li>Cells that failed, hung or died: 2 of 264 ([^)]*): 0040 hung, 0212 died\.</li>' "$OUT/dom.html" ||
	fail "the rendered summary does not list the failed cells"
grep -q '<li>Headline: no significant difference from rwlock after Holm.s correction' "$OUT/dom.html" ||
	fail "the rendered summary does not say what the headline found after Holm"
pass "rendered: the clock line, then the summary (findings after Holm, failed cells), then the headline"
# (the script's own text holds the phrase too: look for the element it makes)
grep -q 'class="noplot">This plot did not load' "$OUT/dom.html" && fail "a plot is marked as not loaded"

chrome "$OUT/screenshot.out" --window-size=1280,3000 --screenshot="$OUT/base/report-screenshot.png" \
	"file://$html" || fail "chromium --screenshot failed (see $OUT/chromium.log)"
[ "$(head -c 8 "$OUT/base/report-screenshot.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
	fail "no PNG screenshot"
[ "$(stat -c %s "$OUT/base/report-screenshot.png")" -gt 20000 ] || fail "the screenshot is nearly empty"
pass "screenshot: $OUT/base/report-screenshot.png ($(stat -c %s "$OUT/base/report-screenshot.png") bytes)"

# The check is not vacuous: a plot that is gone is counted and marked.
rm "$OUT/base/plots/tlbi.svg"
chrome "$OUT/dom-broken.html" --dump-dom "file://$html" || fail "chromium --dump-dom failed"
loaded=$(attr "$OUT/dom-broken.html" images-loaded)
[ "$loaded" -eq $((total - 1)) ] || fail "with plots/tlbi.svg gone, $loaded of $total loaded"
grep -q 'class="noplot">This plot did not load: plots/tlbi.svg' "$OUT/dom-broken.html" ||
	fail "the missing plot is not marked on the page"
pass "a missing plot is caught: $loaded of $total loaded, and the page says which"
