#!/usr/bin/env bash
# Installs, from Debian's archive, every package vigie's build, tests and
# benchmarks need, and only those not yet installed. Idempotent and quick when
# nothing is missing (one dpkg-query, no apt-get call).
#
#   scripts/install-deps.sh            build + test packages
#   scripts/install-deps.sh --bench    also the benchmark peers
set -euo pipefail

build=(
  build-essential g++ cmake ninja-build ccache pkg-config
  libboost1.81-dev libssl-dev libyaml-cpp-dev nlohmann-json3-dev
  libspdlog-dev libfmt-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libprotobuf-dev protobuf-compiler libldns-dev libidn2-dev libre2-dev libnftables-dev
  clang clang-format clang-tidy libclang-rt-14-dev
)
# Real peers and clients the tests start on loopback or in test namespaces.
test_peers=(
  curl openssl prometheus iproute2 nftables procps python3 python3-pytest systemd
  bind9-dnsutils knot-dnsutils nsd unbound dnsmasq-base
  haproxy hatop prometheus-haproxy-exporter socat nginx-light squid
  riemann-c-client collectd-core graphite-carbon python3-whisper
)
bench_peers=(wrk dnsperf tinyproxy apache2-utils)

want=("${build[@]}" "${test_peers[@]}")
if [[ "${1:-}" == "--bench" ]]; then want+=("${bench_peers[@]}"); fi

missing=()
while read -r name status; do
  [[ "$status" == "installed" ]] || missing+=("$name")
done < <(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${want[@]}" 2>/dev/null || true)
# dpkg-query prints nothing for packages it has never heard of.
for p in "${want[@]}"; do
  dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
done
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u | sed '/^$/d')

if (( ${#missing[@]} == 0 )); then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if (( EUID != 0 )); then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# Keep package maintainer scripts from starting system services (squid,
# nginx, unbound, haproxy...): tests start their own on private ports.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e "$policy" ]]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod +x "$policy"
  created_policy=1
fi
cleanup() { if (( created_policy )); then $SUDO rm -f "$policy"; fi; }
trap cleanup EXIT
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
