# Shared by every plots/*.gp script. s2bench report runs
#   gnuplot -e "plotsdir='...'; datafile='RUN/plots/ID.dat'; outbase='RUN/plots/ID'; names='a b c'; ..." plots/SCRIPT.gp
# and each script draws one figure twice, as outbase.svg (for report.html)
# and outbase.png (for mail and chat).
#
# gnuplot-nox may be built without cairo: pngcairo when this gnuplot has
# it, else the libgd png terminal, which every Debian build has.

if (!exists("ylabel")) ylabel = ""
if (!exists("xlabel")) xlabel = ""
if (!exists("logy")) logy = 0
if (!exists("logx")) logx = 0

svgterm = "set terminal svg size 900,480 font 'sans,11' background rgb 'white' noenhanced"
if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
	pngterm = "set terminal pngcairo size 900,480 font 'sans,10' background rgb 'white' noenhanced"
} else {
	pngterm = "set terminal png size 900,480 background rgb 'white' noenhanced"
}

set encoding utf8
set grid ytics lc rgb '#dddddd'
set border 3
set tics nomirror
set key outside right top
set ylabel ylabel
set xlabel xlabel
if (logy) { set logscale y }
if (logx) { set logscale x 2 }

# strategies keep their colour in every plot: exclusive, rwlock, rcu, fastpath, ...
array colours[8] = ['#d95f02', '#1b9e77', '#7570b3', '#e7298a', '#66a61e', '#e6ab02', '#a6761d', '#666666']
colour(i) = colours[(i - 1) % 8 + 1]
