import sys

# The CLI raises the limit for deep (but bounded) YAML; do it once up front so hypothesis does not
# warn that the limit changed under it.
sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
