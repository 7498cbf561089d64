dnl SPDX-License-Identifier: GPL-2.0-or-later
dnl KA_REQUIRE_PKG(MODULE, VARIABLE-PREFIX, MIN-VERSION, DEBIAN-PACKAGE, RPM-PACKAGE)
dnl
dnl PKG_CHECK_MODULES with a refusal that says what it found: a MODULE too
dnl old names the version found and the version needed; a missing one names
dnl the packages that have it.  PREFIX_CFLAGS and PREFIX_LIBS given by hand
dnl skip pkg-config, as PKG_CHECK_MODULES does.
AC_DEFUN([KA_REQUIRE_PKG], [
AS_IF([test -z "$$2_LIBS"], [
  AC_MSG_CHECKING([for $1 >= $3])
  AS_IF([$PKG_CONFIG --exists "$1"], [
    ka_found=`$PKG_CONFIG --modversion "$1"`
    AS_IF([$PKG_CONFIG --atleast-version="$3" "$1"], [AC_MSG_RESULT([$ka_found])], [
      AC_MSG_RESULT([no, $ka_found])
      AC_MSG_ERROR([$1 $ka_found is too old: kvm-assign needs $1 >= $3: install a newer $4 (RPM: $5), or point PKG_CONFIG_PATH at a newer $1.pc])])
  ], [
    AC_MSG_RESULT([no])
    AC_MSG_ERROR([$1 not found by pkg-config: install the Debian package $4 (RPM: $5), or point PKG_CONFIG_PATH at its $1.pc])])
])
PKG_CHECK_MODULES([$2], [$1 >= $3])
])
