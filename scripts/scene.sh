#!/usr/bin/env bash
# The two-host scene for libipsecauto's tests: network namespaces "west" and "east" joined by a
# veth pair, each with a private pluto (own rundir, NSS db, secrets and log).
#
#   scene.sh [-n NAME] [--no-clients] up|down|status
#
# Without -n: namespaces iaw and iae, state in /run/ipsecauto-scene/{west,east}.
# With -n NAME: iaw-NAME and iae-NAME, state in /run/ipsecauto-scene-NAME (scenes can coexist).
#
#   west  iaw  198.51.100.45/24 on west0   client 203.0.113.1/25 on lo
#   east  iae  198.51.100.23/24 on east0   client 203.0.113.129/25 on lo
#
# Each side's ipsec.conf is `config setup` (paths, logfile, ikev1-policy=accept) followed by
# `include .../conns.conf`; tests put their conn sections in conns.conf. scene.env in the state
# directory lists every path for shell use. SCENE_SETUP_EXTRA (lines, e.g. "plutodebug=all")
# is added to both sides' `config setup`. `up` is idempotent (a healthy scene is kept, a broken
# one rebuilt); `down` removes whatever exists, also of a half-built scene.
set -euo pipefail

name=""
clients=1
while [ $# -gt 0 ]; do
	case "$1" in
	-n | --name)
		name="$2"
		shift 2
		;;
	--no-clients)
		clients=0
		shift
		;;
	-h | --help)
		sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	up | down | status) break ;;
	*)
		echo "scene.sh: unknown argument '$1' (try --help)" >&2
		exit 2
		;;
	esac
done
[ $# -eq 1 ] || {
	echo "usage: scene.sh [-n NAME] [--no-clients] up|down|status" >&2
	exit 2
}
action="$1"
case "$name" in
"") suffix="" ;;
*[!A-Za-z0-9_-]*)
	echo "scene.sh: name '$name' may only hold letters, digits, '-' and '_'" >&2
	exit 2
	;;
*) suffix="-$name" ;;
esac

state="${IPSECAUTO_SCENE_ROOT:-/run}/ipsecauto-scene${suffix}"
declare -A ns=([west]="iaw${suffix}" [east]="iae${suffix}")
declare -A dev=([west]=west0 [east]=east0)
declare -A addr=([west]=198.51.100.45 [east]=198.51.100.23)
declare -A client=([west]=203.0.113.1/25 [east]=203.0.113.129/25)
declare -A far_clients=([west]=203.0.113.128/25 [east]=203.0.113.0/25)
sides=(west east)
setup_extra=""
while IFS= read -r line; do
	[ -n "$line" ] && setup_extra+=$'\t'"$line"$'\n'
done <<<"${SCENE_SETUP_EXTRA:-}"
# How long pluto may take to come up (it takes well under a second).
ready_timeout=15

say() { echo "scene${suffix:+ $name}: $*"; }

[ "$(id -u)" -eq 0 ] || {
	echo "scene.sh: must run as root (network namespaces, pluto)" >&2
	exit 1
}
for tool in ip ipsec; do
	command -v "$tool" >/dev/null || {
		echo "scene.sh: '$tool' not found (apt-get install iproute2 libreswan)" >&2
		exit 1
	}
done

# One scene.sh at a time per scene: concurrent up/down of the same scene would trip over each
# other. The descriptor is closed for pluto, which must not hold the lock after we exit.
lock="/run/lock/ipsecauto-scene${suffix}.lock"
exec 9>"$lock"
flock -w 60 9 || {
	echo "scene.sh: another scene.sh kept the lock for this scene for 60 s" >&2
	exit 1
}

ns_exists() { [ -e "/run/netns/$1" ]; }

pluto_pid() { # side -> pid of its live pluto, or fails
	local f="$state/$1/run/pluto.pid" pid
	[ -r "$f" ] || return 1
	read -r pid <"$f" || return 1
	[ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
	# A zombie or a recycled pid is not our pluto.
	grep -qs -- "$state/$1/run" "/proc/$pid/cmdline" || return 1
	echo "$pid"
}

pluto_ready() { # side -> pluto listens on its control socket and has finished starting
	local pid
	pid=$(pluto_pid "$1") || return 1
	awk -v p="$state/$1/run/pluto.ctl" '$4 == "00010000" && $8 == p { f = 1 } END { exit !f }' \
		"/proc/$pid/net/unix" 2>/dev/null || return 1
	grep -qs "loading secrets from" "$state/$1/pluto.log"
}

side_up() { # side -> the side is whole: namespace, link, address, pluto
	ns_exists "${ns[$1]}" &&
		ip -n "${ns[$1]}" -4 addr show dev "${dev[$1]}" 2>/dev/null | grep -q "inet ${addr[$1]}/" &&
		pluto_ready "$1"
}

stop_side() { # side: kill everything of this side, quietly
	local side="$1" pid pids=""
	pid=$(pluto_pid "$side") && pids="$pid"
	if ns_exists "${ns[$side]}"; then
		pids="$pids $(ip netns pids "${ns[$side]}" 2>/dev/null | tr '\n' ' ')"
	fi
	pids=$(echo "$pids" | xargs -n1 2>/dev/null | sort -u | xargs)
	if [ -n "$pids" ]; then
		# shellcheck disable=SC2086 # a list of pids
		kill -TERM $pids 2>/dev/null || true
		for _ in $(seq 30); do
			local left=""
			for p in $pids; do [ -d "/proc/$p" ] && ! grep -qs '^State:.*Z' "/proc/$p/status" && left="$left $p"; done
			pids="$left"
			[ -z "$pids" ] && break
			sleep 0.1
		done
		# shellcheck disable=SC2086
		[ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
	fi
	if ns_exists "${ns[$side]}"; then
		ip netns del "${ns[$side]}" 2>/dev/null || true
	fi
}

down() {
	local side
	for side in "${sides[@]}"; do stop_side "$side"; done
	rm -rf "$state"
}

write_config() { # side
	local d="$state/$1"
	mkdir -p "$d/run" "$d/nss"
	ipsec initnss --nssdir "$d/nss" >/dev/null
	cat >"$d/ipsec.conf" <<CONF
config setup
	nssdir=$d/nss
	ipsecdir=$d
	secretsfile=$d/ipsec.secrets
	logfile=$d/pluto.log
	dumpdir=$d/run
	ikev1-policy=accept
${setup_extra}
include $d/conns.conf
CONF
	: >"$d/conns.conf"
	: >"$d/ipsec.secrets"
	chmod 600 "$d/ipsec.secrets"
}

build_network() {
	local side n
	for side in "${sides[@]}"; do
		n="${ns[$side]}"
		ip netns add "$n"
		ip -n "$n" link set lo up
	done
	# Created directly inside the namespaces, so the names never meet in the host's.
	ip link add "${dev[west]}" netns "${ns[west]}" type veth peer name "${dev[east]}" netns "${ns[east]}"
	for side in "${sides[@]}"; do
		n="${ns[$side]}"
		ip -n "$n" addr add "${addr[$side]}/24" dev "${dev[$side]}"
		ip -n "$n" link set "${dev[$side]}" up
		if [ "$clients" = 1 ]; then
			ip -n "$n" addr add "${client[$side]}" dev lo
			local peer=east
			[ "$side" = east ] && peer=west
			ip -n "$n" route add "${far_clients[$side]}" via "${addr[$peer]}" dev "${dev[$side]}"
		fi
	done
}

start_pluto() { # side
	local d="$state/$1"
	ip netns exec "${ns[$1]}" ipsec pluto --config "$d/ipsec.conf" --rundir "$d/run" \
		--nssdir "$d/nss" >"$d/pluto.stderr" 2>&1 9>&-
}

wait_ready() { # side
	local i
	for i in $(seq $((ready_timeout * 20))); do
		pluto_ready "$1" && return 0
		if [ "$i" -gt 10 ] && ! pluto_pid "$1" >/dev/null; then
			break
		fi
		sleep 0.05
	done
	echo "scene.sh: pluto for $1 did not come up" >&2
	return 1
}

up_failed() { # EXIT trap while building: show why, then remove the half-built scene
	local rc=$? side
	[ "$rc" -ne 0 ] || return 0
	for side in "${sides[@]}"; do
		for f in pluto.stderr pluto.log; do
			[ -s "$state/$side/$f" ] || continue
			echo "--- $side: last lines of $f" >&2
			tail -n 20 "$state/$side/$f" >&2
		done
	done
	echo "scene.sh: up failed (status $rc); removing the half-built scene" >&2
	down
	rm -f "$lock"
	exit "$rc"
}

write_env() {
	local side S
	{
		echo "SCENE_STATE=$state"
		for side in "${sides[@]}"; do
			S=${side^^}
			echo "${S}_NS=${ns[$side]}"
			echo "${S}_ADDR=${addr[$side]}"
			echo "${S}_CLIENT=$([ "$clients" = 1 ] && echo "${client[$side]}")"
			echo "${S}_DIR=$state/$side"
			echo "${S}_CTL=$state/$side/run/pluto.ctl"
			echo "${S}_CONF=$state/$side/ipsec.conf"
			echo "${S}_CONNS=$state/$side/conns.conf"
			echo "${S}_SECRETS=$state/$side/ipsec.secrets"
			echo "${S}_NSS=$state/$side/nss"
			echo "${S}_LOG=$state/$side/pluto.log"
		done
	} >"$state/scene.env"
}

up() {
	if side_up west && side_up east; then
		say "already up ($state)"
		return 0
	fi
	down # whatever half of a scene an earlier run left
	# From here a failure tears the half-built scene down again.
	trap up_failed EXIT
	local side
	mkdir -p "$state"
	for side in "${sides[@]}"; do write_config "$side"; done
	build_network
	for side in "${sides[@]}"; do start_pluto "$side"; done
	for side in "${sides[@]}"; do wait_ready "$side"; done
	write_env
	trap - EXIT
	say "up ($state)"
}

status() {
	local side up=0 total=0 pid
	for side in "${sides[@]}"; do
		total=$((total + 1))
		local nsstate=absent plstate=stopped
		ns_exists "${ns[$side]}" && nsstate=present
		if pid=$(pluto_pid "$side"); then
			plstate="running pid $pid"
			pluto_ready "$side" || plstate="$plstate, not ready"
		fi
		side_up "$side" && up=$((up + 1))
		echo "$side: netns ${ns[$side]} $nsstate, pluto $plstate, ctl $state/$side/run/pluto.ctl"
		if [ "$nsstate" = present ]; then
			ip -n "${ns[$side]}" -4 -brief addr show | sed 's/^/  /'
		fi
	done
	if [ "$up" -eq "$total" ]; then
		say "up"
	elif [ "$up" -eq 0 ] && ! ns_exists "${ns[west]}" && ! ns_exists "${ns[east]}" && [ ! -e "$state" ]; then
		say "down"
		return 3
	else
		say "partly up"
		return 1
	fi
}

case "$action" in
up) up ;;
down)
	down
	# A scene that is gone needs no lock file (only a third concurrent run could race this).
	rm -f "$lock"
	say "down"
	;;
status) status ;;
esac
