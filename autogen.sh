#!/bin/sh
# autogen.sh - generate configure and Makefile.in from a git checkout
set -e
cd "$(dirname "$0")"
mkdir -p build-aux m4
autoreconf --install --force --warnings=all
# Automake ships the TAP driver but does not install it by itself.
cp -f "$(automake --print-libdir)/tap-driver.sh" build-aux/
