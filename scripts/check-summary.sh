#!/bin/sh
# Sum what the test runners printed into one closing line:
#   "N passed, N failed, N skipped"
# Check runners print "NN%: Checks: N, Failures: F, Errors: E"; Python's
# unittest prints "Ran N tests" then "OK", "OK (skipped=S)" or
# "FAILED (failures=F, errors=E, skipped=S)"; the one-shot checks (ABI,
# man pages, staged install) print "abi:", "man:", "install:" lines.
log=${1:?usage: check-summary.sh LOG}
awk '
/^[0-9]+%: Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+/ {
    gsub(/[,%:]/, " ")
    n = $3; f = $5; e = $7
    pass += n - f - e; fail += f + e
    next
}
/^Ran [0-9]+ tests? in / { ran = $2; next }
/^OK/ || /^FAILED/ {
    if (ran == "") next
    f = 0; e = 0; s = 0
    if (match($0, /failures=[0-9]+/)) f = substr($0, RSTART + 9, RLENGTH - 9)
    if (match($0, /errors=[0-9]+/))   e = substr($0, RSTART + 7, RLENGTH - 7)
    if (match($0, /skipped=[0-9]+/))  s = substr($0, RSTART + 8, RLENGTH - 8)
    pass += ran - f - e - s; fail += f + e; skip += s
    ran = ""
    next
}
/^(abi|man|install): / { pass += 1 }
END { printf "%d passed, %d failed, %d skipped\n", pass, fail, skip }
' "$log"
