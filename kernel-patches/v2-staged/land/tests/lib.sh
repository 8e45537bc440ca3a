# Staging only: the tests here run against /work/main (its lib.sh sets ROOT).
. /work/main/tests/lib.sh
