# One line with CI whiskers per word of `names`; datafile has one block per
# name (blocks separated by two blank lines), rows: x median CI-low CI-high.
# Lines differ in colour, dash type and point type (common.gp's slots);
# the series sit a little apart on x so that their whiskers do not cover
# each other.
# Used for: dirty pass time against vCPUs, per strategy; a dirty pass and
# its harvest against the share of pages written, per strategy.
load plotsdir.'/common.gp'
set yrange [0:*]
set offsets 0.3, 0.3, 0, 0
# xstep: the x tics' step (1: vCPUs; 10: percent)
if (!exists("xstep")) xstep = 1
set xtics xstep
n = words(names)
stats datafile using 1 nooutput
dx = (STATS_max > STATS_min ? STATS_max - STATS_min : 1) * 0.015
shift(i) = (i - (n + 1) / 2.0) * dx
do for [fmt in "svg png"] {
	eval (fmt eq "svg" ? svgterm : pngterm)
	set output outbase.'.'.fmt
	plot for [i=1:n] datafile index (i-1) using ($1 + shift(i)):2:3:4 title word(names, i) \
		with yerrorlines lw 2 dt dash(i) pt point(i) ps 0.9 lc rgb colour(i)
}
unset output
