#!/usr/bin/env bash
# Builds a release of djintegrity into OUT (default dist/release):
#
#   djintegrity-linux-amd64         static executables: they run on any Linux
#   djintegrity-linux-arm64         (glibc or musl) and Windows 10 or later
#   djintegrity-windows-amd64.exe   without Go, a C compiler or a shared library
#   djintegrity-VERSION-py3-none-PLATFORM.whl
#                                   a wheel per executable (scripts/build-wheels.py)
#   SHA256SUMS                      the SHA-256 of each file above, as sha256sum
#                                   prints it (the Action verifies against it)
#
#   scripts/release.sh VERSION [OUT]        e.g. scripts/release.sh v0.1.0
#
# VERSION is the release's git tag, "v" and the version of pyproject.toml
# (which the pre-commit hook installs: it pins the wheel of the same
# version); `djintegrity version` prints it with the commit and the
# commit's date (not the time of the build, so that the same commit always
# builds the same files). TARGETS picks the targets (default
# "linux/amd64 linux/arm64 windows/amd64").
#
# tree-sitter is C, so each target needs cgo and a C compiler for it. On
# Debian (any host architecture):
#   apt-get install gcc-x86-64-linux-gnu gcc-aarch64-linux-gnu libc6-dev-arm64-cross gcc-mingw-w64-x86-64
# (on an amd64 host, gcc and libc6-dev already are the first). Set
# CC_LINUX_AMD64, CC_LINUX_ARM64 or CC_WINDOWS_AMD64 to use another compiler.
# The executables link statically, as scripts/build-lambda.sh's does: netgo
# and osusergo keep Go's own DNS resolver and user lookup, which a static
# glibc cannot provide.
set -euo pipefail
cd "$(dirname "$0")/.."

if (($# < 1 || $# > 2)) || [[ ! "$1" =~ ^v[0-9] ]]; then
	echo "usage: scripts/release.sh VERSION [OUT]   (VERSION is a tag such as v0.1.0)" >&2
	exit 2
fi
version=$1
out=${2:-dist/release}
pinned=$(sed -n 's/^version = "\(.*\)"$/\1/p' pyproject.toml)
if [[ "$version" != "v$pinned" ]]; then
	echo "release: version $version is not pyproject.toml's v$pinned: set version and the djintegrity pin there to ${version#v} first" >&2
	exit 2
fi
targets=${TARGETS:-linux/amd64 linux/arm64 windows/amd64}

commit=$(git rev-parse HEAD)
if [[ -n "$(git status --porcelain --untracked-files=no)" ]]; then
	commit+=-dirty
fi
date=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct HEAD)}" +%Y-%m-%dT%H:%M:%SZ)

mkdir -p "$out"
rm -f "$out"/djintegrity-* "$out/SHA256SUMS"
pkg=github.com/djintegrity/djintegrity/internal/buildinfo
for target in $targets; do
	goos=${target%/*} goarch=${target#*/}
	exe=djintegrity-$goos-$goarch
	case $target in
	linux/amd64) cc=${CC_LINUX_AMD64:-x86_64-linux-gnu-gcc} pkgs="gcc-x86-64-linux-gnu (on amd64: gcc libc6-dev)" ;;
	linux/arm64) cc=${CC_LINUX_ARM64:-aarch64-linux-gnu-gcc} pkgs="gcc-aarch64-linux-gnu libc6-dev-arm64-cross" ;;
	windows/amd64) cc=${CC_WINDOWS_AMD64:-x86_64-w64-mingw32-gcc} pkgs="gcc-mingw-w64-x86-64" exe+=.exe ;;
	*)
		echo "release: no release target $target (linux/amd64, linux/arm64, windows/amd64)" >&2
		exit 2
		;;
	esac
	if ! command -v "$cc" >/dev/null; then
		echo "release: $cc not found for $target; install it with: apt-get install $pkgs" >&2
		exit 1
	fi
	CGO_ENABLED=1 GOOS=$goos GOARCH=$goarch CC=$cc go build \
		-trimpath -buildvcs=false -tags netgo,osusergo \
		-ldflags "-s -w -X $pkg.version=$version -X $pkg.commit=$commit -X $pkg.date=$date -linkmode external -extldflags -static" \
		-o "$out/$exe" ./cmd/djintegrity
	echo "release: $out/$exe ($(wc -c <"$out/$exe") bytes)"
done

python3 scripts/build-wheels.py "$version" "$out"

(cd "$out" && LC_ALL=C sha256sum djintegrity-* >SHA256SUMS)
echo "release: $out/SHA256SUMS"
