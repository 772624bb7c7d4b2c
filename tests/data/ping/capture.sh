#!/bin/bash
# Capture the REAL iputils ping's output for every case of cases.txt.
#
# Run as root on Debian 12 (iputils-ping 3:20221126-1): `bash tests/data/ping/capture.sh`.
# It builds the centos7-bond lab's IPv4 side in scratch network namespaces (all named lkt-pg-*):
#   outside  eth0 192.168.1.10/24, default via 192.168.1.1
#   server   ens33 192.168.1.60/24
#   gw       eth0 192.168.1.1/24 (no default route, no DNS server, no forwarding)
#   switch   br0 (STP off) with one veth per host
# Each host namespace gets /etc/netns/<ns>/hosts (= ./hosts) and a resolv.conf naming 192.168.1.1
# (the lab's DNS server, which answers nothing), as `ip netns exec` bind-mounts them. For each case
# it writes <name>.stdout, <name>.stderr and <name>.rc; everything it made is removed on exit.
# Then the loss cases (view_cases.txt): outside's eth0 drops every packet during a time window
# (a blackhole root qdisc), to record ping's statistics with partial loss.
set -u
here=$(cd "$(dirname "$0")" && pwd)
P=lkt-pg
made_etc_netns=0

cleanup() {
    for h in sw outside server gw; do
        ip netns del "$P-$h" 2>/dev/null
        rm -rf "/etc/netns/$P-$h"
    done
    if [ "$made_etc_netns" = 1 ]; then rmdir /etc/netns 2>/dev/null; fi
}
trap cleanup EXIT
cleanup

set -e  # the lab must be complete before any case runs
[ -d /etc/netns ] || { mkdir /etc/netns && made_etc_netns=1; }
ip netns add "$P-sw"
ip -n "$P-sw" link add br0 type bridge stp_state 0
ip -n "$P-sw" link set br0 up
plug() {  # host, its NIC, the switch port, address, gateway
    local ns="$P-$1"
    ip netns add "$ns"
    mkdir -p "/etc/netns/$ns"
    cp "$here/hosts" "/etc/netns/$ns/hosts"
    echo "nameserver 192.168.1.1" > "/etc/netns/$ns/resolv.conf"
    ip -n "$ns" link set lo up
    ip -n "$ns" link add "$2" type veth peer name "$3" netns "$P-sw"
    ip -n "$P-sw" link set "$3" master br0 up
    ip -n "$ns" addr add "$4" dev "$2"
    ip -n "$ns" link set "$2" up
    if [ -n "$5" ]; then ip -n "$ns" route add default via "$5"; fi
}
plug outside eth0 swout 192.168.1.10/24 192.168.1.1
plug server ens33 sw33 192.168.1.60/24 192.168.1.1
plug gw eth0 swgw 192.168.1.1/24 ""
set +e
sleep 2  # let the links settle (IPv6 DAD, bridge ports forwarding)

ping -V | head -1
while IFS=$'\t' read -r name host cmd; do
    case "$name" in ''|'#'*) continue ;; esac
    echo "== $name ($host): $cmd"
    # word-split the command line as the lab shell would (no quoting is used in cases.txt)
    read -r -a argv <<< "$cmd"
    LC_ALL=C timeout 60 ip netns exec "$P-$host" "${argv[@]}" \
        > "$here/$name.stdout" 2> "$here/$name.stderr"
    echo $? > "$here/$name.rc"
    # forget the neighbours so every case starts as the sim lab does
    for h in outside server gw; do ip -n "$P-$h" neigh flush all 2>/dev/null; done
done < "$here/cases.txt"

# -- partial loss: outside's eth0 drops everything (a blackhole qdisc) for a while -------------
# The window is in seconds after ping starts; with the default 1 s interval and half a second of
# margin on each side, it swallows exactly the echo requests sent inside it.
ns="$P-outside"
while IFS=$'\t' read -r name window cmd; do
    case "$name" in ''|'#'*) continue ;; esac
    echo "== $name (drop during ${window} s): $cmd"
    from=${window%-*}; to=${window#*-}
    read -r -a argv <<< "$cmd"
    [ "$from" = 0 ] && ip netns exec "$ns" tc qdisc add dev eth0 root blackhole
    LC_ALL=C timeout 60 ip netns exec "$ns" "${argv[@]}" \
        > "$here/$name.stdout" 2> "$here/$name.stderr" &
    pid=$!
    if [ "$from" != 0 ]; then
        sleep "$from"
        ip netns exec "$ns" tc qdisc add dev eth0 root blackhole
    fi
    sleep "$(echo "$to - $from" | bc)"
    ip netns exec "$ns" tc qdisc del dev eth0 root
    wait "$pid"
    echo $? > "$here/$name.rc"
done < "$here/view_cases.txt"
