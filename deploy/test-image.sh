#!/usr/bin/env bash
# Build deploy/Containerfile on a machine with no registry and no Docker daemon (buildah, chroot isolation,
# a debootstrap base), then run it against `c2c emulator` (tests/deploy/image_check.py). Called by .ci/run.
#   deploy/test-image.sh [python]     python: the interpreter that runs the check (default python3)
# Environment: C2C_IMAGE (default localhost/c2c:test); FLB_SOURCE, the Fluent Bit source tarball (default:
# ../shared/vendor/fluent-bit-5.1.1-src.tar.gz next to the repository or its worktree folder; without one,
# the build downloads the release tarball).
set -euo pipefail
cd "$(dirname "$0")/.."
python="${1:-python3}"
image="${C2C_IMAGE:-localhost/c2c:test}"
base=localhost/debian:bookworm-slim
export BUILDAH_ISOLATION=chroot
start=$SECONDS
if ! command -v buildah >/dev/null || ! command -v debootstrap >/dev/null; then
    apt-get install -y -q buildah debootstrap >/dev/null
fi
deploy/base-image.sh "$base"
echo "test-image: base image ready after $((SECONDS - start))s"

tarball="fluent-bit-5.1.1-src.tar.gz"
for src in "${FLB_SOURCE:-}" "../shared/vendor/$tarball" "../../shared/vendor/$tarball"; do
    if [ -n "$src" ] && [ -f "$src" ]; then
        cmp -s "$src" "deploy/vendor/$(basename "$src")" 2>/dev/null || cp "$src" deploy/vendor/
        break
    fi
done
extra=()
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then  # this host's CA bundle (a TLS-intercepting proxy's CA)
    extra+=(--volume /etc/ssl/certs/ca-certificates.crt:/run/host-ca.crt:ro --build-arg PIP_CERT=/run/host-ca.crt)
fi
built=$SECONDS
buildah bud --quiet --pull=never --layers --build-arg BASE="$base" "${extra[@]}" \
    -t "$image" -f deploy/Containerfile . >/dev/null
echo "test-image: image $image built in $((SECONDS - built))s"
checked=$SECONDS
"$python" tests/deploy/image_check.py "$image"
echo "test-image: checked in $((SECONDS - checked))s; total $((SECONDS - start))s"
