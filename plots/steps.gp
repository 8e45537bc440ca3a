# A distribution per word of `names` from log2 histograms: datafile has one
# block per name, rows: bucket upper bound, share (%). Drawn as steps on a
# log2 x axis (`logx=1`), the lines apart by colour and dash type.
# Used for: write-protection fault latency per strategy (collector histograms).
load plotsdir.'/common.gp'
set yrange [0:*]
n = words(names)
do for [fmt in "svg png"] {
	eval (fmt eq "svg" ? svgterm : pngterm)
	set output outbase.'.'.fmt
	plot for [i=1:n] datafile index (i-1) using 1:2 title word(names, i) \
		with histeps lw 2 dt dash(i) lc rgb colour(i)
}
unset output
