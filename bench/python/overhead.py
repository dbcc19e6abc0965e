"""Overhead of a Python line profiler on the ports: `python3 overhead.py kernprof|memory_profiler PAIRS`.

Unprofiled and profiled runs alternate in one process; the result is the median ratio per
workload, as JSON. Profiling is applied as `@profile` does: the module's name for the function
is rebound to the wrapper, so recursive calls go through it too."""
import importlib.util
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def load(tag):
    spec = importlib.util.spec_from_file_location("ports_" + tag, os.path.join(HERE, "ports.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def profiler(tool):
    if tool == "kernprof":
        from line_profiler import LineProfiler
        return LineProfiler()
    from memory_profiler import LineProfiler
    return LineProfiler(backend="psutil")


tool, pairs = sys.argv[1], int(sys.argv[2])
# memory_profiler is 1,000-2,000x slower: smaller inputs keep its runs to about a second.
small = tool == "memory_profiler"
work = {
    "tight": ("tight", (10_000 if small else 250_000,)),
    "strings": ("count_words", (None,)),
    "fib": ("fib", (12 if small else 18,)),
    "alloc": ("centroid", (2_000 if small else 200_000,)),
    "classes": ("walk", (500 if small else 50_000,)),
}
results = {}
for key, (name, args) in work.items():
    plain, prof = load("plain"), load("prof")
    args = tuple(plain.text(5_000 if small else 100_000) if a is None else a for a in args)
    p = profiler(tool)
    setattr(prof, name, p(getattr(prof, name)))
    if key == "classes":
        # @profile on the class: every method and the getter, as the TypeScript workload has it.
        # (The class is re-created from the profiled module's source, so the plain one is untouched.)
        prof.Vec.__init__ = p(prof.Vec.__init__)
        prof.Vec.add = p(prof.Vec.add)
        prof.Vec.scale = p(prof.Vec.scale)
        prof.Vec.length = property(p(prof.Vec.length.fget))
    ratios = []
    for _ in range(pairs):
        t0 = time.perf_counter()
        getattr(plain, name)(*args)
        t1 = time.perf_counter()
        getattr(prof, name)(*args)
        t2 = time.perf_counter()
        ratios.append((t2 - t1) / (t1 - t0))
    results[key] = statistics.median(ratios)
json.dump(results, sys.stdout)
