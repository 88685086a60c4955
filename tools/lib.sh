# Shared by tools/demo and tools/run-tests: install what is missing, build.
# shellcheck shell=bash

KL_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Debian 12 packages: to build, to run the daemons, and to test them.
KL_BUILD_PACKAGES=(
  meson ninja-build pkg-config gcc libc6-dev
  libglib2.0-dev libglib2.0-bin libsofia-sip-ua-dev libgnutls28-dev nettle-dev
  libdbus-1-dev # only its dbus-1.pc: where bus policy and activation files go
)
KL_RUN_PACKAGES=(dbus-daemon dbus-bin systemd util-linux)
# a real registrar, certificates and tools for the demo and the end-to-end tests;
# dnsmasq-base is the name server of the DNS tests: the bare executable, with no
# service that starts at install (that is the package dnsmasq)
KL_SERVER_PACKAGES=(
  kamailio kamailio-outbound-modules kamailio-tls-modules kamailio-presence-modules
  gnutls-bin python3 iproute2 dnsmasq-base
)
# baresip is the far-end phone of the call tests (with --no-install-recommends
# only baresip-core, no GUI), sip-tester is sipp for the peers a phone cannot play,
# openssl's s_server the TLS server of test-e2e-tls (gnutls-serv binds every address),
# man-db and groff-base render the man pages in a test, tmux holds uid --tty's screen
KL_TEST_PACKAGES=(clang libclang-rt-14-dev nftables baresip sip-tester openssl man-db groff-base tmux
  "${KL_SERVER_PACKAGES[@]}")

kl_say() {
  printf '\n=== %s\n' "$*"
}

# Installs, with apt-get, those of the given packages that are not installed.
kl_install_missing() {
  local missing=() pkg
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  kl_say "installing ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; return 1; }
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
}

# kl_build DIR [-Doption=value…]: configures DIR (or applies the options to
# an existing DIR), then compiles it.
kl_build() {
  local dir=$KL_TOP/$1
  shift
  if [ -f "$dir/build.ninja" ]; then
    meson configure "$dir" "$@"
  else
    meson setup "$dir" "$KL_TOP" "$@"
  fi
  meson compile -C "$dir"
}

# The private system bus of the demo and the tests: Debian's default system
# policy plus keepline's own policy files.
# kl_bus_config DIR EXTRA_POLICY > bus.conf
kl_bus_config() {
  sed -e "s|@BUS_DIR@|$1|" -e "s|@POLICY_DIR@|$KL_TOP/systemd/dbus-policy|" \
      -e "s|@EXTRA_POLICY@|$2|" "$KL_TOP/tests/data/system-bus.conf.in"
}
