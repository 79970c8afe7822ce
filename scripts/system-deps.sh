#!/usr/bin/env bash
# Installs the Debian packages the tests use: Mesa so VTK renders without a GPU,
# Xvfb and the xcb libraries Qt's xcb plugin loads, dcmtk and dicom3tools to validate
# exported DICOM, poppler to render PDF pages. Without root it prints the command.
set -euo pipefail
# "run": what the window needs; "test" (the default) adds what the tests use.
packages=(
  libgl1-mesa-dri libegl1 libgl1 libglx-mesa0 libglib2.0-0 libxkbcommon0
  libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1
  libxcb-render-util0 libxcb-xinerama0 libxcb-image0 libxcb-shape0 libxcb-randr0
  libxcb-xfixes0 libxcb-sync1 libxcb-xkb1 libdbus-1-3 libfontconfig1
  fonts-dejavu-core
)
if [ "${1:-test}" = "test" ]; then
  packages+=(xvfb xauth dcmtk dicom3tools poppler-utils)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $cmd
else
  echo "Nadir's tests need these Debian packages; install them with:" >&2
  echo "  sudo apt-get update && sudo $cmd" >&2
  exit 1
fi
