# One line with CI whiskers per word of `names`; datafile has one block per
# name (blocks separated by two blank lines), rows: x median CI-low CI-high.
# Used for: dirty pass time against vCPUs, per strategy.
load plotsdir.'/common.gp'
set yrange [0:*]
set offsets 0.3, 0.3, 0, 0
set xtics 1
n = words(names)
do for [fmt in "svg png"] {
	eval (fmt eq "svg" ? svgterm : pngterm)
	set output outbase.'.'.fmt
	plot for [i=1:n] datafile index (i-1) using 1:2:3:4 title word(names, i) \
		with yerrorlines lw 2 pt 7 lc rgb colour(i)
}
unset output
