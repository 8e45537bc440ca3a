"""What the bench/*-report.py scripts share: their command line
(RUN_DIR [LABEL] plus flags they take themselves) and how a series of
measurements is told: mean, sample standard deviation, min-max and n."""
import os
import statistics
import sys


def spread(v):
    """(mean, sample sd, min, max, n) of a non-empty list."""
    sd = statistics.stdev(v) if len(v) > 1 else 0.0
    return statistics.mean(v), sd, min(v), max(v), len(v)


def fmt(v, scale, unit, what="", prec=1):
    """'12.3 ms sd 0.4 (11.9-12.8, n=4 passes)' for values divided by scale."""
    m, sd, lo, hi, n = spread(v)
    what = f" {what}" if what else ""
    sd = f"{sd / scale:.{prec}f}" if n > 1 else "n/a"
    return (f"{m / scale:9.{prec}f} {unit} sd {sd} "
            f"({lo / scale:.{prec}f}-{hi / scale:.{prec}f}, n={n}{what})")


def args(doc, flags=()):
    """RUN_DIR, LABEL (default: the directory's name) and the values of
    FLAGS (each '--name VALUE', None when absent); usage and exit 2 when
    the arguments are wrong."""
    argv, found = sys.argv[1:], {}
    for flag in flags:
        found[flag] = None
        if flag in argv:
            i = argv.index(flag)
            if i + 1 >= len(argv):
                print(f"{flag} needs a value\n{doc}", file=sys.stderr)
                sys.exit(2)
            found[flag] = argv[i + 1]
            del argv[i:i + 2]
    if len(argv) not in (1, 2):
        print(doc, file=sys.stderr)
        sys.exit(2)
    run = argv[0]
    label = argv[1] if len(argv) == 2 else os.path.basename(run.rstrip("/"))
    return run, label, found


def failed_runs(run, log):
    """The runs a bench/*.sh script recorded in RUN_DIR/status.txt (one line
    per run: its name fields, then its exit status) that did not succeed:
    status other than 0 or 4 (4: skipped, which the run's JSON says). A
    list of (name fields, message); log(fields) names the run's output
    file, whose last line the message quotes. Without status.txt the
    script never finished a run: that is one failure too."""
    path = os.path.join(run, "status.txt")
    try:
        lines = open(path).read().splitlines()
    except OSError:
        return [((), f"no {path}: the benchmark script did not finish a run")]
    out = []
    for line in lines:
        f = line.split()
        if not f or f[-1] in ("0", "4"):
            continue
        name = log(f[:-1])
        try:
            text = [x for x in open(os.path.join(run, name)).read().splitlines() if x.strip()]
        except OSError:
            text = []
        last = f": {text[-1].strip()}" if text else ""
        out.append((tuple(f[:-1]), f"{' '.join(f[:-1])}: exit status {f[-1]}{last} ({name})"))
    return out
