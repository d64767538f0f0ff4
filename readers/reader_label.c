/* reader_label.c -- QR labels as PNG or SVG (see reader_label.h).
 *
 * How it works: libqrencode turns the text into a square of modules; a
 * layout (label_t) places that square inside its quiet zone and the caption
 * lines under it.  The caption is cut into "units" (one UTF-8 character, or
 * one byte that is not valid UTF-8) and wrapped greedily to the label's
 * width, preferring to break after '/', '?', '&', '=' or '#' so that a
 * Digital Link URI breaks between its path segments.  The PNG writer
 * produces one 1-bit row at a time (memory is one row, whatever the size)
 * and draws the caption with the 5x7 font below; the SVG writer emits the
 * same geometry as text.  Everything the libraries report is turned into a
 * ledger_err_t message; libpng's errors come back through setjmp/longjmp
 * and every allocation lives in a struct that survives the jump.
 */
#include "reader_label.h"

#include <errno.h>
#include <fcntl.h>
#include <png.h>
#include <qrencode.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define CAPTION_MAX 4096 /* bytes of caption text we are willing to draw */

/* The font: printable ASCII 0x20..0x7e, 5 columns x 7 rows, '#' = ink.
 * Drawn for this file; a character cell is 6 x 10 (1 column and 3 rows of
 * spacing), scaled by an integer factor. */
// clang-format off
static const char font5x7[95][7][6] = {
    {".....", ".....", ".....", ".....", ".....", ".....", "....."}, /* space */
    {"..#..", "..#..", "..#..", "..#..", "..#..", ".....", "..#.."}, /* ! */
    {".#.#.", ".#.#.", ".#.#.", ".....", ".....", ".....", "....."}, /* " */
    {".#.#.", ".#.#.", "#####", ".#.#.", "#####", ".#.#.", ".#.#."}, /* # */
    {"..#..", ".####", "#.#..", ".###.", "..#.#", "####.", "..#.."}, /* $ */
    {"##...", "##..#", "...#.", "..#..", ".#...", "#..##", "...##"}, /* % */
    {".##..", "#..#.", "#.#..", ".#...", "#.#.#", "#..#.", ".##.#"}, /* & */
    {"..#..", "..#..", ".#...", ".....", ".....", ".....", "....."}, /* ' */
    {"...#.", "..#..", ".#...", ".#...", ".#...", "..#..", "...#."}, /* ( */
    {".#...", "..#..", "...#.", "...#.", "...#.", "..#..", ".#..."}, /* ) */
    {".....", "..#..", "#.#.#", ".###.", "#.#.#", "..#..", "....."}, /* * */
    {".....", "..#..", "..#..", "#####", "..#..", "..#..", "....."}, /* + */
    {".....", ".....", ".....", ".....", ".##..", "..#..", ".#..."}, /* , */
    {".....", ".....", ".....", "#####", ".....", ".....", "....."}, /* - */
    {".....", ".....", ".....", ".....", ".....", ".##..", ".##.."}, /* . */
    {".....", "....#", "...#.", "..#..", ".#...", "#....", "....."}, /* / */
    {".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."}, /* 0 */
    {"..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."}, /* 1 */
    {".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"}, /* 2 */
    {"#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###."}, /* 3 */
    {"...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."}, /* 4 */
    {"#####", "#....", "####.", "....#", "....#", "#...#", ".###."}, /* 5 */
    {"..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."}, /* 6 */
    {"#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."}, /* 7 */
    {".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."}, /* 8 */
    {".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."}, /* 9 */
    {".....", ".##..", ".##..", ".....", ".##..", ".##..", "....."}, /* : */
    {".....", ".##..", ".##..", ".....", ".##..", "..#..", ".#..."}, /* ; */
    {"...#.", "..#..", ".#...", "#....", ".#...", "..#..", "...#."}, /* < */
    {".....", ".....", "#####", ".....", "#####", ".....", "....."}, /* = */
    {".#...", "..#..", "...#.", "....#", "...#.", "..#..", ".#..."}, /* > */
    {".###.", "#...#", "....#", "...#.", "..#..", ".....", "..#.."}, /* ? */
    {".###.", "#...#", "....#", ".##.#", "#.#.#", "#.#.#", ".###."}, /* @ */
    {".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"}, /* A */
    {"####.", "#...#", "#...#", "####.", "#...#", "#...#", "####."}, /* B */
    {".###.", "#...#", "#....", "#....", "#....", "#...#", ".###."}, /* C */
    {"###..", "#..#.", "#...#", "#...#", "#...#", "#..#.", "###.."}, /* D */
    {"#####", "#....", "#....", "####.", "#....", "#....", "#####"}, /* E */
    {"#####", "#....", "#....", "####.", "#....", "#....", "#...."}, /* F */
    {".###.", "#...#", "#....", "#.###", "#...#", "#...#", ".####"}, /* G */
    {"#...#", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"}, /* H */
    {".###.", "..#..", "..#..", "..#..", "..#..", "..#..", ".###."}, /* I */
    {"..###", "...#.", "...#.", "...#.", "...#.", "#..#.", ".##.."}, /* J */
    {"#...#", "#..#.", "#.#..", "##...", "#.#..", "#..#.", "#...#"}, /* K */
    {"#....", "#....", "#....", "#....", "#....", "#....", "#####"}, /* L */
    {"#...#", "##.##", "#.#.#", "#.#.#", "#...#", "#...#", "#...#"}, /* M */
    {"#...#", "#...#", "##..#", "#.#.#", "#..##", "#...#", "#...#"}, /* N */
    {".###.", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."}, /* O */
    {"####.", "#...#", "#...#", "####.", "#....", "#....", "#...."}, /* P */
    {".###.", "#...#", "#...#", "#...#", "#.#.#", "#..#.", ".##.#"}, /* Q */
    {"####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#"}, /* R */
    {".####", "#....", "#....", ".###.", "....#", "....#", "####."}, /* S */
    {"#####", "..#..", "..#..", "..#..", "..#..", "..#..", "..#.."}, /* T */
    {"#...#", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."}, /* U */
    {"#...#", "#...#", "#...#", "#...#", "#...#", ".#.#.", "..#.."}, /* V */
    {"#...#", "#...#", "#...#", "#.#.#", "#.#.#", "#.#.#", ".#.#."}, /* W */
    {"#...#", "#...#", ".#.#.", "..#..", ".#.#.", "#...#", "#...#"}, /* X */
    {"#...#", "#...#", ".#.#.", "..#..", "..#..", "..#..", "..#.."}, /* Y */
    {"#####", "....#", "...#.", "..#..", ".#...", "#....", "#####"}, /* Z */
    {".###.", ".#...", ".#...", ".#...", ".#...", ".#...", ".###."}, /* [ */
    {".....", "#....", ".#...", "..#..", "...#.", "....#", "....."}, /* \ */
    {".###.", "...#.", "...#.", "...#.", "...#.", "...#.", ".###."}, /* ] */
    {"..#..", ".#.#.", "#...#", ".....", ".....", ".....", "....."}, /* ^ */
    {".....", ".....", ".....", ".....", ".....", ".....", "#####"}, /* _ */
    {".#...", "..#..", "...#.", ".....", ".....", ".....", "....."}, /* ` */
    {".....", ".....", ".###.", "....#", ".####", "#...#", ".####"}, /* a */
    {"#....", "#....", "#.##.", "##..#", "#...#", "#...#", "####."}, /* b */
    {".....", ".....", ".###.", "#....", "#....", "#...#", ".###."}, /* c */
    {"....#", "....#", ".##.#", "#..##", "#...#", "#...#", ".####"}, /* d */
    {".....", ".....", ".###.", "#...#", "#####", "#....", ".###."}, /* e */
    {"..##.", ".#..#", ".#...", "###..", ".#...", ".#...", ".#..."}, /* f */
    {".....", ".####", "#...#", "#...#", ".####", "....#", ".###."}, /* g */
    {"#....", "#....", "#.##.", "##..#", "#...#", "#...#", "#...#"}, /* h */
    {"..#..", ".....", ".##..", "..#..", "..#..", "..#..", ".###."}, /* i */
    {"...#.", ".....", "..##.", "...#.", "...#.", "#..#.", ".##.."}, /* j */
    {"#....", "#....", "#..#.", "#.#..", "##...", "#.#..", "#..#."}, /* k */
    {".##..", "..#..", "..#..", "..#..", "..#..", "..#..", ".###."}, /* l */
    {".....", ".....", "##.#.", "#.#.#", "#.#.#", "#...#", "#...#"}, /* m */
    {".....", ".....", "#.##.", "##..#", "#...#", "#...#", "#...#"}, /* n */
    {".....", ".....", ".###.", "#...#", "#...#", "#...#", ".###."}, /* o */
    {".....", ".....", "####.", "#...#", "####.", "#....", "#...."}, /* p */
    {".....", ".....", ".##.#", "#..##", ".####", "....#", "....#"}, /* q */
    {".....", ".....", "#.##.", "##..#", "#....", "#....", "#...."}, /* r */
    {".....", ".....", ".###.", "#....", ".###.", "....#", "####."}, /* s */
    {".#...", ".#...", "###..", ".#...", ".#...", ".#..#", "..##."}, /* t */
    {".....", ".....", "#...#", "#...#", "#...#", "#..##", ".##.#"}, /* u */
    {".....", ".....", "#...#", "#...#", "#...#", ".#.#.", "..#.."}, /* v */
    {".....", ".....", "#...#", "#...#", "#.#.#", "#.#.#", ".#.#."}, /* w */
    {".....", ".....", "#...#", ".#.#.", "..#..", ".#.#.", "#...#"}, /* x */
    {".....", ".....", "#...#", "#...#", ".####", "....#", ".###."}, /* y */
    {".....", ".....", "#####", "...#.", "..#..", ".#...", "#####"}, /* z */
    {"...#.", "..#..", "..#..", ".#...", "..#..", "..#..", "...#."}, /* { */
    {"..#..", "..#..", "..#..", "..#..", "..#..", "..#..", "..#.."}, /* | */
    {".#...", "..#..", "..#..", "...#.", "..#..", "..#..", ".#..."}, /* } */
    {".....", ".....", ".#...", "#.#.#", "...#.", ".....", "....."}, /* ~ */
};
static const char font_box[7][6] = {"#####", "#...#", "#...#", "#...#", "#...#", "#...#", "#####"};
// clang-format on

/* One caption character: bytes [off, off + len) of the caption, and the
 * code point (-1 when the byte is not valid UTF-8). */
typedef struct {
    uint32_t off;
    uint8_t len;
    int32_t cp;
} unit_t;

/* One caption line: units [first, first + count). */
typedef struct {
    size_t first, count;
} line_t;

typedef struct {
    QRcode *qr;
    int m, q, n;         /* module px, quiet zone modules, modules per side */
    int w, qr_h, h;      /* image width, height of the code part, total height */
    int s;               /* caption scale: 1 font pixel = s x s image pixels */
    const char *caption; /* NULL when there is none */
    unit_t *units;
    size_t nunits;
    line_t *lines;
    size_t nlines;
    char ec;
} label_t;

static const int qr_capacity_8bit[4] = {2953, 2331, 1663, 1273}; /* version 40, L M Q H */

static void label_free(label_t *lb)
{
    if (lb->qr)
        QRcode_free(lb->qr);
    free(lb->units);
    free(lb->lines);
    memset(lb, 0, sizeof *lb);
}

/* Decodes one UTF-8 character at p (n bytes left); returns its length and
 * sets *cp, or returns 1 with *cp = -1 for an invalid byte. */
static size_t utf8_next(const unsigned char *p, size_t n, int32_t *cp)
{
    uint32_t c = p[0], min;
    size_t len;

    if (c < 0x80) {
        *cp = (int32_t)c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2, c &= 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3, c &= 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, c &= 0x07, min = 0x10000;
    } else {
        *cp = -1;
        return 1;
    }
    if (len > n) {
        *cp = -1;
        return 1;
    }
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            *cp = -1;
            return 1;
        }
        c = (c << 6) | (p[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
        *cp = -1;
        return 1;
    }
    *cp = (int32_t)c;
    return len;
}

static int is_break_after(int32_t cp)
{
    return cp == '/' || cp == '?' || cp == '&' || cp == '=' || cp == '#' || cp == ' ';
}

/* Cuts the caption into units and wraps them into lines of at most cpl
 * units; '\n' forces a break and is not drawn. */
static int label_wrap(label_t *lb, size_t cpl, ledger_err_t *err)
{
    size_t n = strlen(lb->caption);

    lb->units = calloc(n ? n : 1, sizeof *lb->units);
    if (lb->units == NULL)
        goto nomem;
    for (size_t i = 0; i < n;) {
        unit_t *u = &lb->units[lb->nunits++];
        u->off = (uint32_t)i;
        u->len = (uint8_t)utf8_next((const unsigned char *)lb->caption + i, n - i, &u->cp);
        i += u->len;
    }
    /* every line takes at least one unit (a character or its '\n') */
    lb->lines = calloc(lb->nunits + 1, sizeof *lb->lines);
    if (lb->lines == NULL)
        goto nomem;
    for (size_t i = 0; i < lb->nunits;) {
        size_t end = i, take;
        while (end < lb->nunits && lb->units[end].cp != '\n' && end - i < cpl)
            end++;
        take = end - i;
        if (end < lb->nunits && lb->units[end].cp != '\n') {
            /* Too long: break after the last path separator in the right half. */
            for (size_t k = end; k > i + cpl / 2; k--)
                if (is_break_after(lb->units[k - 1].cp)) {
                    take = k - i;
                    break;
                }
        }
        lb->lines[lb->nlines].first = i;
        lb->lines[lb->nlines].count = take;
        lb->nlines++;
        i += take;
        if (i < lb->nunits && lb->units[i].cp == '\n')
            i++;
    }
    return 0;
nomem:
    return ledger_err_set(err, LEDGER_ENOMEM, "out of memory laying out a caption of %zu bytes", n);
}

static QRecLevel ec_of(char c)
{
    switch (c) {
    case 'L':
        return QR_ECLEVEL_L;
    case 'Q':
        return QR_ECLEVEL_Q;
    case 'H':
        return QR_ECLEVEL_H;
    default:
        return QR_ECLEVEL_M;
    }
}

/* Checks the options, encodes the text and computes the layout. */
static int label_build(label_t *lb, const char *text, const reader_label_opts_t *opts,
                       ledger_err_t *err)
{
    static const reader_label_opts_t defaults = {0};
    char ec;
    size_t len;

    memset(lb, 0, sizeof *lb);
    if (opts == NULL)
        opts = &defaults;
    if (text == NULL)
        return ledger_err_set(err, LEDGER_EINVAL, "label: no text given");
    ec = opts->ec_level ? opts->ec_level : 'M';
    if (ec >= 'a' && ec <= 'z')
        ec = (char)(ec - 'a' + 'A');
    if (ec != 'L' && ec != 'M' && ec != 'Q' && ec != 'H')
        return ledger_err_set(err, LEDGER_EINVAL,
                              "label: error correction level '%c' is not one of L, M, Q, H",
                              opts->ec_level);
    lb->ec = ec;
    lb->m = opts->module_px ? opts->module_px : 8;
    if (lb->m < 1 || lb->m > 64)
        return ledger_err_set(err, LEDGER_EINVAL, "label: module size %d px is not in 1..64",
                              opts->module_px);
    lb->q = opts->quiet_modules ? opts->quiet_modules : 4;
    if (lb->q < 4 || lb->q > 64)
        return ledger_err_set(err, LEDGER_EINVAL,
                              "label: a quiet zone of %d modules is not in 4..64 (a scanner "
                              "needs at least 4)",
                              opts->quiet_modules);
    len = strlen(text);
    if (len == 0)
        return ledger_err_set(err, LEDGER_EINPUT, "label: nothing to encode (empty text)");
    if (len > 8000)
        goto too_long;
    errno = 0;
    lb->qr = QRcode_encodeString(text, 0, ec_of(ec), QR_MODE_8, 1);
    if (lb->qr == NULL) {
        if (errno == ERANGE)
            goto too_long;
        if (errno == ENOMEM)
            return ledger_err_set(err, LEDGER_ENOMEM, "label: out of memory encoding a QR code");
        return ledger_err_set(err, LEDGER_EINPUT,
                              "label: libqrencode cannot encode this text (%zu bytes): %s", len,
                              strerror(errno ? errno : EINVAL));
    }
    lb->n = lb->qr->width;
    lb->w = (lb->n + 2 * lb->q) * lb->m;
    lb->qr_h = lb->w;
    lb->s = (lb->m + 2) / 4 > 1 ? (lb->m + 2) / 4 : 1;
    lb->caption = opts->no_caption ? NULL : opts->caption ? opts->caption : text;
    if (lb->caption && *lb->caption == '\0')
        lb->caption = NULL;
    lb->h = lb->qr_h;
    if (lb->caption) {
        int rc;
        int cpl = (lb->w - 4 * lb->s) / (6 * lb->s);
        if (strlen(lb->caption) > CAPTION_MAX) {
            label_free(lb);
            return ledger_err_set(err, LEDGER_EINVAL,
                                  "label: caption of %zu bytes is longer than %d bytes",
                                  strlen(lb->caption), CAPTION_MAX);
        }
        if ((rc = label_wrap(lb, cpl > 0 ? (size_t)cpl : 1, err)) < 0) {
            label_free(lb);
            return rc;
        }
        lb->h += (int)lb->nlines * 10 * lb->s + 2 * lb->s;
    }
    return 0;
too_long:
    label_free(lb);
    return ledger_err_set(err, LEDGER_EINPUT,
                          "label: text of %zu bytes is too long for a QR code at error "
                          "correction level %c (at most %d bytes of arbitrary text at level %c%s)",
                          len, ec, qr_capacity_8bit[ec_of(ec)], ec,
                          ec == 'L' ? "" : "; a lower level such as L holds more");
}

static void label_info(const label_t *lb, reader_label_info_t *info)
{
    if (info == NULL)
        return;
    info->version = lb->qr->version;
    info->modules = lb->n;
    info->ec_level = lb->ec;
    info->width = lb->w;
    info->height = lb->h;
    info->caption_lines = (int)lb->nlines;
}

static int module_dark(const label_t *lb, int mx, int my)
{
    mx -= lb->q;
    my -= lb->q;
    if (mx < 0 || my < 0 || mx >= lb->n || my >= lb->n)
        return 0;
    return lb->qr->data[my * lb->n + mx] & 1;
}

/* x of the first pixel of a caption line (the line is centred). */
static int line_x0(const label_t *lb, const line_t *ln)
{
    int pw = (int)ln->count * 6 * lb->s - lb->s;
    return (lb->w - pw) / 2;
}

/* Fills one image row: ink[x] = 1 for black. */
static void render_row(const label_t *lb, int y, unsigned char *ink)
{
    memset(ink, 0, (size_t)lb->w);
    if (y < lb->qr_h) {
        int my = y / lb->m;
        for (int mx = 0; mx < lb->n + 2 * lb->q; mx++)
            if (module_dark(lb, mx, my))
                memset(ink + mx * lb->m, 1, (size_t)lb->m);
        return;
    }
    int cy = y - lb->qr_h;
    size_t li = (size_t)(cy / (10 * lb->s));
    int gr = (cy % (10 * lb->s)) / lb->s;
    if (lb->caption == NULL || li >= lb->nlines || gr >= 7)
        return;
    const line_t *ln = &lb->lines[li];
    int x = line_x0(lb, ln);
    for (size_t k = 0; k < ln->count; k++, x += 6 * lb->s) {
        int32_t cp = lb->units[ln->first + k].cp;
        const char *row = cp >= 0x20 && cp < 0x7f ? font5x7[cp - 0x20][gr] : font_box[gr];
        for (int c = 0; c < 5; c++)
            if (row[c] == '#')
                for (int d = 0; d < lb->s; d++)
                    if (x + c * lb->s + d >= 0 && x + c * lb->s + d < lb->w)
                        ink[x + c * lb->s + d] = 1;
    }
}

/* ---- PNG ---------------------------------------------------------------- */

typedef struct {
    jmp_buf jb;
    FILE *fp;
    char msg[256];
    int io_errno;
    unsigned char *ink, *packed;
    png_structp png;
    png_infop info;
} png_ctx_t;

static void png_err_fn(png_structp png, png_const_charp msg)
{
    png_ctx_t *c = png_get_error_ptr(png);
    snprintf(c->msg, sizeof c->msg, "%s", msg);
    longjmp(c->jb, 1);
}

static void png_warn_fn(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static void png_write_fn(png_structp png, png_bytep data, png_size_t n)
{
    png_ctx_t *c = png_get_io_ptr(png);
    if (fwrite(data, 1, n, c->fp) != n) {
        c->io_errno = errno ? errno : EIO;
        png_error(png, "write failed");
    }
}

static void png_flush_fn(png_structp png)
{
    png_ctx_t *c = png_get_io_ptr(png);
    if (fflush(c->fp) != 0) {
        c->io_errno = errno ? errno : EIO;
        png_error(png, "write failed");
    }
}

/* The libpng calls; returns -1 when libpng jumped out with an error. */
static int png_emit(png_ctx_t *c, const label_t *lb)
{
    size_t rowbytes = ((size_t)lb->w + 7) / 8;

    if (setjmp(c->jb))
        return -1;
    png_set_write_fn(c->png, c, png_write_fn, png_flush_fn);
    png_set_IHDR(c->png, c->info, (png_uint_32)lb->w, (png_uint_32)lb->h, 1, PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(c->png, c->info);
    for (int y = 0; y < lb->h; y++) {
        render_row(lb, y, c->ink);
        memset(c->packed, 0xff, rowbytes); /* 1 = white in 1-bit grey */
        for (int x = 0; x < lb->w; x++)
            if (c->ink[x])
                c->packed[x >> 3] &= (unsigned char)~(0x80u >> (x & 7));
        png_write_row(c->png, c->packed);
    }
    png_write_end(c->png, c->info);
    png_flush_fn(c->png);
    return 0;
}

static int write_png(FILE *fp, const label_t *lb, ledger_err_t *err)
{
    png_ctx_t *c = calloc(1, sizeof *c);
    int rc = 0;

    if (c == NULL)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory writing a PNG");
    c->fp = fp;
    c->ink = malloc((size_t)lb->w);
    c->packed = malloc(((size_t)lb->w + 7) / 8);
    if (c->ink == NULL || c->packed == NULL)
        goto nomem;
    c->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, c, png_err_fn, png_warn_fn);
    if (c->png == NULL || (c->info = png_create_info_struct(c->png)) == NULL)
        goto nomem;
    if (png_emit(c, lb) < 0) {
        if (c->io_errno)
            rc = ledger_err_set(err, LEDGER_EIO, "cannot write the PNG: %s", strerror(c->io_errno));
        else
            rc = ledger_err_set(err, LEDGER_EIO, "cannot write the PNG (libpng: %s)", c->msg);
    }
    goto done;
nomem:
    rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory writing a PNG");
done:
    if (c->png)
        png_destroy_write_struct(&c->png, c->info ? &c->info : NULL);
    free(c->ink);
    free(c->packed);
    free(c);
    return rc;
}

/* ---- SVG ---------------------------------------------------------------- */

/* Writes the units [first, first + count) of the caption, XML-escaped;
 * characters XML 1.0 cannot carry become U+FFFD. */
static void svg_text(FILE *fp, const label_t *lb, size_t first, size_t count)
{
    for (size_t k = first; k < first + count; k++) {
        const unit_t *u = &lb->units[k];
        int32_t cp = u->cp;
        if (cp < 0 || (cp < 0x20 && cp != '\t') || cp == 0x7f || cp == 0xfffe || cp == 0xffff)
            fputs("\xef\xbf\xbd", fp);
        else if (cp == '&')
            fputs("&amp;", fp);
        else if (cp == '<')
            fputs("&lt;", fp);
        else if (cp == '>')
            fputs("&gt;", fp);
        else if (cp == '"')
            fputs("&quot;", fp);
        else if (cp == '\'')
            fputs("&apos;", fp);
        else
            fwrite(lb->caption + u->off, 1, u->len, fp);
    }
}

static int write_svg(FILE *fp, const label_t *lb, ledger_err_t *err)
{
    int side = lb->n + 2 * lb->q;

    fprintf(fp,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
            "height=\"%d\" viewBox=\"0 0 %d %d\">\n",
            lb->w, lb->h, lb->w, lb->h);
    if (lb->caption) {
        fputs("<title>", fp);
        svg_text(fp, lb, 0, lb->nunits);
        fputs("</title>\n", fp);
    }
    fprintf(fp, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", lb->w,
            lb->h);
    fputs("<path fill=\"#000000\" shape-rendering=\"crispEdges\" d=\"", fp);
    for (int my = 0; my < side; my++) {
        for (int mx = 0; mx < side;) {
            if (!module_dark(lb, mx, my)) {
                mx++;
                continue;
            }
            int run = 1;
            while (mx + run < side && module_dark(lb, mx + run, my))
                run++;
            fprintf(fp, "M%d %dh%dv%dh-%dz", mx * lb->m, my * lb->m, run * lb->m, lb->m,
                    run * lb->m);
            mx += run;
        }
    }
    fputs("\"/>\n", fp);
    for (size_t i = 0; i < lb->nlines; i++) {
        fprintf(fp,
                "<text x=\"%d\" y=\"%d\" font-family=\"monospace\" font-size=\"%d\" "
                "text-anchor=\"middle\" xml:space=\"preserve\">",
                lb->w / 2, lb->qr_h + (int)i * 10 * lb->s + 7 * lb->s, 10 * lb->s);
        svg_text(fp, lb, lb->lines[i].first, lb->lines[i].count);
        fputs("</text>\n", fp);
    }
    fputs("</svg>\n", fp);
    if (fflush(fp) != 0 || ferror(fp))
        return ledger_err_set(err, LEDGER_EIO, "cannot write the SVG: %s",
                              strerror(errno ? errno : EIO));
    return 0;
}

/* ---- entry points ------------------------------------------------------- */

int reader_label_write_fp(FILE *fp, reader_label_format_t format, const char *text,
                          const reader_label_opts_t *opts, reader_label_info_t *info,
                          ledger_err_t *err)
{
    label_t lb;
    int rc;

    if (fp == NULL || (format != READER_LABEL_PNG && format != READER_LABEL_SVG))
        return ledger_err_set(err, LEDGER_EINVAL, "label: no stream or no format (PNG or SVG)");
    if ((rc = label_build(&lb, text, opts, err)) < 0)
        return rc;
    rc = format == READER_LABEL_PNG ? write_png(fp, &lb, err) : write_svg(fp, &lb, err);
    if (rc == 0)
        label_info(&lb, info);
    label_free(&lb);
    return rc;
}

static reader_label_format_t format_of_path(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (dot == NULL || strchr(dot, '/') != NULL)
        return READER_LABEL_AUTO;
    if (strcasecmp(dot, ".png") == 0)
        return READER_LABEL_PNG;
    if (strcasecmp(dot, ".svg") == 0)
        return READER_LABEL_SVG;
    return READER_LABEL_AUTO;
}

int reader_label_write(const char *path, const char *text, const reader_label_opts_t *opts,
                       reader_label_info_t *info, ledger_err_t *err)
{
    reader_label_format_t fmt;
    label_t lb;
    char *tmp = NULL;
    FILE *fp = NULL;
    int fd = -1, rc;

    if (path == NULL || *path == '\0')
        return ledger_err_set(err, LEDGER_EINVAL, "label: no output file given");
    fmt = opts && opts->format != READER_LABEL_AUTO ? opts->format : format_of_path(path);
    if (fmt != READER_LABEL_PNG && fmt != READER_LABEL_SVG)
        return ledger_err_set(err, LEDGER_EINVAL,
                              "label '%s': cannot tell the format from the name (use .png or "
                              ".svg, or choose the format)",
                              path);
    if ((rc = label_build(&lb, text, opts, err)) < 0)
        return ledger_err_prefix(err, "label '%s'", path);
    size_t tlen = strlen(path) + 32;
    if ((tmp = malloc(tlen)) == NULL) {
        rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        goto fail;
    }
    snprintf(tmp, tlen, "%s.tmp.%ld", path, (long)getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 || (fp = fdopen(fd, "wb")) == NULL) {
        rc = ledger_err_set(err, LEDGER_EIO, "cannot create '%s': %s", tmp, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        goto fail;
    }
    rc = fmt == READER_LABEL_PNG ? write_png(fp, &lb, err) : write_svg(fp, &lb, err);
    if (fclose(fp) != 0 && rc == 0)
        rc = ledger_err_set(err, LEDGER_EIO, "cannot write '%s': %s", tmp, strerror(errno));
    if (rc == 0 && rename(tmp, path) != 0)
        rc = ledger_err_set(err, LEDGER_EIO, "cannot rename '%s' to '%s': %s", tmp, path,
                            strerror(errno));
    if (rc < 0) {
        unlink(tmp);
        goto fail;
    }
    label_info(&lb, info);
    free(tmp);
    label_free(&lb);
    return 0;
fail:
    free(tmp);
    label_free(&lb);
    return ledger_err_prefix(err, "label '%s'", path);
}
