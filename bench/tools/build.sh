#!/bin/sh
# Compiles the benchmark's C programs (loadgen, ceiling) into the folder given as the first
# argument, by default bench/.build/ in the repository. Needs a C compiler as `cc` (or $CC).
set -eu

bench_dir=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
out_dir=${1:-"$bench_dir/.build"}
compiler=${CC:-cc}

mkdir -p "$out_dir"
"$compiler" -O2 -Wall -Wextra -o "$out_dir/loadgen" "$bench_dir/loadgen/loadgen.c" -lm
"$compiler" -O2 -Wall -Wextra -o "$out_dir/ceiling" "$bench_dir/ceiling/ceiling.c"
echo "built $out_dir/loadgen and $out_dir/ceiling"
