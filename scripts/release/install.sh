#!/bin/sh
# Installs containerd-rootless-systemd @VERSION@ for the current user, without sudo:
# downloads the binary for this machine, checks it against the SHA-256 sums written into
# this script when the release was made (nothing unverified is ever run or kept), puts it in
# ~/.local/bin, then hands over to it:
#   curl -fsSL @BASE_URL@/install.sh | sh                # on a terminal: the interactive installer
#   curl -fsSL @BASE_URL@/install.sh | sh -s -- --yes    # `install --yes`; other arguments pass through too
# Environment: CRS_RELEASE_URL (where this release's files are), CRS_INSTALL_DIR (instead of
# ~/.local/bin), CRS_NO_RUN=1 (only put the binary in place).
# The whole script is one function called on the last line: a cut download runs nothing.

crs_install() {
  set -eu
  name=containerd-rootless-systemd
  version='@VERSION@'
  base="${CRS_RELEASE_URL:-@BASE_URL@}"
  bindir="${CRS_INSTALL_DIR:-${HOME:?HOME is not set}/.local/bin}"
  sums='@SUMS@'

  say() { printf '[INFO] %s\n' "$*" >&2; }
  die() { printf '[ERROR] %s\n' "$*" >&2; exit 1; }
  have() { command -v "$1" >/dev/null 2>&1; }

  [ "$(uname -s)" = Linux ] || die "$name runs on Linux only (this is $(uname -s))."
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) die "there is no $name build for $(uname -m); releases cover x86_64 and aarch64." ;;
  esac
  libc=glibc
  if have ldd; then
    if ldd --version 2>&1 | grep -qi musl; then libc=musl; fi
  elif ls /lib/ld-musl-* >/dev/null 2>&1; then
    libc=musl
  fi
  [ "$libc" = glibc ] || die "this system uses musl libc (e.g. Alpine); releases are built for glibc only. Build from source: see the README."

  if have xz; then ext=xz; unpack='xz -dc'; elif have gzip; then ext=gz; unpack='gzip -dc'; else die "neither xz nor gzip is installed; install one of them and run this again."; fi
  if have sha256sum; then sha='sha256sum'; elif have shasum; then sha='shasum -a 256'; else die "no sha256sum or shasum to verify the download with; install coreutils and run this again."; fi
  if have curl; then fetch='curl -fsSL -o'; elif have wget; then fetch='wget -q -O'; else die "neither curl nor wget is installed; install one of them and run this again."; fi

  file="$name-linux-$arch.$ext"
  want=$(printf '%s\n' "$sums" | awk -v f="$file" '$2 == f { print $1 }')
  [ -n "$want" ] || die "this installer carries no checksum for $file."

  tmp=$(mktemp -d "${TMPDIR:-/tmp}/$name.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  trap 'exit 130' INT TERM HUP

  say "Downloading $name $version for linux-$arch from $base"
  $fetch "$tmp/$file" "$base/$file" || die "could not download $base/$file; nothing was installed."
  got=$($sha "$tmp/$file" | awk '{ print $1 }')
  [ "$got" = "$want" ] || die "checksum mismatch for $file: expected $want, got $got. The download is damaged or was tampered with; nothing was installed."
  $unpack "$tmp/$file" >"$tmp/$name" || die "could not unpack $file; nothing was installed."
  chmod 755 "$tmp/$name"
  ran=$("$tmp/$name" --version 2>&1) || die "the downloaded binary does not run here: $ran"
  [ "$ran" = "$version" ] || die "the downloaded binary reports version $ran, expected $version; nothing was installed."

  mkdir -p "$bindir"
  cp "$tmp/$name" "$bindir/.$name.install.$$"
  mv -f "$bindir/.$name.install.$$" "$bindir/$name"
  say "Installed $bindir/$name ($version)"
  case ":${PATH:-}:" in
    *":$bindir:"*) ;;
    *) say "$bindir is not on your PATH; add it, e.g. in ~/.profile: export PATH=\"$bindir:\$PATH\"" ;;
  esac

  [ "${CRS_NO_RUN:-}" = 1 ] && return 0
  rm -rf "$tmp"
  trap - EXIT INT TERM HUP
  if [ "$#" -eq 0 ] && [ -t 1 ] && { : </dev/tty; } 2>/dev/null; then
    exec "$bindir/$name" </dev/tty
  fi
  exec "$bindir/$name" install "$@"
}

crs_install "$@"
