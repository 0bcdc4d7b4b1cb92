#!/bin/sh
# tests/valgrind-folio.sh: runs the folio of a normal build (VALGRIND_FOLIO) under valgrind memcheck, for
# `make valgrind` (FOLIO=this script). Any invalid read or write, use of uninitialised memory or
# definite leak makes folio exit 99 and leaves a report in VALGRIND_LOGS (one file per process).
here=$(dirname "$(readlink -f "$0")")
exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
	--show-leak-kinds=definite --suppressions="$here/valgrind.supp" \
	--log-file="${VALGRIND_LOGS:?set VALGRIND_LOGS}/folio.%p" \
	"${VALGRIND_FOLIO:?set VALGRIND_FOLIO to the folio binary}" "$@"
