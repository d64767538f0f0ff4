/* ledger_uom.c -- measurements compared in one base unit (ledger_uom.h):
 * a small table of UN/CEFACT Rec 20 codes per measurement type, each with
 * the linear map (v + offset) * scale to the base unit. */
#include "ledger_uom.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct unit {
    int q;
    const char *code;
    double offset, scale; /* base = (v + offset) * scale */
} unit_t;

static const unit_t units[] = {
    {LEDGER_UOM_TEMPERATURE, "CEL", 0.0, 1.0},
    {LEDGER_UOM_TEMPERATURE, "FAH", -32.0, 5.0 / 9.0},
    {LEDGER_UOM_TEMPERATURE, "KEL", -273.15, 1.0},
    {LEDGER_UOM_TEMPERATURE, "A48", -491.67, 5.0 / 9.0},
};

int ledger_uom_quantity(const char *t, size_t len)
{
    return t && len >= 11 && memcmp(t + len - 11, "Temperature", 11) == 0 ? LEDGER_UOM_TEMPERATURE
                                                                          : LEDGER_UOM_NONE;
}

const char *ledger_uom_base(int q)
{
    return q == LEDGER_UOM_TEMPERATURE ? "CEL" : NULL;
}

int ledger_uom_to_base(int q, const char *uom, double v, double *out)
{
    if (!uom)
        return -1;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (units[i].q == q && strcmp(units[i].code, uom) == 0) {
            /* CEL exactly as given: no rounding through the map */
            *out = units[i].scale == 1.0 && units[i].offset == 0.0
                       ? v
                       : (v + units[i].offset) * units[i].scale;
            return 0;
        }
    return -1;
}

int ledger_uom_parse(int q, const char *text, double *out)
{
    char *end;
    double v;
    if (!text || !*text || q == LEDGER_UOM_NONE)
        return -1;
    v = strtod(text, &end);
    if (end == text || !isfinite(v))
        return -1;
    if (!*end) {
        *out = v;
        return 0;
    }
    if (*end == ' ')
        end++;
    return ledger_uom_to_base(q, end, v, out);
}
