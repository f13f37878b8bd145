#!/bin/bash
# Install virt-sriov: the CLI, one bundled file per libvirt hook, the templates, the man pages,
# the bash completion, a default config and a logrotate rule. Idempotent; --uninstall puts back exactly what was there.
#
#   ./install.sh [--prefix DIR] [--config FILE] [--libvirt-version X.Y.Z] [--node PATH] [--no-build]
#   ./install.sh --uninstall [--prefix DIR]
#
# DESTDIR stages everything under another root, for packagers (npm run package). NODE names the
# node binary (default: the one on PATH); its absolute path is baked into the CLI and the hooks,
# since libvirt runs hooks with an almost empty environment. --node PATH bakes that path as it is
# (a package's /usr/bin/node); under DESTDIR it need not exist on this machine.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
prefix=/usr/local
config=/etc/virt-sriov/config.json
libvirt_version=
node_path=
build=1
watcher=0
action=install

# the comment block above, up to the first line that is not a comment
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    --libvirt-version) libvirt_version=$2; shift 2 ;;
    --node) node_path=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    --with-watcher) watcher=1; shift ;;
    --uninstall) action=uninstall; shift ;;
    -h|--help) usage 0 ;;
    *) echo "install.sh: unknown argument '$1'" >&2; usage 2 ;;
  esac
done

destdir=${DESTDIR:-}
libdir="$prefix/lib/virt-sriov"
manifest="$destdir$libdir/install-manifest"   # what we installed and what we moved aside
hooks_dir="$destdir/etc/libvirt/hooks"
marker='virt-sriov hook'                      # in every hook file we install
# the watcher's unit, where systemd looks for units of this prefix (/usr/lib/systemd/system,
# /usr/local/lib/systemd/system), and the link `systemctl enable` makes for it
unit_name=virt-sriov-watch.service
unit="$prefix/lib/systemd/system/$unit_name"
unit_wants="/etc/systemd/system/multi-user.target.wants/$unit_name"

die() { echo "install.sh: $*" >&2; exit 1; }
say() { echo "virt-sriov: $*"; }

# systemd runs this machine (not a container without it, not a chroot, not a DESTDIR staging)
systemd_runs() { [ -z "$destdir" ] && [ -d /run/systemd/system ] && command -v systemctl > /dev/null; }

uninstall() {
  [ -f "$manifest" ] || { say "not installed under $destdir$prefix (no $manifest)"; return 0; }
  if systemd_runs && systemctl is-active --quiet "$unit_name"; then
    systemctl stop "$unit_name" && say "watcher stopped ($unit_name)"
  fi
  # enabled with systemctl rather than --with-watcher: the link would point at nothing
  if [ -L "$destdir$unit_wants" ] && [ "$(readlink "$destdir$unit_wants")" = "$unit" ] && ! recorded "$unit_wants"; then
    rm -f "$destdir$unit_wants"
  fi
  local dirs_made
  dirs_made=$(awk -F'\t' -v lib="$libdir" '$1=="dir" && index(lib, $2)==1 {print $2}' "$manifest")
  # undo in reverse order: files we created are removed, files we moved aside come back
  tac "$manifest" | while IFS=$'\t' read -r kind path backup; do
    case "$kind" in
      file) rm -f "$destdir$path" ;;
      dir) rmdir "$destdir$path" 2>/dev/null || true ;;
      tree) rm -rf "$destdir$path" ;;
      moved) rm -f "$destdir$path"; mv "$destdir$backup" "$destdir$path" ;;
      mark)
        # migrations stop coming here: the hooks that receive them are going
        "$destdir$prefix/bin/virt-sriov" migrate --unmark-host -c qemu:///system > /dev/null 2>&1 \
          || say "could not take virt-sriov's mark off this host: virsh nwfilter-undefine virt-sriov" ;;
      config)
        # an admin's edits are not ours to throw away
        if [ "$(sha256sum < "$destdir$path" 2>/dev/null | cut -d' ' -f1)" = "$backup" ]; then rm -f "$destdir$path"
        else say "kept $destdir$path: it was edited since install"; fi ;;
    esac
  done
  rm -f "$manifest"
  # the directories that held the manifest, made at install: they are empty now
  tac <<<"$dirs_made" | while read -r d; do [ -n "$d" ] && rmdir "$destdir$d" 2>/dev/null || true; done
  ! systemd_runs || systemctl daemon-reload
  say "uninstalled; restart the libvirt daemon so it forgets the hooks"
}

record() { printf '%s\t%s\t%s\n' "$@" >> "$manifest"; }
recorded() { [ -f "$manifest" ] && cut -f2 "$manifest" | grep -qxF "$1"; }

# Create a directory (and its parents) and remember the ones we made.
make_dir() {
  local d=$1 missing=()
  while [ "$d" != / ] && [ ! -d "$destdir$d" ]; do missing=("$d" "${missing[@]}"); d=$(dirname "$d"); done
  for d in "${missing[@]}"; do mkdir -p "$destdir$d"; record dir "$d" -; done
}

# Install $1 (a file) at $2 with mode $3. A file of someone else's already there is moved
# aside (and put back by --uninstall); ours is replaced in place.
put() {
  local src=$1 dst=$2 mode=$3
  make_dir "$(dirname "$dst")"
  if ! recorded "$dst"; then
    if [ -e "$destdir$dst" ] || [ -L "$destdir$dst" ]; then
      # Beside a driver's one hook, ours runs the displaced one first (libvirt < 6.5). In a
      # hooks/<driver>.d/ folder libvirt runs every executable: set it aside outside it.
      local aside="$dst.before-virt-sriov"
      case "$(dirname "$dst")" in *.d) aside="$libdir/displaced/$(echo "$dst" | tr / _)"; make_dir "$libdir/displaced" ;; esac
      mv "$destdir$dst" "$destdir$aside"
      record moved "$dst" "$aside"
    else
      record file "$dst" -
    fi
  fi
  install -m "$mode" "$src" "$destdir$dst"
}

detect_libvirt() {
  local bin out
  for bin in virtqemud libvirtd virsh; do
    if out=$("$bin" --version 2>/dev/null); then
      echo "$out" | head -1 | grep -oE '[0-9]+\.[0-9]+(\.[0-9]+)?' | head -1
      return
    fi
  done
}

version_at_least() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -1)" = "$2" ]; }

install_all() {
  local node node_version version
  if [ -n "$node_path" ]; then
    case "$node_path" in /*) ;; *) die "--node $node_path: give an absolute path" ;; esac
    node=$node_path
  else
    node=$(command -v "${NODE:-node}") || die "node not found: install nodejs (Debian: apt-get install nodejs), or set NODE=/path/to/node"
    node=$(readlink -f "$node")
  fi
  if [ -x "$node" ]; then
    node_version=$("$node" -p 'process.versions.node')
    version_at_least "$node_version" 18.19 || die "node $node_version is too old: virt-sriov needs node >= 18.19"
  elif [ -n "$destdir" ]; then
    node_version="not on this machine"   # a package's Depends brings it
  else
    die "$node is not an executable node: install nodejs (Debian: apt-get install nodejs)"
  fi
  version=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$here/package.json")

  if [ "$build" = 1 ]; then
    [ -d "$here/node_modules" ] || (cd "$here" && npm ci --no-audit --no-fund) || die "npm ci failed"
    (cd "$here" && npm run --silent build) || die "build failed"
  fi
  for f in dist/virt-sriov.mjs dist/cli.cjs dist/hooks/{qemu,network,daemon}.{cjs,bash} dist/hooks/operations.cjs \
      dist/man/virt-sriov.{8,json.5} dist/completion/virt-sriov.bash dist/doc/{copyright,changelog}; do
    [ -f "$here/$f" ] || die "$f is missing: run without --no-build"
  done

  # the paths are baked into the hooks between quotes
  case "$config$libdir$node" in *[\'\|]*) die "paths with ' or | can't be baked into the hooks: $config, $libdir, $node" ;; esac

  [ -n "$libvirt_version" ] || libvirt_version=$(detect_libvirt)
  if [ -z "$libvirt_version" ]; then
    say "warning: libvirt not found; installing hooks for libvirt >= 6.5 (hooks/<driver>.d/)"
    libvirt_version=6.5.0
  fi

  # the manifest lives in $libdir: make that first, then record what it took
  local d missing=()
  d=$libdir; while [ "$d" != / ] && [ ! -d "$destdir$d" ]; do missing=("$d" "${missing[@]}"); d=$(dirname "$d"); done
  mkdir -p "$destdir$libdir"
  [ "${#missing[@]}" -gt 0 ] || missing=()
  for d in "${missing[@]}"; do recorded "$d" || record dir "$d" -; done
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT

  # the entries, with the found node as interpreter; in them and in the bundles they load, the
  # config path (and, for the hooks, where their operations are) baked in
  bake_paths() {
    sed -e "s|VIRT_SRIOV_CONFIG_PATH=/etc/virt-sriov/config.json|VIRT_SRIOV_CONFIG_PATH=$config|" \
        -e "s|VIRT_SRIOV_OPERATIONS_PATH=|VIRT_SRIOV_OPERATIONS_PATH=$libdir/hooks/operations.cjs|" \
        -e "s|VIRT_SRIOV_NODE_PATH=|VIRT_SRIOV_NODE_PATH=$node|"
  }
  bake() {
    { echo "#!$node"; echo "// $marker (virt-sriov $version)"; tail -n +2 "$1"; } | bake_paths > "$2"
  }
  # a bundle's code caches (.cache/ beside it, one per command or hook operation) are written
  # by the calls themselves: removed at --uninstall, and dropped here so a new bundle starts
  # from none
  # node's hooks keep no #! line: their entry runs them with the baked node, and a file that
  # isn't executable has no use for one
  bundle() {
    sed '1{/^#!/d}' "$1" | bake_paths > "$tmp/$(basename "$1")"
    put "$tmp/$(basename "$1")" "$2" 0644
    local caches
    caches=$(dirname "$2")/.cache
    recorded "$caches" || record tree "$caches" -
    rm -rf "$destdir$caches"
  }
  bake "$here/dist/virt-sriov.mjs" "$tmp/virt-sriov.mjs"
  put "$tmp/virt-sriov.mjs" "$libdir/bin/virt-sriov.mjs" 0755
  bundle "$here/dist/cli.cjs" "$libdir/bin/cli.cjs"
  for t in "$here"/templates/*.xml "$here"/templates/*.json; do put "$t" "$libdir/templates/$(basename "$t")" 0644; done
  # the man pages (generated from the CLI's definitions; gzipped, as Debian ships them) with
  # this install's paths, and the bash completion
  local page roff_libdir=${libdir//-/\\-} roff_config=${config//-/\\-}
  for page in virt-sriov.8 virt-sriov.json.5; do
    sed -e "s|/usr/lib/virt\\\\-sriov|${roff_libdir//\\/\\\\}|g" \
        -e "s|/etc/virt\\\\-sriov/config.json|${roff_config//\\/\\\\}|g" "$here/dist/man/$page" | gzip -9n > "$tmp/$page.gz"
    put "$tmp/$page.gz" "$prefix/share/man/man${page##*.}/$page.gz" 0644
  done
  put "$here/dist/completion/virt-sriov.bash" "$prefix/share/bash-completion/completions/virt-sriov" 0644
  # the licenses of what the bundles hold, and the changelog (both in Debian's formats)
  put "$here/dist/doc/copyright" "$prefix/share/doc/virt-sriov/copyright" 0644
  gzip -9n < "$here/dist/doc/changelog" > "$tmp/changelog.gz"
  put "$tmp/changelog.gz" "$prefix/share/doc/virt-sriov/changelog.gz" 0644
  # koffi (libvirt's C API, for the CLI's write side) has a native part the bundle can't hold:
  # it goes into node_modules beside the bundle. The hooks never load it.
  local pkg
  for pkg in koffi "$(cd "$here/node_modules" && ls -d @koromix/koffi-* 2>/dev/null | head -1)"; do
    [ -n "$pkg" ] && [ -d "$here/node_modules/$pkg" ] || die "node_modules/$pkg is missing: run npm ci"
    make_dir "$libdir/node_modules/$(dirname "$pkg")"
    recorded "$libdir/node_modules/$pkg" || record tree "$libdir/node_modules/$pkg" -
    rm -rf "$destdir$libdir/node_modules/$pkg"
    cp -a "$here/node_modules/$pkg" "$destdir$libdir/node_modules/$pkg"
    # only what node loads: not koffi's C++ sources, build tool, docs and types, nor its musl
    # binary (Debian's node is glibc's); its license is in share/doc/virt-sriov/copyright
    (cd "$destdir$libdir/node_modules/$pkg" && rm -rf doc vendor lib musl_* cnoke.cjs &&
      find . \( -name '*.cc' -o -name '*.hh' -o -name '*.inc' -o -name '*.S' -o -name '*.asm' -o -name '*.def' \
        -o -name CMakeLists.txt -o -name '*.d.ts' -o -name '*.md' -o -name LICENSE.txt \) -delete && find . -type d -empty -delete)
  done
  make_dir "$prefix/bin"
  if ! recorded "$prefix/bin/virt-sriov"; then
    [ -e "$destdir$prefix/bin/virt-sriov" ] && die "$destdir$prefix/bin/virt-sriov exists and is not ours"
    record file "$prefix/bin/virt-sriov" -
  fi
  ln -sfn "../lib/virt-sriov/bin/virt-sriov.mjs" "$destdir$prefix/bin/virt-sriov"

  # what the hooks load when a call has work (kept out of the hook files for their start-up)
  bundle "$here/dist/hooks/operations.cjs" "$libdir/hooks/operations.cjs"
  local h dst
  for h in qemu network daemon; do
    # the hook file is a bash entry that answers calls with nothing to do by itself and starts
    # node's hook for the others (src/hooks/entry-script.ts)
    bundle "$here/dist/hooks/$h.cjs" "$libdir/hooks/$h.cjs"
    bake_paths < "$here/dist/hooks/$h.bash" > "$tmp/$h"
    if version_at_least "$libvirt_version" 6.5.0; then
      dst=/etc/libvirt/hooks/$h.d/virt-sriov
    else
      # one hook per driver: a hook of someone else's is moved aside and run first by ours
      dst=/etc/libvirt/hooks/$h
    fi
    put "$tmp/$h" "$dst" 0755
  done

  if [ ! -e "$destdir$config" ]; then
    make_dir "$(dirname "$config")"
    cat > "$tmp/config.json" <<'JSON'
{
  "pfs": {},
  "releasePolicy": "restore",
  "networks": {},
  "logFile": "/var/log/libvirt/virt-sriov.log",
  "stateDir": "/run/virt-sriov"
}
JSON
    install -m 0644 "$tmp/config.json" "$destdir$config"
    record config "$config" "$(sha256sum < "$tmp/config.json" | cut -d' ' -f1)"
  fi
  cat > "$tmp/logrotate" <<'ROT'
/var/log/libvirt/virt-sriov.log {
    weekly
    rotate 8
    compress
    delaycompress
    missingok
    notifempty
    create 0640 root root
}
ROT
  put "$tmp/logrotate" /etc/logrotate.d/virt-sriov 0644

  sed "s|@BINDIR@|$prefix/bin|" "$here/packaging/systemd/$unit_name" > "$tmp/$unit_name"
  put "$tmp/$unit_name" "$unit" 0644
  if [ "$watcher" = 1 ]; then
    # what `systemctl enable` does for WantedBy=multi-user.target, without needing systemd
    # here (a chroot, a container, a DESTDIR); recorded, so --uninstall removes it
    make_dir "$(dirname "$unit_wants")"
    recorded "$unit_wants" || record file "$unit_wants" -
    ln -sfn "$unit" "$destdir$unit_wants"
  fi

  mark_host
  say "installed for libvirt $libvirt_version, node $node_version ($node)"
  say "hooks: $(version_at_least "$libvirt_version" 6.5.0 && echo '/etc/libvirt/hooks/{qemu,network,daemon}.d/virt-sriov' || echo '/etc/libvirt/hooks/{qemu,network,daemon}')"
  say "config: $config; CLI: $prefix/bin/virt-sriov"
  watcher_said
  if [ -x /usr/sbin/virtqemud ] || [ -x /usr/bin/virtqemud ]; then
    say "now restart the daemons so libvirt finds the hooks: virtqemud and virtnetworkd (e.g. systemctl restart virtqemud virtnetworkd)"
  else
    say "now restart libvirtd so it finds the hooks (e.g. systemctl restart libvirtd)"
  fi
}

# virt-sriov's mark on this host (an inert network filter, src/libvirt/connection.ts), so that
# `virt-sriov migrate` elsewhere sends guests here. Best effort: a libvirt not running, or
# without its nwfilter driver, still gets virt-sriov installed, and is told how to mark it later.
mark_host() {
  local out
  if [ -n "$destdir" ]; then
    say "migrations: not marked (files staged under DESTDIR): virt-sriov migrate --mark-host on the host"
    return
  fi
  if out=$(timeout 60 "$prefix/bin/virt-sriov" migrate --mark-host -c qemu:///system 2>&1); then
    say "migrations: $out"
    case "$out" in *"now carries"*) recorded mark || record mark mark - ;; esac
  else
    say "migrations: this host was not marked as a virt-sriov host ($(echo "$out" | head -n 1 | sed 's/^virt-sriov: //')); once libvirt runs here with its nwfilter driver: virt-sriov migrate --mark-host"
  fi
}

# What became of the watcher's unit, said: enabled or not, started or why not.
watcher_said() {
  local enabled=0
  [ -L "$destdir$unit_wants" ] && enabled=1
  if systemd_runs; then
    systemctl daemon-reload
    if [ "$watcher" = 1 ]; then
      # restart: a watcher already running runs the code just installed
      systemctl restart "$unit_name" && say "watcher: $unit enabled and started (systemctl status ${unit_name%.service})" \
        || say "watcher: $unit enabled, but it did not start: journalctl -u ${unit_name%.service}"
    elif systemctl is-active --quiet "$unit_name"; then
      systemctl try-restart "$unit_name"
      say "watcher: $unit restarted on the new code"
    elif [ "$enabled" = 1 ]; then
      say "watcher: $unit enabled, not running: systemctl start ${unit_name%.service}"
    else
      say "watcher: $unit installed, not enabled: ./install.sh --with-watcher, or systemctl enable --now ${unit_name%.service}"
    fi
  elif [ "$enabled" = 1 ]; then
    say "watcher: $unit enabled (linked from $unit_wants): it starts when systemd boots this root; systemd does not run here, so it was not started (run \`virt-sriov watch\` in the foreground meanwhile)"
  else
    say "watcher: $unit installed, not enabled (./install.sh --with-watcher enables it)"
  fi
}

[ "$(id -u)" = 0 ] || [ -n "$destdir" ] || die "run as root (or set DESTDIR to stage the files)"
case "$action" in
  install) install_all ;;
  uninstall) uninstall ;;
esac
