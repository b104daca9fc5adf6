#!/usr/bin/env bash
# The GitHub Action's download step (action.yml runs it): fetches the release
# executable of the Action's own version for the runner's OS and
# architecture, verifies it against the release's SHA256SUMS, keeps it in the
# runner's tool cache, and writes its path to the step's outputs (path=...).
# When the Action is used from a ref that is not a release tag (a branch, a
# commit) or on a runner no executable is released for (macOS), it writes
# build=true instead, and action.yml builds djintegrity from its source.
#
# Environment (action.yml sets the DJINTEGRITY_ ones, the runner the rest):
#   DJINTEGRITY_VERSION      the Action's ref; a release tag is vX.Y.Z... (empty: read
#                            from GITHUB_ACTION_PATH, .../_actions/OWNER/NAME/REF)
#   DJINTEGRITY_REPOSITORY   the Action's owner/name (default djintegrity/djintegrity)
#   DJINTEGRITY_RELEASE_URL  the releases' base URL; a release's files are at
#                            URL/TAG/FILE (default GITHUB_SERVER_URL/REPOSITORY/releases/download)
#   RUNNER_OS, RUNNER_ARCH, RUNNER_TOOL_CACHE, RUNNER_TEMP, GITHUB_OUTPUT
set -euo pipefail

version=${DJINTEGRITY_VERSION:-}
repository=${DJINTEGRITY_REPOSITORY:-}
# GitHub leaves github.action_ref empty in some composite actions; the
# directory the runner unpacked the Action into is named after the ref.
if [[ -z "$version" && "${GITHUB_ACTION_PATH:-}" == */_actions/*/*/* ]]; then
	IFS=/ read -r owner name ref rest <<<"${GITHUB_ACTION_PATH##*/_actions/}"
	if [[ -z "${rest:-}" ]]; then
		version=$ref
		repository=${repository:-$owner/$name}
	fi
fi
repository=${repository:-djintegrity/djintegrity}

build_from_source() {
	echo "djintegrity: $1: building from source"
	echo "build=true" >>"$GITHUB_OUTPUT"
	exit 0
}

if [[ ! "$version" =~ ^v[0-9]+\.[0-9]+\.[0-9]+[0-9A-Za-z.+-]*$ ]]; then
	build_from_source "the Action's ref ${version:-(unknown)} is not a release tag"
fi
case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
Linux/X64) file=djintegrity-linux-amd64 exe=djintegrity ;;
Linux/ARM64) file=djintegrity-linux-arm64 exe=djintegrity ;;
Windows/X64) file=djintegrity-windows-amd64.exe exe=djintegrity.exe ;;
*) build_from_source "no release executable for ${RUNNER_OS:-?} ${RUNNER_ARCH:-?}" ;;
esac

# The tool cache's layout (as actions/tool-cache lays it out): TOOL/VERSION/ARCH,
# with ARCH.complete beside it once the directory is whole.
arch=$(tr '[:upper:]' '[:lower:]' <<<"$RUNNER_ARCH")
cache=$RUNNER_TOOL_CACHE/djintegrity/${version#v}
if [[ -f "$cache/$arch.complete" && -x "$cache/$arch/$exe" ]]; then
	echo "djintegrity: $version from the tool cache"
	echo "path=$cache/$arch/$exe" >>"$GITHUB_OUTPUT"
	exit 0
fi

url=${DJINTEGRITY_RELEASE_URL:-${GITHUB_SERVER_URL:-https://github.com}/$repository/releases/download}/$version
tmp=$(mktemp -d "${RUNNER_TEMP:-/tmp}/djintegrity.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
for f in SHA256SUMS "$file"; do
	if ! curl -fsSL --retry 3 -o "$tmp/$f" "$url/$f"; then
		echo "::error::djintegrity: could not download $url/$f: is $version released?"
		exit 1
	fi
done

want=$(awk -v f="$file" '$2 == f || $2 == "*" f { print $1 }' "$tmp/SHA256SUMS")
if command -v sha256sum >/dev/null; then
	got=$(sha256sum "$tmp/$file" | awk '{ print $1 }')
else
	got=$(shasum -a 256 "$tmp/$file" | awk '{ print $1 }')
fi
if [[ -z "$want" ]]; then
	echo "::error::djintegrity: $file is not listed in $url/SHA256SUMS"
	exit 1
fi
if [[ "$got" != "$want" ]]; then
	echo "::error::djintegrity: checksum mismatch for $url/$file: SHA256SUMS says $want, the download is $got"
	exit 1
fi

mkdir -p "$cache/$arch"
chmod +x "$tmp/$file"
mv -f "$tmp/$file" "$cache/$arch/$exe"
touch "$cache/$arch.complete"
echo "djintegrity: $version for $RUNNER_OS $RUNNER_ARCH, verified against SHA256SUMS"
echo "path=$cache/$arch/$exe" >>"$GITHUB_OUTPUT"
