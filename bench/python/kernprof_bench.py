"""kernprof's overhead on Python ports of three tsprof workloads, measured the way tsprof's are:
unprofiled and profiled runs alternating in one process, median of the ratios. Profiling is
applied as kernprof's @profile does it: the function's name is rebound to the wrapper, so
recursive calls go through it too."""
import json
import statistics
import sys
import time

from line_profiler import LineProfiler

SOURCES = {
    "tight": ("tight", (2_000_000 // 8,), '''
def tight(n):
    s = 0
    for i in range(n):
        s += i
    return s
'''),
    "strings": ("count_words", (None,), '''
def count_words(text):
    counts = {}
    for word in text.split(" "):
        w = word.lower()
        counts[w] = counts.get(w, 0) + 1
    return counts
'''),
    "fib": ("fib", (18,), '''
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)
'''),
}
WORDS = ["alpha", "Beta", "gamma", "delta", "Epsilon", "zeta", "eta", "theta"]
TEXT = " ".join(WORDS[(i * 7) % 8] for i in range(100_000))

pairs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
results = {}
for key, (name, args, src) in SOURCES.items():
    args = tuple(TEXT if a is None else a for a in args)
    plain, prof = {}, {}
    exec(src, plain)
    exec(src, prof)
    prof[name] = LineProfiler()(prof[name])
    ratios = []
    for _ in range(pairs):
        t0 = time.perf_counter()
        plain[name](*args)
        t1 = time.perf_counter()
        prof[name](*args)
        t2 = time.perf_counter()
        ratios.append((t2 - t1) / (t1 - t0))
    results[key] = statistics.median(ratios)
json.dump(results, sys.stdout)
