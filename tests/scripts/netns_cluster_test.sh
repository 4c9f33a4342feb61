#!/usr/bin/env bash
# Several hosts (issue 17, item 5): 3 troupe nodes in 3 network namespaces,
# each with its own address on a bridge, form one cluster across them,
# authenticated by a cluster secret. With SEEDS=dns (the default when the
# node knows troupe.dns-server), the nodes find each other only through a
# DNS name served by a real dnsmasq on the bridge; otherwise through the
# first node's literal address. Exit 77 (CTest: skipped) with the reason
# where namespaces cannot be made (no root, no ip, no netns support).
# Every wait is bounded; everything made is removed at the end.
#   tests/scripts/netns_cluster_test.sh TROUPE_BINARY
set -euo pipefail
troupe="$1"
skip() { echo "skipped: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root to make network namespaces"
command -v ip >/dev/null || skip "no ip command (iproute2)"
id="$$"
net="10.231.$((id % 250)).0"
prefix="${net%.0}"
br="tbr$((id % 100000))"
ns=("tns$id-1" "tns$id-2" "tns$id-3")
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do timeout 10 tail --pid="$p" -f /dev/null 2>/dev/null || kill -KILL "$p" 2>/dev/null || true; done
  for n in "${ns[@]}"; do ip netns del "$n" 2>/dev/null || true; done
  ip link del "$br" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "error: $*" >&2; for f in "$work"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -15 "$f" >&2; }; done; exit 1; }

ip link add "$br" type bridge 2>/dev/null || skip "cannot make a bridge (no CAP_NET_ADMIN?)"
ip addr add "$prefix.1/24" dev "$br"
ip link set "$br" up
for i in 0 1 2; do
  n="${ns[$i]}"
  ip netns add "$n" 2>/dev/null || skip "cannot make a network namespace"
  ip link add "v$id-$i" type veth peer name eth0 netns "$n"
  ip link set "v$id-$i" master "$br" up
  ip -n "$n" addr add "$prefix.$((10 + i))/24" dev eth0
  ip -n "$n" link set eth0 up
  ip -n "$n" link set lo up
done
echo "3 namespaces on $br: $prefix.10, $prefix.11, $prefix.12"

umask 077
od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$work/cluster.cookie"
mode="${SEEDS:-auto}"
if [ "$mode" = auto ]; then
  if "$troupe" node --help 2>/dev/null | grep -q -- "--troupe.dns-server"; then mode=dns; else mode=literal; fi
fi
dns_args=()
if [ "$mode" = dns ]; then
  command -v dnsmasq >/dev/null || skip "dnsmasq is not installed"
  dnsmasq --no-daemon --port=5353 --listen-address="$prefix.1" --bind-interfaces \
    --no-resolv --no-hosts \
    --host-record="troupe.test,$prefix.10" --host-record="troupe.test,$prefix.11" \
    --host-record="troupe.test,$prefix.12" >"$work/dnsmasq.log" 2>&1 &
  pids+=($!)
  seeds="dns:troupe.test:7000"
  dns_args=(--troupe.dns-server="$prefix.1:5353")
  echo "seeds through DNS: $seeds (dnsmasq on $prefix.1:5353)"
else
  seeds="$prefix.10:7000"
  echo "seeds: the literal address $seeds"
fi

start=$(date +%s.%N)
for i in 0 1 2; do
  args=(node --troupe.node-name="h$((i + 1))" --troupe.listen="$prefix.$((10 + i)):7000"
        --troupe.cookie-file="$work/cluster.cookie" "${dns_args[@]}")
  # In literal mode the first node founds the cluster; with DNS every node
  # gets the same name and they agree on who founds it.
  if [ "$mode" = dns ] || [ "$i" -gt 0 ]; then args+=(--troupe.seeds="$seeds"); fi
  ip netns exec "${ns[$i]}" "$troupe" "${args[@]}" >"$work/h$((i + 1)).out" 2>"$work/h$((i + 1)).log" &
  pids+=($!)
done
# From the root namespace, through the bridge: every node sees 3 up members.
for _ in $(seq 150); do # at most ~30 s (each status waits at most 2 s)
  ok=0
  for i in 0 1 2; do
    if "$troupe" status --seed "$prefix.$((10 + i)):7000" --cookie-file "$work/cluster.cookie" \
         --timeout 2 >"$work/status$i.txt" 2>>"$work/status.log" \
       && [ "$(grep -cE '^h[123] .* up ' "$work/status$i.txt")" -eq 3 ]; then
      ok=$((ok + 1))
    fi
  done
  [ "$ok" -eq 3 ] && break
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || fail "a process exited early"; done
  sleep 0.2
done
[ "$ok" -eq 3 ] || fail "the 3 nodes in 3 namespaces did not all see each other up"
end=$(date +%s.%N)
cat "$work/status0.txt"
awk -v m="$mode" -v a="$start" -v b="$end" \
  'BEGIN { printf "OK: 3 nodes in 3 network namespaces formed one cluster (%s seeds) in %.2f s\n", m, b - a }'
