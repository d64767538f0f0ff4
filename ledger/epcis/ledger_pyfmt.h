/* ledger_pyfmt.h -- text formatting exactly as the Python of the EPCIS event
 * hash reference generator does it.
 *
 * The EPCIS 2.0 event hash (ledger_evhash.h) is defined by what the
 * reference generator (RalphTro/epcis-event-hash-generator, a Python program)
 * prints: str.strip() of values, float(x) and repr(x) of numbers, int(x) of
 * whole numbers, and its own time stamp normalisation built on Python's
 * datetime. Every implementation must produce the same bytes, so these are
 * emulated here to the byte, without Python.
 *
 * Pure functions: no allocation, no I/O, no state; thread-safe. Inputs are
 * NUL-terminated strings (the event hash never has a U+0000 in a value).
 * Functions that normalise a value return the length written, or
 * LEDGER_ENOTFOUND when the input is not that kind of value (the reference
 * then keeps the text as it is; nothing is written).
 */
#ifndef LEDGER_PYFMT_H
#define LEDGER_PYFMT_H

#include <stdbool.h>
#include <stddef.h>

#include "ledger_error.h"

/* Room for the longest repr() of a float, with its NUL ("-1.2345678901234567e-308"). */
#define LEDGER_PYFMT_REPR_MAX 32

/* Room for a normalised time, with its NUL ("YYYY-MM-DDTHH:MM:SS.mmmZ"). */
#define LEDGER_PYFMT_TIME_MAX 25

/* Room for ledger_pyfmt_number's output, with its NUL (int() of the largest
 * double has 309 digits). */
#define LEDGER_PYFMT_NUMBER_MAX 400

/* Python's str.strip() without arguments on the UTF-8 text s[0..n): sets
 * *start and returns the length of what is left once the leading and
 * trailing whitespace (the ASCII whitespace and separators 0x1c..0x1f, U+0085,
 * U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000) is
 * cut. Never fails. */
size_t ledger_pyfmt_strip(const char *s, size_t n, size_t *start);

/* repr(d) of a Python float: the shortest decimal that reads back as d
 * exactly, in positional notation when its decimal exponent is in [-4, 16)
 * ("0.0001", "3.4", "100.0", "-0.0") and in scientific notation otherwise
 * ("1e-05", "1e+16", "1.5e+300"); "nan", "inf", "-inf". Writes the
 * NUL-terminated text to out and returns its length. Never fails. */
size_t ledger_pyfmt_repr(double d, char out[LEDGER_PYFMT_REPR_MAX]);

/* Python's float(s) on a string without surrounding white space: decimal
 * literals with optional sign, fraction, exponent and single underscores
 * between digits ("1_000.5"), "inf", "infinity", "nan" (any case). Returns
 * true and sets *d when s is one; false otherwise (*d unchanged). Literals
 * of more than 397 characters are refused (false). */
bool ledger_pyfmt_parse_float(const char *s, double *d);

/* The reference's number normalisation (_try_format_numeric): when s is a
 * finite float literal (ledger_pyfmt_parse_float), writes str(int(x)) when
 * x is whole ("2.0" -> "2", "-0.0" -> "0", "1e16" -> "10000000000000000",
 * "12345678901234567" -> "12345678901234568", since the value went through
 * a float) and repr(x) otherwise ("2.50" -> "2.5", "1e-7" -> "1e-07"), and
 * returns its length. LEDGER_ENOTFOUND when s is not a finite float literal
 * ("abc", "nan", "inf", "1.2.3"); nothing is written then. */
int ledger_pyfmt_number(const char *s, char out[LEDGER_PYFMT_NUMBER_MAX]);

/* The reference's time stamp normalisation (_fix_time_stamp_format): an ISO
 * 8601 date-time "YYYY-MM-DD[(T|t| )HH:MM[:SS[(.|,)f+]]][Z|z|(+|-)HH[[:]MM]]"
 * converted to UTC and written as "YYYY-MM-DDTHH:MM:SS.mmmZ"; returns 24.
 * Fraction digits beyond the sixth are cut, then the microseconds are
 * rounded half to even to milliseconds (Python's round(us, -3)); a round-up
 * to 1000 ms carries into the seconds. A date-time without zone is taken as
 * UTC; a date alone is midnight. LEDGER_ENOTFOUND when s is not such a time
 * (bad field, day not in the month, trailing text) or its UTC year is outside
 * 1..9999 (Python's datetime range). */
int ledger_pyfmt_time_utc(const char *s, char out[LEDGER_PYFMT_TIME_MAX]);

#endif
