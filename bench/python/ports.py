"""Python ports of three tsprof bench workloads (bench/workloads/*.ts), for kernprof and
memory_profiler to be measured on the same work, the same way."""

WORDS = ["alpha", "Beta", "gamma", "delta", "Epsilon", "zeta", "eta", "theta"]


def text(words):
    return " ".join(WORDS[(i * 7) % 8] for i in range(words))


def tight(n):
    s = 0
    for i in range(n):
        s += i
    return s


def count_words(text):
    counts = {}
    for word in text.split(" "):
        w = word.lower()
        counts[w] = counts.get(w, 0) + 1
    return counts


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)
