# shellcheck shell=bash
# The Debian mirror this machine's apt uses for bookworm (deb822 sources first, then the one-line
# style), so that what the tests download comes from where the machine's own packages come from.
# Sourced by test/lab/prepare.sh and test/fresh-root/fresh-root.sh.
debian_mirror() {
  local m
  m=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
  [[ -n $m ]] || m=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
  printf '%s\n' "${m:-http://deb.debian.org/debian}"
}
