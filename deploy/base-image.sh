#!/usr/bin/env bash
# Build a local debian:bookworm-slim base image with debootstrap, for machines with no container registry.
# Users with a registry skip this: `FROM debian:bookworm-slim` pulls the official image.
# Usage: deploy/base-image.sh [image-name]   (default localhost/debian:bookworm-slim; skipped if it exists)
set -euo pipefail
image="${1:-localhost/debian:bookworm-slim}"
export BUILDAH_ISOLATION=chroot
if buildah inspect --type image "$image" >/dev/null 2>&1; then
    echo "base image $image exists"; exit 0
fi
mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
mirror="${mirror:-http://deb.debian.org/debian}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror"
ctr=$(buildah from scratch)
mnt=$(buildah mount "$ctr")
cp -a "$work/rootfs"/. "$mnt"/
buildah umount "$ctr"
buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd /bin/bash "$ctr"
buildah commit --rm "$ctr" "$image"
