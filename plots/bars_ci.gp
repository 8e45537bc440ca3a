# Clustered bars with CI whiskers: one cluster per row of datafile (its
# first column, quoted, is the label), one bar per word of `names`, each
# bar from three columns: median, CI low, CI high.
#   datafile row: "label" m1 lo1 hi1 m2 lo2 hi2 ...
# Used for: dirty pass per strategy and configuration, dirty-log ioctl cost
# per pass, the CPU profiles side by side; one bar per strategy in its
# colour (common.gp's slots).
load plotsdir.'/common.gp'
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid 0.7 border -1
set boxwidth 0.9
set yrange [0:*]
set xtics rotate by -25 left
set bmargin 8
n = words(names)
# gnuplot pads histograms on the left: the clusters sit at x = 0 .. rows-1
stats datafile using 0 nooutput
set xrange [-0.6:STATS_records - 0.4]
do for [fmt in "svg png"] {
	eval (fmt eq "svg" ? svgterm : pngterm)
	set output outbase.'.'.fmt
	plot for [i=1:n] datafile using (column(3*i-1)):(column(3*i)):(column(3*i+1)):xtic(1) \
		title word(names, i) lc rgb colour(i)
}
unset output
