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
# slots: per word of names, the series' fixed slot (a strategy's place in
# common/s2strategy.h's S2_STRATEGY_NAMES, from 1); without it, the order
if (!exists("slots")) slots = ""

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

# A strategy keeps its colour, dash type and point type in every plot: slot
# 1 exclusive, 2 rwlock, 3 rcu, 4 fastpath, 5 hypfast, 6 hwdbm, then the
# strategies a later s2strategy.h adds; s2bench gives a name it does not know
# slot 8 (grey).
# Colour-blind safe (ColorBrewer Dark2); dashes and points tell the lines
# apart without colour as well.
array colours[8] = ['#d95f02', '#1b9e77', '#7570b3', '#e7298a', '#66a61e', '#e6ab02', '#a6761d', '#666666']
slot(i) = (words(slots) >= i ? int(word(slots, i)) : i)
colour(i) = colours[(slot(i) - 1) % 8 + 1]
# gnuplot has five dash types of its own: a sixth (long and short dashes) for hwdbm
set dashtype 6 (14,4,4,4)
dash(i) = (slot(i) - 1) % 6 + 1
point(i) = int(word("7 5 9 11 13 15 4 6", (slot(i) - 1) % 8 + 1))
