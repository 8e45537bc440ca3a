# Clustered bars without whiskers: one cluster per row (quoted label first),
# one bar per word of `names`, one column each. `logy=1` for counts that
# span decades (a zero or NaN draws no bar).
#   datafile row: "label" v1 v2 ...
# Used for: mmu_lock wait by mode, TLBIs by kind (medians of collected runs),
# one bar per strategy in its colour (common.gp's slots).
load plotsdir.'/common.gp'
set style data histogram
set style histogram clustered gap 2
set style fill solid 0.7 border -1
set boxwidth 0.9
if (!logy) { set yrange [0:*] }
n = words(names)
# gnuplot pads histograms on the left: the clusters sit at x = 0 .. rows-1
stats datafile using 0 nooutput
set xrange [-0.6:STATS_records - 0.4]
do for [fmt in "svg png"] {
	eval (fmt eq "svg" ? svgterm : pngterm)
	set output outbase.'.'.fmt
	plot for [i=1:n] datafile using (column(i+1)):xtic(1) title word(names, i) lc rgb colour(i)
}
unset output
