/* ledger_uom.h -- measurements compared in one base unit. A sensor report
 * gives its value(s) in a UN/CEFACT Recommendation 20 common code (uom);
 * keten converts every value it compares to the base unit of its
 * measurement type first, and never compares a value whose unit it cannot
 * convert. EPCIS 2.0 defines no default unit for a sensor report (uom is
 * optional, with no default: docs/trace.md, "Temperatures"), so a value
 * without a uom is not converted either.
 *
 * The types keten compares: temperature (a report type ending in
 * "Temperature", any namespace), base unit CEL (degree Celsius), from CEL,
 * FAH (degree Fahrenheit), KEL (kelvin) and A48 (degree Rankine).
 *
 * Pure functions: no I/O, no allocation. */
#ifndef LEDGER_UOM_H
#define LEDGER_UOM_H

#include <stddef.h>

enum ledger_uom_quantity {
    LEDGER_UOM_NONE = 0,        /* a type keten does not compare */
    LEDGER_UOM_TEMPERATURE = 1, /* base unit CEL */
};

/* The measurement type of sensor report type t (len bytes; t need not end
 * there): LEDGER_UOM_TEMPERATURE or LEDGER_UOM_NONE. */
int ledger_uom_quantity(const char *t, size_t len);

/* The base unit's code of quantity q ("CEL"), or NULL. */
const char *ledger_uom_base(int q);

/* Converts v, in unit uom (a common code; NULL: none given), to the base
 * unit of quantity q into *out. 0, or -1 (*out unchanged) when uom is NULL
 * or not a unit of q that keten converts. */
int ledger_uom_to_base(int q, const char *uom, double v, double *out);

/* Reads a limit of quantity q: a number in the base unit ("4"), or a
 * number directly followed by a unit's code ("39.2FAH", "277.15KEL",
 * "4CEL"; one space between is allowed). *out gets it in the base unit.
 * 0, or -1 (*out unchanged) for anything else (no number, a unit keten does
 * not convert, a number that is not finite). */
int ledger_uom_parse(int q, const char *text, double *out);

#endif
