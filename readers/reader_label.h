/* reader_label.h -- printable QR labels (libqrencode) as PNG or SVG.
 *
 * A label is a QR code of a text (normally a GS1 Digital Link URI) with a
 * white quiet zone of at least 4 modules around it, and the text printed
 * under the code so that a person can read it too:
 *
 *     +-------------------------+
 *     |  quiet zone (>= 4 mod.) |
 *     |     +-------------+     |
 *     |     |   QR code   |     |
 *     |     +-------------+     |
 *     |                         |
 *     |  https://id.gs1.org/01/ |   caption, wrapped onto several lines
 *     |  09506000134352/10/AB12 |   when it is wider than the label
 *     +-------------------------+
 *
 * PNG: 1-bit greyscale, one module = module_px x module_px pixels, the
 * caption drawn with a built-in 5x7 pixel font (printable ASCII; any other
 * character is drawn as a small box), scaled with the module size.
 * SVG: the same layout in user units (1 unit = 1 PNG pixel), the modules as
 * one <path>, the caption as <text> elements (monospace, XML-escaped, one per
 * line) and the whole text again in <title>.
 *
 * The text is encoded as given (byte mode, with numeric/alphanumeric
 * segments where libqrencode finds them shorter), so a scanner gives back
 * exactly these bytes.  GS1 QR codes (FNC1 in first position, for element
 * strings) are not offered: libqrencode 4.1.1 refuses FNC1-first input
 * (QRinput_check rejects its empty segment), and GS1 recommends Digital
 * Link URIs in QR codes anyway.
 */
#ifndef KETEN_READER_LABEL_H
#define KETEN_READER_LABEL_H

#include <stdio.h>

#include "ledger_error.h"

typedef enum {
    READER_LABEL_AUTO = 0, /* from the file name: ".png" or ".svg" (any case) */
    READER_LABEL_PNG,
    READER_LABEL_SVG,
} reader_label_format_t;

/* Options; an all-zero struct (or NULL) means the defaults. */
typedef struct {
    reader_label_format_t format; /* default AUTO (reader_label_write only) */
    char ec_level;                /* 'L' (7 %), 'M' (15 %), 'Q' (25 %), 'H' (30 %), lower case
                                     accepted; 0 = 'M', GS1's recommendation */
    int module_px;                /* pixels (SVG: user units) per module, 1..64; 0 = 8 */
    int quiet_modules;            /* quiet zone in modules, 4..64; 0 = 4 (below 4: LEDGER_EINVAL) */
    int no_caption;               /* non-zero: no text under the code */
    const char *caption;          /* text under the code ('\n' breaks a line); NULL = the
                                     encoded text itself */
} reader_label_opts_t;

/* What was drawn, for the caller's message ("QR version 4, 33 modules"). */
typedef struct {
    int version;       /* QR version 1..40 */
    int modules;       /* modules per side without the quiet zone (17 + 4 * version) */
    char ec_level;     /* 'L', 'M', 'Q' or 'H' */
    int width, height; /* image size in pixels (SVG: user units) */
    int caption_lines; /* lines of text under the code (0 with no_caption) */
} reader_label_info_t;

/* Renders text as a label into the file path, format from opts->format or,
 * when that is AUTO, from the extension of path.  The file is written under
 * a temporary name next to path and renamed into place, so path is either
 * the complete new label or untouched.  info (may be NULL) receives what was
 * drawn.
 * Errors: LEDGER_EINVAL for a bad option or an unknown extension;
 * LEDGER_EINPUT for an empty text or one too long for a QR code at the
 * requested level (the message gives the length and the level's capacity);
 * LEDGER_EIO when the file cannot be written; LEDGER_ENOMEM. */
int reader_label_write(const char *path, const char *text, const reader_label_opts_t *opts,
                       reader_label_info_t *info, ledger_err_t *err);

/* The same into an open stream (e.g. stdout); format must be PNG or SVG
 * (AUTO is LEDGER_EINVAL), opts->format is ignored.  On an error part of
 * the label may already have been written to fp.  fp is not closed. */
int reader_label_write_fp(FILE *fp, reader_label_format_t format, const char *text,
                          const reader_label_opts_t *opts, reader_label_info_t *info,
                          ledger_err_t *err);

#endif
