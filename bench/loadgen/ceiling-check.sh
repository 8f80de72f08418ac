#!/bin/sh
# Runs loadgen against ceiling in two network namespaces joined by a veth pair (server side
# 198.18.0.1/24, relay side 198.18.0.10/24) and prints one JSON line per run, with the ceiling's
# statistics under "ceiling". The namespaces are deleted on exit, also after a failure.
#
# usage (as root): bench/loadgen/ceiling-check.sh [SECONDS] [RUNS] [RATE...]
#   SECONDS is a whole number. Defaults: 5 s, 1 run, rates 10000 50000 100000.
set -eu

seconds=${1:-5}
runs=${2:-1}
if [ $# -gt 2 ]; then shift 2; rates=$*; else rates="10000 50000 100000"; fi

bench_dir=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
work=$(mktemp -d /tmp/nestor-ceiling-check.XXXXXX)
tag="ncc$$"
server_ns="$tag-s"
client_ns="$tag-c"

cleanup() {
  ip netns del "$server_ns" 2>/dev/null || true
  ip netns del "$client_ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

"$bench_dir/tools/build.sh" "$work" > /dev/null

ip netns add "$server_ns"
ip netns add "$client_ns"
ip link add "$tag-a" type veth peer name "$tag-b"
ip link set "$tag-a" netns "$server_ns"
ip link set "$tag-b" netns "$client_ns"
ip -n "$server_ns" link set "$tag-a" name eth0
ip -n "$client_ns" link set "$tag-b" name eth0
ip -n "$server_ns" addr add 198.18.0.1/24 dev eth0
ip -n "$client_ns" addr add 198.18.0.10/24 dev eth0
for ns in "$server_ns" "$client_ns"; do
  ip -n "$ns" link set lo up
  ip -n "$ns" link set eth0 up
done

for rate in $rates; do
  run=1
  while [ "$run" -le "$runs" ]; do
    # The ceiling's own limit is a safety net in case the kill below is never reached.
    ip netns exec "$server_ns" "$work/ceiling" --bind 198.18.0.1 --duration $((seconds * 3 + 10)) \
      --json-stats "$work/ceiling.json" > /dev/null &
    ceiling_pid=$!
    sleep 0.3
    ip netns exec "$client_ns" "$work/loadgen" --server 198.18.0.1 --giaddr 198.18.0.10 \
      --rate "$rate" --duration "$seconds" --json > "$work/loadgen.json"
    kill -TERM "$ceiling_pid"
    wait "$ceiling_pid" || true
    printf '%s,"ceiling":%s}\n' "$(sed 's/}$//' "$work/loadgen.json")" "$(cat "$work/ceiling.json")"
    run=$((run + 1))
  done
done
